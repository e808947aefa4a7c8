"""Argument checks every solver front end shares: the initial point, ``args``,
the objective's output and ``options`` (unknown options raise: none is
accepted and ignored)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import dtypes
from funcgrad.api import jacfwd
from funcgrad.shape_eval import eval_shape


def check_callable(fname: str, what: str, f: Any) -> None:
    if not callable(f):
        raise TypeError(f"{fname}: {what} must be callable, got {type(f).__name__}")


def check_args(fname: str, args: Any) -> tuple[Any, ...]:
    if not isinstance(args, tuple):
        raise TypeError(f"{fname}: args must be a tuple of extra arguments for fun, got "
                        f"{type(args).__name__}; wrap a single argument as args=(a,)")
    return args


def float_vector(fname: str, x0: Any, what: str = "x0") -> Any:
    """x0 as a 1-D floating array (integers become the default float)."""
    x = fnp.asarray(x0)
    if x.ndim != 1:
        raise ValueError(f"{fname}: {what} must be a 1-D array, got shape {x.shape}; "
                         f"ravel it and reshape inside fun")
    if not dtypes.is_inexact(x.dtype) or fnp.issubdtype(x.dtype, fnp.complexfloating):
        if fnp.issubdtype(x.dtype, fnp.complexfloating):
            raise TypeError(f"{fname}: {what} must be real, got dtype {x.dtype}")
        x = x.astype(fnp.result_type(x.dtype, 1.0))
    return x


def float_scalar_like(x: Any) -> Any:
    x = fnp.asarray(x)
    return x if dtypes.is_inexact(x.dtype) else x.astype(fnp.result_type(x.dtype, 1.0))


def check_output(fname: str, f: Callable[[Any], Any], x: Any, shape: tuple[int, ...] | None,
                 what: str) -> None:
    """Raise TypeError unless f(x) is a real floating array of `shape` (any
    shape when None), checked abstractly before anything runs."""
    out = eval_shape(f, x)
    if not hasattr(out, "shape") or not hasattr(out, "dtype"):
        raise TypeError(f"{fname}: fun must return an array ({what}), got {out!r}")
    if shape is not None and tuple(out.shape) != shape:
        raise TypeError(f"{fname}: fun must return {what}, got shape {tuple(out.shape)}")
    if not dtypes.is_inexact(out.dtype) or fnp.issubdtype(out.dtype, fnp.complexfloating):
        raise TypeError(f"{fname}: fun must return real floating values ({what}), got dtype "
                        f"{out.dtype}")


def check_options(fname: str, method: str, options: Mapping[str, Any] | None,
                  allowed: Iterable[str]) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"{fname}: options must be a dict, got {type(options).__name__}")
    allowed = sorted(allowed)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"{fname}: method {method!r} does not support the option(s) "
                         f"{', '.join(map(repr, unknown))}; its options are "
                         f"{', '.join(map(repr, allowed))}")
    return dict(options)


def check_method(fname: str, method: Any, methods: Iterable[str]) -> str:
    names = list(methods)
    if not isinstance(method, str) or method.lower() not in [m.lower() for m in names]:
        raise ValueError(f"{fname}: unknown method {method!r}; the methods are "
                         f"{', '.join(map(repr, names))}")
    return next(m for m in names if m.lower() == method.lower())


def positive_int(fname: str, name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{fname}: {name} must be a positive int, got {v!r}")
    return v


def nonneg_float(fname: str, name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
        raise ValueError(f"{fname}: {name} must be a non-negative number, got {v!r}")
    return float(v)


def value_and_jac(fun: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, Any]]:
    """``x -> (fun(x), d fun / d x)`` from one forward-mode pass: the value is the
    primal of the Jacobian's own evaluation, returned as its auxiliary output."""
    def twice(x: Any) -> tuple[Any, Any]:
        y = fun(x)
        return y, y
    jac = jacfwd(twice, has_aux=True)

    def vj(x: Any) -> tuple[Any, Any]:
        j, v = jac(x)
        return v, j
    return vj
