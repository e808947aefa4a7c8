"""Windowed and general reductions, sorting, top-k and scans of ``funcgrad.lax``,
with JAX's names and signatures.

`reduce_window` and `reduce` stage their computation once on scalars. One that
is a single add, max or min of its two arguments (``lax.add``, ``lax.max``,
``lambda a, b: a + b``, ...; for `reduce` also mul and the bitwise and/or) binds
the differentiable monoid primitives; any other computation runs inside XLA's
reduction as its Program (forward and under vmap, not differentiable, as in
JAX). `reduce` is a window spanning the reduced axes. `associative_scan` is the
parallel prefix scan (log2(n) levels of strided slices), so it differentiates
and batches like the operations it is made of. `top_k`, `approx_max_k`/`approx_min_k`
(exact) and `cumlogsumexp` bind their own primitives.
"""
from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, tree
from funcgrad import primitives as P
from funcgrad.core import Tracer, shape_error
from funcgrad.errors import DTypeError
from funcgrad.ir import Literal, Program
from funcgrad.numpy._util import asarray_operand, aval_of
from funcgrad.primitives.windowed import window_shape

__all__ = ["approx_max_k", "approx_min_k", "associative_scan", "cumlogsumexp", "reduce",
           "reduce_and", "reduce_or", "reduce_precision", "reduce_window",
           "reduce_window_shape_tuple", "sort", "sort_key_val", "top_k"]


# ---------------------------------------------------------------------------
# params


def _ints(name: str, what: str, value: Any, nd: int, default: int | None = None
          ) -> tuple[int, ...]:
    if value is None and default is not None:
        return (default,) * nd
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a sequence of ints, got {value!r:.80}") from None
    if len(out) != nd:
        raise ValueError(f"{name}: {what} {out} needs one entry per dimension of the operand "
                         f"({nd})")
    return out


