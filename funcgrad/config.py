"""Global switches, read at trace time.

Only two knobs exist: the default float width (decision 4: float64 unless a
user working on accelerators asks for float32) and `enable_checks`, which
re-verifies every Program a transform produces (the test suite turns it on).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

_ALLOWED = {
    "default_float": ("float64", "float32"),
    "enable_checks": (False, True),
}


class _Config:
    __slots__ = ("default_float", "enable_checks", "_on_change")

    def __init__(self) -> None:
        self.default_float = "float64"
        self.enable_checks = False
        self._on_change: list[Callable[[], None]] = []

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever a switch that changes what tracing produces flips
        (caches of traced programs register here: they are keyed without it)."""
        self._on_change.append(callback)

    def update(self, name: str, value: Any) -> None:
        """Set a switch, e.g. ``fg.config.update("default_float", "float32")``."""
        if name not in _ALLOWED:
            raise ValueError(f"unknown config option {name!r}; known: {sorted(_ALLOWED)}")
        if value not in _ALLOWED[name]:
            raise ValueError(f"config option {name!r} takes one of {_ALLOWED[name]}, got {value!r}")
        changed = getattr(self, name) != value
        setattr(self, name, value)
        if changed and name == "default_float":
            for callback in self._on_change:
                callback()

    def __repr__(self) -> str:
        return f"Config(default_float={self.default_float!r}, enable_checks={self.enable_checks!r})"


config = _Config()
