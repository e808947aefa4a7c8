"""A pytest plugin giving a test suite funcgrad's own testing rigour in one line.

In a project's ``conftest.py``::

    pytest_plugins = ["funcgrad.testing.pytest_plugin"]

For the whole session it:

- registers two Hypothesis profiles, ``funcgrad-dev`` (8 examples, the
  default) and ``funcgrad-ci`` (20 examples), both without deadlines (the
  first call of a new shape compiles, so timings say nothing about the code)
  and derandomized (a failure reproduces on every machine), and loads one:
  ``--funcgrad-profile=ci`` on the command line, else the environment variable
  ``FUNCGRAD_HYPOTHESIS_PROFILE=ci``, else ``dev``. An explicit
  ``--hypothesis-profile`` wins over the environment variable and the default;
- turns on ``fg.config.update("enable_checks", True)``: every Program a
  transformation produces is re-verified, so a broken rule fails loudly where
  it is made rather than as a wrong number later.

Both are put back as they were when the session ends. The test header names
the profile in use.
"""
from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from funcgrad.config import config as fg_config

ENV_VAR = "FUNCGRAD_HYPOTHESIS_PROFILE"
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 8},
    "ci": {"max_examples": 20},
}
_COMMON: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
_SAVED = pytest.StashKey[tuple[str | None, bool]]()
_LOADED = pytest.StashKey[str | None]()


def profile_name(short: str) -> str:
    """The registered Hypothesis profile for "dev" or "ci": "funcgrad-dev", ...."""
    return f"funcgrad-{short}"


def register_profiles() -> None:
    """Register ``funcgrad-dev`` and ``funcgrad-ci`` with Hypothesis."""
    for short, extra in PROFILES.items():
        settings.register_profile(profile_name(short), **_COMMON, **extra)


def _choice(config: pytest.Config) -> tuple[str | None, str]:
    """(the short profile name to load or None, where the choice came from)."""
    option = config.getoption("funcgrad_profile", default=None)
    if option is not None:
        return option, "--funcgrad-profile"
    if config.getoption("hypothesis_profile", default=None) is not None:
        return None, "--hypothesis-profile"
    env = os.environ.get(ENV_VAR)
    if env is not None and env != "":
        if env not in PROFILES:
            raise pytest.UsageError(f"{ENV_VAR}={env!r} is not a funcgrad profile; use one of "
                                    f"{sorted(PROFILES)}")
        return env, ENV_VAR
    return "dev", "default"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("funcgrad")
    group.addoption("--funcgrad-profile", dest="funcgrad_profile", choices=sorted(PROFILES),
                    default=None,
                    help=f"Hypothesis profile for funcgrad tests: dev (8 examples) or ci (20); "
                         f"default ${ENV_VAR}, else dev")


def pytest_configure(config: pytest.Config) -> None:
    register_profiles()
    try:
        previous: str | None = settings.get_current_profile_name()
    except AssertionError:      # no profile loaded yet
        previous = None
    config.stash[_SAVED] = (previous, fg_config.enable_checks)
    short, _ = _choice(config)
    if short is not None:
        settings.load_profile(profile_name(short))
    config.stash[_LOADED] = short
    fg_config.update("enable_checks", True)


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED, None)
    if saved is None:
        return
    previous, checks = saved
    if config.stash.get(_LOADED, None) is not None and previous is not None:
        settings.load_profile(previous)
    fg_config.update("enable_checks", checks)


def pytest_report_header(config: pytest.Config) -> str:
    short, source = _choice(config)
    name = settings.get_current_profile_name() if short is None else profile_name(short)
    return (f"funcgrad: hypothesis profile {name!r} (from {source}), "
            f"max_examples={settings().max_examples}, IR checks on")
