"""Comparing two pytrees of arrays, and the failure message every check shares.

A check fails with an AssertionError that shows the inputs, the two values
compared (labelled: "vmap" and "loop", "jit" and "eager", ...), where they
differ most and the tolerance, so a failing Hypothesis example reads on its own.
Floating leaves compare within ``atol + rtol * |expected|`` (NaNs equal NaNs);
integer and bool leaves compare exactly. Dtypes, shapes and the pytree
structure must match exactly.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from funcgrad import dtypes, tree

# Default tolerance (both atol and rtol) for two computations of the same
# function that may round differently (fusion, reassociated reductions).
SAME_FUNCTION_TOL = {np.dtype(np.float16): 1e-2, np.dtype(dtypes.bfloat16): 5e-2,
                     np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10,
                     np.dtype(np.complex64): 1e-5, np.dtype(np.complex128): 1e-10}


# A tolerance: one number for every dtype, a mapping from dtype to number, or
# None for the check's default by dtype.
Tol: TypeAlias = "float | Mapping[Any, float] | None"


def _resolve(tol: Tol, dtype: np.dtype, default: float) -> float:
    if tol is None:
        return default
    if isinstance(tol, Mapping):
        table = {np.dtype(k): float(v) for k, v in tol.items()}
        return table.get(np.dtype(dtype), default)
    return float(tol)


def tolerance_for(dtype: Any, table: dict[np.dtype, float]) -> float:
    """The table's tolerance for `dtype`; 0 for exact (integer, bool) dtypes."""
    dt = np.dtype(dtype)
    if not dtypes.is_inexact(dt):
        return 0.0
    return table.get(dt, max(table.values()))


def show(x: Any) -> str:
    """A short, readable rendering of a pytree of arrays (dtype and shape included)."""
    def leaf(v: Any) -> str:
        if hasattr(v, "shape") and hasattr(v, "dtype"):
            a = np.asarray(v)
            return f"{a.dtype}{list(a.shape)} {np.array2string(a, separator=', ')}"
        return repr(v)

    with np.printoptions(precision=8, threshold=24, edgeitems=3, linewidth=90):
        leaves, treedef = tree.flatten(x)
        if treedef.node is None:
            text = leaf(x)
        else:
            text = ", ".join(f"{p}: {leaf(v)}" for p, v in zip(tree.leaf_paths(x), leaves,
                                                               strict=True))
    return text.replace("\n", "\n" + " " * 8)   # continuation lines under the value


def show_inputs(args: Sequence[Any]) -> str:
    return "\n".join(f"    arg {i}: {show(a)}" for i, a in enumerate(args))


def failure(check: str, what: str, args: Sequence[Any], labels: tuple[str, str], got: Any,
            want: Any, atol: float | None, rtol: float | None, detail: str = "") -> AssertionError:
    """The AssertionError a check raises: inputs, both values, the tolerance."""
    tol = "exact" if atol is None else f"atol={atol:g}, rtol={rtol:g}"
    width = max(len(labels[0]), len(labels[1])) + 1
    lines = [f"{check}: {what}.",
             "  inputs:", show_inputs(args),
             f"  {(labels[0] + ':').ljust(width)} {show(got)}",
             f"  {(labels[1] + ':').ljust(width)} {show(want)}"]
    if detail:
        lines.append(f"  {detail}")
    lines.append(f"  tolerance: {tol}")
    return AssertionError("\n".join(lines))


def _worst(g: np.ndarray, w: np.ndarray, bad: np.ndarray) -> str:
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
    if dtypes.is_inexact(w.dtype):
        with np.errstate(invalid="ignore"):
            err = np.abs(g.astype(np.complex128) - w.astype(np.complex128))
        # rank the mismatching elements only; a NaN against a number ranks first
        err = np.where(bad, np.where(np.isnan(err), np.inf, err), -1.0)
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape)) if err.ndim \
            else ()
    return (f"{int(bad.sum())} of {bad.size} elements differ; e.g. at index {idx}: "
            f"{g[idx]} vs {w[idx]}")


def assert_trees_close(check: str, what: str, args: Sequence[Any], labels: tuple[str, str],
                       got: Any, want: Any, atol: Tol = None, rtol: Tol = None,
                       tol_table: dict[np.dtype, float] | None = None,
                       same_dtype: bool = True) -> None:
    """Raise `failure(...)` unless `got` and `want` match in structure, dtypes,
    shapes and values (floating leaves within the tolerance, others exactly).

    With `same_dtype=False` (a derivative against float64 finite differences)
    dtypes may differ and values compare at the wider precision, with the
    tolerance of `got`'s dtype."""
    table = SAME_FUNCTION_TOL if tol_table is None else tol_table
    g_leaves, g_def = tree.flatten(got)
    w_leaves, w_def = tree.flatten(want)
    if g_def != w_def:
        raise failure(check, f"{what}: the output structures differ ({labels[0]}: {g_def}, "
                      f"{labels[1]}: {w_def})",
                      args, labels, got, want, None, None)
    paths = tree.leaf_paths(want)
    for p, g, w in zip(paths, g_leaves, w_leaves, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        where = f"{what}, output{p}" if p else what
        if same_dtype and g.dtype != w.dtype:
            raise failure(check, f"{where}: dtypes differ ({labels[0]}: {g.dtype}, "
                          f"{labels[1]}: {w.dtype})", args,
                          labels, g, w, None, None)
        if g.shape != w.shape:
            raise failure(check, f"{where}: shapes differ ({labels[0]}: {g.shape}, "
                          f"{labels[1]}: {w.shape})", args,
                          labels, g, w, None, None)
        if dtypes.is_inexact(w.dtype) or dtypes.is_inexact(g.dtype):
            dt = g.dtype if dtypes.is_inexact(g.dtype) else w.dtype
            t = tolerance_for(dt, table)
            a, r = _resolve(atol, dt, t), _resolve(rtol, dt, t)
            wide = np.complex128 if dtypes.is_complex(w.dtype) or dtypes.is_complex(g.dtype) \
                else np.float64
            gw, ww = g.astype(wide), w.astype(wide)
            with np.errstate(invalid="ignore", over="ignore"):
                bad = ~np.isclose(gw, ww, atol=a, rtol=r, equal_nan=True)
            if bad.any():
                raise failure(check, f"{where}: values differ", args, labels, g, w, a, r,
                              _worst(gw, ww, bad))
        else:
            bad = np.asarray(g != w)
            if bad.any():
                raise failure(check, f"{where}: values differ", args, labels, g, w, None,
                              None, _worst(g, w, bad))
