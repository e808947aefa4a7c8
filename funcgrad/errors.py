"""The exceptions funcgrad raises on purpose (decision 8: errors are API).

Each subclasses the builtin a NumPy or JAX user would catch, so
``except TypeError`` keeps working, and carries a message saying what was
wrong, where (the user's source line) and what to do instead.
"""
from __future__ import annotations


class ShapeError(ValueError):
    """Operand shapes a primitive cannot accept (names op, shapes and line)."""


class DTypeError(TypeError):
    """Operand dtypes a primitive cannot accept."""


class ConcretizationError(TypeError):
    """Python needed a concrete value (``if``, ``int()``, ``bool()``) but got a traced one."""


class EscapedTracerError(RuntimeError):
    """A traced value was used after the transformation that made it had finished."""


class UnsupportedError(NotImplementedError):
    """An argument or feature of NumPy/JAX's API that funcgrad does not offer."""


class UnboundAxisError(NameError):
    """A collective (psum, all_gather, axis_index, ...) names an axis that no
    enclosing vmap(axis_name=...) or shard_map mesh binds."""


class KeyReuseError(TypeError):
    """A random key was consumed twice (config ``check_key_reuse``): the second use
    would repeat the first one's random numbers. Names both uses' source lines.
    A TypeError, like JAX's ``jax.errors.KeyReuseError``."""