def _pads(name: str, padding: Any, shape: tuple[int, ...], window: tuple[int, ...],
          strides: tuple[int, ...], window_dilation: tuple[int, ...]
          ) -> tuple[tuple[int, int], ...]:
    """(lo, hi) pairs from explicit pairs or 'VALID' / 'SAME' / 'SAME_LOWER' (JAX's
    rule: SAME gives ceil(n / stride) windows over the undilated operand, the odd
    padding element going high, or low for SAME_LOWER)."""
    if isinstance(padding, str):
        kind = padding.upper()
        if kind == "VALID":
            return ((0, 0),) * len(shape)
        if kind not in ("SAME", "SAME_LOWER"):
            raise ValueError(f"{name}: padding must be 'VALID', 'SAME', 'SAME_LOWER' or a "
                             f"sequence of (low, high) pairs, got {padding!r}")
        pads = []
        for n, k, s, w in zip(shape, window, strides, window_dilation, strict=True):
            extent = (k - 1) * w + 1
            total = builtins.max((-(-n // s) - 1) * s + extent - n, 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if kind == "SAME" else (big, small))
        return tuple(pads)
    try:
        pairs = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: padding must be a string or a sequence of (low, high) int "
                        f"pairs, got {padding!r:.80}") from None
    if len(pairs) != len(shape):
        raise ValueError(f"{name}: padding {pairs} needs one pair per dimension of the "
                         f"operand ({len(shape)})")
    return pairs


def _axis(name: str, axis: Any, nd: int, what: str = "axis") -> int:
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int, got {axis!r:.60}") from None
    if not -nd <= a < nd:
        raise shape_error(name, f"{what} {a} is out of range for an operand of rank {nd}")
    return a % nd


# ---------------------------------------------------------------------------
# recognising the monoid computations


_MONOID_PRIMS = {P.add_p: "add", P.mul_p: "mul", P.max_p: "max", P.min_p: "min",
                 P.and_p: "and", P.or_p: "or"}


def _monoid_of(program: Program) -> str | None:
    """The monoid a staged computation of two scalars is (lax.add, ``a * b``,
    lax.max, ...): one equation of one of those primitives on both inputs."""
    if len(program.invars) != 2 or len(program.eqns) != 1:
        return None
    (eqn,) = program.eqns
    if (eqn.prim not in _MONOID_PRIMS or len(eqn.inputs) != 2
            or {id(v) for v in eqn.inputs} != {id(v) for v in program.invars}
            or tuple(program.outvars) != tuple(eqn.outvars)):
        return None
    return _MONOID_PRIMS[eqn.prim]


def _identity(op: str, dtype: np.dtype) -> Any:
    if op in ("add", "or"):
        return np.zeros((), dtype)[()]
    if op == "mul":
        return np.ones((), dtype)[()]
    if op == "and":
        return np.asarray(True if dtype == dtypes.bool_ else -1).astype(dtype)[()]
    if dtype == dtypes.bool_:
        return np.bool_(op == "min")
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return np.asarray(info.min if op == "max" else info.max, dtype)[()]
    return np.asarray(-np.inf if op == "max" else np.inf).astype(dtype)[()]


def _concrete(x: Any) -> np.ndarray | None:
    if isinstance(x, Tracer):
        return None
    if type(x) is Literal:
        return np.asarray(x.val)
    return np.asarray(x)


def _is_identity(init: Any, op: str, dtype: np.dtype) -> bool:
    val = _concrete(init)
    if val is None or val.shape != ():
        return False
    ident = _identity(op, dtype)
    with np.errstate(invalid="ignore"):
        return bool(val.astype(dtype) == ident) and not (
            dtypes.is_inexact(dtype) and np.signbit(val) != np.signbit(ident))


def _operands_and_inits(name: str, operands: Any, init_values: Any
                        ) -> tuple[list[Any], tree.PyTreeDef, tuple[int, ...], list[Any]]:
    """A pytree of same-shaped operands as a flat list, its structure, the shared shape,
    and the init values (one per operand, same structure)."""
    leaves, in_tree = tree.flatten(operands)
    if not leaves:
        raise ValueError(f"{name}: needs at least one operand")
    ops = [asarray_operand(x) for x in leaves]
    shape = aval_of(ops[0]).shape
    if any(aval_of(o).shape != shape for o in ops):
        raise ValueError(f"{name}: operands must share a shape, got "
                         f"{[aval_of(o).shape for o in ops]}")
    return ops, in_tree, shape, _inits(name, init_values, in_tree, ops)


def _inits(name: str, init_values: Any, in_tree: tree.PyTreeDef,
           operands: Sequence[Any]) -> list[Any]:
    leaves, init_tree = tree.flatten(init_values)
    if init_tree != in_tree:
        raise ValueError(f"{name}: init_values must have the structure of the operands: "
                         f"{init_tree} vs. {in_tree}")
    out = []
    for v, o in zip(leaves, operands, strict=True):
        dt = aval_of(o).dtype
        v = asarray_operand(v)
        a = aval_of(v)
        if a.shape != ():
            raise TypeError(f"{name}: init values must be scalars, got {a.str_short()}")
        if a.dtype != dt:
            if not a.weak_type:
                raise TypeError(f"{name}: init value of dtype {a.dtype} does not match its "
                                f"operand's dtype {dt}")
            v = P.convert_element_type_p.bind(v, new_dtype=dt, weak_type=False)
        out.append(v)
    return out


def _stage_computation(name: str, computation: Callable[..., Any], in_tree: tree.PyTreeDef,
                       operands: Sequence[Any]) -> Program:
    """`computation` staged on scalars: a closed Program of (accumulators, elements)."""
    from funcgrad.control_flow import stage
    from funcgrad.core import ShapedArray
    if not callable(computation):
        raise TypeError(f"{name}: computation must be callable, got {computation!r:.60}")
    scalars = [ShapedArray((), aval_of(o).dtype) for o in operands]
    half = in_tree.unflatten([0] * len(operands))
    _, args_tree = tree.flatten((half, half))
    staged = stage(computation, args_tree, scalars + scalars, f"{name} computation")
    if staged.out_tree != in_tree:
        raise TypeError(f"{name}: the computation must return the structure of the "
                        f"operands {in_tree}, got {staged.out_tree}")
    got = [a.dtype for a in staged.out_avals]
    if [a.shape for a in staged.out_avals] != [()] * len(scalars) or got != [
            s.dtype for s in scalars]:
        raise TypeError(f"{name}: the computation must return scalars of dtypes "
                        f"{[str(s.dtype) for s in scalars]}, got "
                        f"{[a.str_short() for a in staged.out_avals]}")
    if staged.consts:
        raise TypeError(f"{name}: the computation closes over {len(staged.consts)} array(s); "
                        "it may use Python scalars only. Reduce a tuple of operands to bring "
                        "other arrays in.")
    return staged.program


# ---------------------------------------------------------------------------
# reduce_window


def reduce_window_shape_tuple(operand_shape: Sequence[int], window_dimensions: Sequence[int],
                              window_strides: Sequence[int],
                              padding: Sequence[tuple[int, int]],
                              base_dilation: Sequence[int] | None = None,
                              window_dilation: Sequence[int] | None = None
                              ) -> tuple[int, ...]:
    """The shape `reduce_window` gives for an operand of `operand_shape`."""
    nd = len(operand_shape)
    return window_shape("reduce_window", tuple(operand_shape), tuple(window_dimensions),
                        tuple(window_strides), tuple((lo, hi) for lo, hi in padding),
                        _ints("reduce_window", "base_dilation", base_dilation, nd, 1),
                        _ints("reduce_window", "window_dilation", window_dilation, nd, 1))


def reduce_window(operand: Any, init_value: Any, computation: Callable[..., Any],
                  window_dimensions: Sequence[int], window_strides: Sequence[int] | None = None,
                  padding: str | Sequence[tuple[int, int]] = "VALID",
                  base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Any:
    """Reduce every window of `operand` (an array or a pytree of same-shaped arrays)
    with `computation`, starting from `init_value` (scalars of the same structure).

    Padding and base-dilation holes hold `init_value`. ``lax.add`` with init 0 and
    ``lax.max``/``lax.min`` (any init) are differentiable; other computations
    (Python functions of two scalars, or of two tuples of scalars for a pytree
    operand) are forward and vmap only.

    Raises:
        ValueError / TypeError: mismatched structures or params, a computation
        returning other dtypes or closing over arrays.

    Example:
        >>> lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "SAME")
    """
    name = "reduce_window"
    operands, in_tree, shape, inits = _operands_and_inits(name, operand, init_value)
    nd = len(shape)
    window = _ints(name, "window_dimensions", window_dimensions, nd)
    strides = _ints(name, "window_strides", window_strides, nd, 1)
    base = _ints(name, "base_dilation", base_dilation, nd, 1)
    wdil = _ints(name, "window_dilation", window_dilation, nd, 1)
    pads = _pads(name, padding, shape, window, strides, wdil)
    params = dict(window_dimensions=window, window_strides=strides, padding=pads,
                  base_dilation=base, window_dilation=wdil)
    program = _stage_computation(name, computation, in_tree, operands)
    op = _monoid_of(program)
    if op is not None:
        (x,), (init,) = operands, inits
        dt = aval_of(x).dtype
        if op == "add" and _is_identity(init, op, dt) and dt != dtypes.bool_:
            return in_tree.unflatten([P.reduce_window_sum_p.bind(x, **params)])
        if op in ("max", "min") and dt != dtypes.bool_:
            prim = P.reduce_window_max_p if op == "max" else P.reduce_window_min_p
            out = prim.bind(x, **params)
            if not _is_identity(init, op, dt):
                out = (P.max_p if op == "max" else P.min_p).bind(out, init)
            return in_tree.unflatten([out])
    outs = P.reduce_window_p.bind(*operands, *inits, program=program, **params)
    return in_tree.unflatten(list(outs))


# ---------------------------------------------------------------------------
# reduce


_MONOID_REDUCTIONS = {"add": P.reduce_sum_p, "mul": P.reduce_prod_p, "max": P.reduce_max_p,
                      "min": P.reduce_min_p, "and": P.reduce_and_p, "or": P.reduce_or_p}
_MONOID_COMBINE = {op: prim for prim, op in _MONOID_PRIMS.items()}


def reduce(operands: Any, init_values: Any, computation: Callable[..., Any],
           dimensions: Sequence[int]) -> Any:
    """Reduce `operands` (an array or a pytree of same-shaped arrays) over
    `dimensions` with `computation`, starting from `init_values` (scalars, same
    structure). One operand reduced by ``lax.add``, ``lax.mul``, ``lax.max``,
    ``lax.min``, ``lax.bitwise_and`` or ``lax.bitwise_or`` binds those reductions (the init
    value combined once, as XLA does); any other computation is staged and runs
    forward and under vmap only.

    Example (argmax as a reduction over (value, index) pairs):
        >>> def pick(a, b):
        ...     return lax.select(a[0] >= b[0], a[0], b[0]), lax.select(a[0] >= b[0], a[1], b[1])
        >>> lax.reduce((x, idx), (-np.inf, 0), pick, (0,))
    """
    name = "reduce"
    ops, in_tree, shape, inits = _operands_and_inits(name, operands, init_values)
    nd = len(shape)
    dims = tuple(operator.index(d) for d in dimensions)
    if any(not 0 <= d < nd for d in dims) or len(set(dims)) != len(dims):
        raise ValueError(f"{name}: dimensions {dims} must be distinct axes of an operand of "
                         f"rank {nd}")
    if not dims:        # as JAX: nothing is reduced, not even the init value
        return in_tree.unflatten([fnp.asarray(o) for o in ops])
    out_shape = tuple(n for i, n in enumerate(shape) if i not in dims)
    program = _stage_computation(name, computation, in_tree, ops)
    op = _monoid_of(program)
    if op is not None:
        (x,), (init,) = ops, inits
        out = _MONOID_REDUCTIONS[op].bind(x, axes=dims)
        if not _is_identity(init, op, aval_of(x).dtype):
            out = _MONOID_COMBINE[op].bind(out, init)
        return in_tree.unflatten([out])
    if any(shape[d] == 0 for d in dims):      # no element: every result is the init value
        return in_tree.unflatten([P.broadcast_in_dim_p.bind(i, shape=out_shape,
                                                            broadcast_dimensions=())
                                  for i in inits])
    window = tuple(n if i in dims else 1 for i, n in enumerate(shape))
    ones = (1,) * nd
    outs = P.reduce_window_p.bind(*ops, *inits, program=program, window_dimensions=window,
                                  window_strides=ones, padding=((0, 0),) * nd,
                                  base_dilation=ones, window_dilation=ones)
    return in_tree.unflatten([P.reshape_p.bind(o, new_sizes=out_shape) for o in outs])


def reduce_and(operand: Any, axes: Sequence[int]) -> Any:
    return P.reduce_and_p.bind(asarray_operand(operand), axes=tuple(axes))


def reduce_or(operand: Any, axes: Sequence[int]) -> Any:
    return P.reduce_or_p.bind(asarray_operand(operand), axes=tuple(axes))


# ---------------------------------------------------------------------------
# reduce_precision


def reduce_precision(operand: Any, exponent_bits: int, mantissa_bits: int) -> Any:
    """`operand` rounded to the nearest value (ties to even) of a float format with
    `exponent_bits` and `mantissa_bits` (8 and 7: bfloat16), kept in its dtype;
    out-of-range values overflow to inf. Its derivative rounds the tangent alike."""
    e, m = operator.index(exponent_bits), operator.index(mantissa_bits)
    return P.reduce_precision_p.bind(asarray_operand(operand), exponent_bits=e,
                                     mantissa_bits=m)


# ---------------------------------------------------------------------------
# associative_scan and cumlogsumexp


def _take(x: Any, axis: int, start: int, stop: int, step: int = 1) -> Any:
    a = aval_of(x)
    starts = [0] * a.ndim
    limits = list(a.shape)
    strides = [1] * a.ndim
    starts[axis], limits[axis], strides[axis] = start, builtins.max(stop, start), step
    return P.slice_p.bind(x, start_indices=tuple(starts), limit_indices=tuple(limits),
                          strides=tuple(strides))


def _interleave(evens: Any, odds: Any, axis: int) -> Any:
    """e0, o0, e1, o1, ... along `axis` (there are as many odds as evens, or one
    fewer): stacked pairwise on a new axis and merged, so no value is touched."""
    a, b = aval_of(evens).shape[axis], aval_of(odds).shape[axis]
    pairs = P.concatenate_p.bind(*(P.expand_dims_p.bind(v, dimensions=(axis + 1,))
                                   for v in (_take(evens, axis, 0, b), odds)),
                                 dimension=axis + 1)
    shape = aval_of(evens).shape
    merged = P.reshape_p.bind(pairs, new_sizes=(*shape[:axis], 2 * b, *shape[axis + 1:]))
    if a == b:
        return merged
    return P.concatenate_p.bind(merged, _take(evens, axis, b, a), dimension=axis)


def associative_scan(fn: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """All prefix combinations of `elems` along `axis` by an associative `fn`:
    result[i] = fn(... fn(elems[0], elems[1]) ..., elems[i]); `elems` may be a
    pytree of arrays of one length along `axis`, which `fn` maps pairwise.
    ``reverse=True`` scans from the end: result[i] combines elems[n-1] ... elems[i],
    the later element on the left. `fn` need not be commutative; it is called on
    whole slices (O(log n) times), so it must work elementwise on arrays.

    Example:
        >>> lax.associative_scan(lax.add, fnp.arange(5.0))    # cumsum
    """
    if not callable(fn):
        raise TypeError("associative_scan: fn must be callable")
    leaves, in_tree = tree.flatten(elems)
    if not leaves:
        raise ValueError("associative_scan: elems has no arrays")
    xs = [asarray_operand(x) for x in leaves]
    nd = aval_of(xs[0]).ndim
    if nd == 0:
        raise ValueError("associative_scan: elems must have at least one dimension")
    ax = _axis("associative_scan", axis, nd)
    n = aval_of(xs[0]).shape[ax]
    if any(aval_of(x).ndim <= ax or aval_of(x).shape[ax] != n for x in xs):
        raise ValueError(f"associative_scan: every array of elems needs length {n} along axis "
                         f"{ax}, got shapes {[aval_of(x).shape for x in xs]}")
    if reverse:
        xs = [P.rev_p.bind(x, dimensions=(ax,)) for x in xs]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        out = tree.leaves(fn(in_tree.unflatten(a), in_tree.unflatten(b)))
        if len(out) != len(a):
            raise TypeError(f"associative_scan: fn must return as many arrays as elems holds "
                            f"({len(a)}), got {len(out)}")
        return [asarray_operand(o) for o in out]

    def scan(level: list[Any]) -> list[Any]:
        m = aval_of(level[0]).shape[ax]
        if m < 2:
            return level
        pair_sums = combine([_take(x, ax, 0, m - 1, 2) for x in level],
                            [_take(x, ax, 1, m, 2) for x in level])
        odds = scan(pair_sums)                   # results at positions 1, 3, 5, ...
        later = combine([_take(o, ax, 0, (m - 1) // 2) for o in odds],
                        [_take(x, ax, 2, m, 2) for x in level])   # positions 2, 4, ...
        evens = [P.concatenate_p.bind(_take(x, ax, 0, 1), e, dimension=ax)
                 for x, e in zip(level, later, strict=True)]
        return [_interleave(e, o, ax) for e, o in zip(evens, odds, strict=True)]

    out = scan(xs)
    if reverse:
        out = [P.rev_p.bind(x, dimensions=(ax,)) for x in out]
    return in_tree.unflatten(out)


def cumlogsumexp(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
    """log(cumsum(exp(operand))) along `axis`, computed stably (XLA reduces each prefix
    by logaddexp; the derivative is that of the logaddexp scan, as in JAX).

    Example:
        >>> lax.cumlogsumexp(fnp.array([0.0, 0.0, 1000.0]))   # [0, log 2, 1000]
    """
    x = asarray_operand(operand)
    a = aval_of(x)
    if not dtypes.is_float(a.dtype):
        raise DTypeError(f"cumlogsumexp needs a real floating operand, got {a.dtype}")
    if a.ndim == 0:
        raise ValueError("cumlogsumexp: operand must have at least one dimension")
    return P.cumlogsumexp_p.bind(x, axis=_axis("cumlogsumexp", axis, a.ndim),
                                 reverse=bool(reverse))


# ---------------------------------------------------------------------------
# sort, top_k


def sort(operand: Any, dimension: int = -1, is_stable: bool = True, num_keys: int = 1) -> Any:
    """Sort along `dimension`. One array: returns it sorted. A sequence of arrays
    (one shape): sorts them together lexicographically by the first `num_keys`,
    the rest following, and returns a tuple. NaNs sort last."""
    single = not isinstance(operand, (tuple, list))
    ops = [asarray_operand(operand)] if single else [asarray_operand(o) for o in operand]
    if not ops:
        raise ValueError("sort: needs at least one operand")
    nd = aval_of(ops[0]).ndim
    if nd == 0:
        raise ValueError("sort: operands must have at least one dimension")
    k = operator.index(num_keys)
    if not 1 <= k <= len(ops):
        raise ValueError(f"sort: num_keys must be between 1 and the number of operands "
                         f"({len(ops)}), got {k}")
    outs = P.sort_p.bind(*ops, dimension=_axis("sort", dimension, nd, "dimension"),
                         is_stable=bool(is_stable), num_keys=k)
    return outs[0] if single else tuple(outs)


def sort_key_val(keys: Any, values: Any, dimension: int = -1,
                 is_stable: bool = True) -> tuple[Any, Any]:
    """`keys` sorted along `dimension`, and `values` permuted alike."""
    k, v = sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)
    return k, v


def _extremes(name: str, operand: Any, k: Any, axis: Any, largest: bool,
              **approx: Any) -> tuple[Any, Any]:
    """The `k` largest (or smallest) entries along `axis`, in order, with their int32
    indices; among equal values the lower index comes first. NaNs count as largest.
    With `approx` params it binds approx_top_k, else top_k."""
    x = asarray_operand(operand)
    a = aval_of(x)
    if a.ndim == 0:
        raise ValueError(f"{name}: operand must have at least one dimension")
    ax = _axis(name, axis, a.ndim)
    n = a.shape[ax]
    try:
        kk = operator.index(k)
    except TypeError:
        raise TypeError(f"{name}: k must be an int, got {k!r:.60}") from None
    if not 0 <= kk <= n:
        raise ValueError(f"{name}: k must be between 0 and the size {n} of axis {ax}, got {kk}")
    if approx:
        vals, idx = P.approx_top_k_p.bind(x, k=kk, reduction_dimension=ax, is_max_k=largest,
                                          **approx)
    else:
        vals, idx = P.top_k_p.bind(x, k=kk, axis=ax)
    return vals, idx


def top_k(operand: Any, k: int, *, axis: int = -1) -> tuple[Any, Any]:
    """The `k` largest entries along `axis` (descending) and their indices.

    NB: the indices are int32, as in JAX (not funcgrad's default int64). Among equal
    values the lower index comes first. Differentiable in `operand` (the tangent
    is gathered at the indices)."""
    return _extremes("top_k", operand, k, axis, largest=True)


def _approx_params(name: str, recall_target: Any, reduction_input_size_override: Any,
                   aggregate_to_topk: Any) -> dict[str, Any]:
    if not 0 < float(recall_target) <= 1:
        raise ValueError(f"{name}: recall_target must be in (0, 1], got {recall_target}")
    if operator.index(reduction_input_size_override) < -1:
        raise ValueError(f"{name}: reduction_input_size_override must be -1 or a size, got "
                         f"{reduction_input_size_override}")
    if not isinstance(aggregate_to_topk, (bool, np.bool_)):
        raise TypeError(f"{name}: aggregate_to_topk must be a bool, got {aggregate_to_topk!r}")
    return {"recall_target": float(recall_target),
            "reduction_input_size_override": operator.index(reduction_input_size_override),
            "aggregate_to_topk": bool(aggregate_to_topk)}


def approx_max_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Any, Any]:
    """The `k` largest entries along `reduction_dimension` and their int32 indices.

    NB: computed exactly (recall 1, which meets any `recall_target`); with
    ``aggregate_to_topk=False`` JAX may return more than `k` candidates, this
    returns exactly the top `k`."""
    approx = _approx_params("approx_max_k", recall_target, reduction_input_size_override,
                            aggregate_to_topk)
    return _extremes("approx_max_k", operand, k, reduction_dimension, largest=True, **approx)


def approx_min_k(operand: Any, k: int, reduction_dimension: int = -1,
                 recall_target: float = 0.95, reduction_input_size_override: int = -1,
                 aggregate_to_topk: bool = True) -> tuple[Any, Any]:
    """The `k` smallest entries along `reduction_dimension` (ascending) and their
    int32 indices; exact, like `approx_max_k`."""
    approx = _approx_params("approx_min_k", recall_target, reduction_input_size_override,
                            aggregate_to_topk)
    return _extremes("approx_min_k", operand, k, reduction_dimension, largest=False, **approx)
