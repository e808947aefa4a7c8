"""funcgrad.lax: the primitives themselves, with JAX's names and signatures.

Collectives, over the named axes of ``vmap(f, axis_name=...)`` (each batch
element a lane) and of shard_map's mesh (each device a lane): `psum`, `pmean`,
`pmax`, `pmin`, `all_gather`, `psum_scatter`, `all_to_all`, `ppermute` and
`axis_index`. Each takes an axis name or a tuple of them (lanes over several
are numbered row-major, the first name slowest), maps over a pytree operand,
and raises `funcgrad.errors.UnboundAxisError` (a NameError) for a name no
enclosing vmap or shard_map binds. Under differentiation every lane's value
is its own: a collective's derivative is the same collective of the tangents
(pmax/pmin: of the winning lanes), and reverse mode transposes psum to psum,
all_gather to psum_scatter, all_to_all to itself with the axes swapped and
ppermute to the inverse permutation.

``funcgrad.lax.linalg`` holds the linear-algebra primitives (cholesky, qr, svd,
eigh, eig, lu, triangular_solve, ...).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import core, dtypes, tree
from funcgrad import primitives as P
from funcgrad.api import device_put
from funcgrad.lax import linalg  # noqa: F401
from funcgrad.core import Tracer, shape_error
from funcgrad.sharding import NamedSharding, Sharding
from funcgrad.numpy._util import asarray_operand, aval_of

DotDims = P.DotDims


def broadcast_in_dim(x: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Any:
    return P.broadcast_in_dim_p.bind(asarray_operand(x), shape=tuple(shape),
                                     broadcast_dimensions=tuple(broadcast_dimensions))


def convert_element_type(x: Any, new_dtype: Any) -> Any:
    return P.convert_element_type_p.bind(asarray_operand(x),
                                         new_dtype=dtypes.canonicalize(new_dtype),
                                         weak_type=False)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    return P.select_n_p.bind(asarray_operand(pred), asarray_operand(on_false),
                             asarray_operand(on_true))


def select_n(which: Any, *cases: Any) -> Any:
    return P.select_n_p.bind(asarray_operand(which), *(asarray_operand(v) for v in cases))


def slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Any:
    x = asarray_operand(x)
    strides = tuple(strides) if strides is not None else (1,) * aval_of(x).ndim
    return P.slice_p.bind(x, start_indices=tuple(start_indices),
                          limit_indices=tuple(limit_indices), strides=strides)


def _start_indices(name: str, shape: tuple[int, ...], start_indices: Any,
                   allow_negative_indices: bool | Sequence[bool],
                   sizes: Sequence[int] = ()) -> list[Any]:
    """One int64 scalar per dimension. A negative start counts from the end of its
    dimension once (JAX's ``allow_negative_indices``); the primitive then clamps the
    start so the window fits, which is dynamic_slice's documented behaviour; under
    ``config.check_bounds`` a start whose window of `sizes` does not fit raises."""
    from funcgrad.bounds import check_starts
    from funcgrad.numpy._advanced import wrap_index
    if not isinstance(start_indices, (list, tuple)):
        arr = asarray_operand(start_indices)
        if aval_of(arr).ndim != 1:
            raise TypeError(f"{name}: start_indices must be a sequence of scalars or a 1-d "
                            f"array, got shape {aval_of(arr).shape}")
        start_indices = [P.reshape_p.bind(P.slice_p.bind(arr, start_indices=(k,),
                                                         limit_indices=(k + 1,), strides=(1,)),
                                          new_sizes=())
                         for k in range(aval_of(arr).shape[0])]
    if len(start_indices) != len(shape):
        raise TypeError(f"{name}: needs one start index per dimension of the operand "
                        f"{shape}, got {len(start_indices)}")
    allow = ([bool(allow_negative_indices)] * len(shape)
             if isinstance(allow_negative_indices, (bool, np.bool_))
             else [bool(a) for a in allow_negative_indices])
    if len(allow) != len(shape):
        raise TypeError(f"{name}: allow_negative_indices needs one entry per dimension "
                        f"({len(shape)}), got {len(allow)}")
    out: list[Any] = []
    for v, n, neg in zip(start_indices, shape, allow, strict=True):
        i = asarray_operand(v)
        a = aval_of(i)
        if a.shape != () or not dtypes.is_integer(a.dtype):
            raise TypeError(f"{name}: start indices must be integer scalars, got "
                            f"{a.str_short()}")
        check_starts(f"lax.{name}", len(out), i, n, sizes, neg)
        if neg:
            out.append(wrap_index(i, n))
        else:
            out.append(P.convert_element_type_p.bind(i, new_dtype=dtypes.int64,
                                                     weak_type=False))
    return out


def dynamic_slice(x: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int], *,
                  allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    x = asarray_operand(x)
    idx = _start_indices("dynamic_slice", aval_of(x).shape, start_indices,
                         allow_negative_indices, slice_sizes)
    return P.dynamic_slice_p.bind(x, *idx, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any], *,
                         allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    x = asarray_operand(x)
    update = asarray_operand(update)
    idx = _start_indices("dynamic_update_slice", aval_of(x).shape, start_indices,
                         allow_negative_indices, aval_of(update).shape)
    return P.dynamic_update_slice_p.bind(x, update, *idx)


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    return P.concatenate_p.bind(*(asarray_operand(v) for v in operands), dimension=dimension)


def pad(x: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    return P.pad_p.bind(asarray_operand(x), asarray_operand(padding_value),
                        padding_config=tuple(tuple(c) for c in padding_config))


def iota(dtype: Any, size: int) -> Any:
    return P.iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=(size,), dimension=0)


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> Any:
    return P.iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=tuple(shape),
                         dimension=dimension)


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    return P.transpose_p.bind(asarray_operand(x), permutation=tuple(permutation))


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    return P.rev_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def integer_pow(x: Any, y: int) -> Any:
    return P.integer_pow_p.bind(asarray_operand(x), y=int(y))


def cumsum(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cumsum_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cumprod(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cumprod_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cummax(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cummax_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def cummin(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    return P.cummin_p.bind(asarray_operand(x), axis=axis, reverse=reverse)


def reduce_sum(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_sum_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_max(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_max_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_min(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_min_p.bind(asarray_operand(x), axes=tuple(axes))


def reduce_prod(x: Any, axes: Sequence[int]) -> Any:
    return P.reduce_prod_p.bind(asarray_operand(x), axes=tuple(axes))


def argmax(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return P.argmax_p.bind(asarray_operand(x), axis=axis,
                           index_dtype=dtypes.canonicalize(index_dtype))


def argmin(x: Any, axis: int, index_dtype: Any = np.int64) -> Any:
    return P.argmin_p.bind(asarray_operand(x), axis=axis,
                           index_dtype=dtypes.canonicalize(index_dtype))


from funcgrad.lax import elementwise as _elementwise  # noqa: E402
from funcgrad.lax.elementwise import (  # noqa: E402,F401
    acos, acosh, add, asin, asinh, atan, atan2, atanh, bessel_i0e, bessel_i1e, betainc,
    bitcast_convert_type, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, broadcast_shapes,
    cbrt, ceil, clamp, clz, conj, cos, cosh, digamma, div, eq, erf, erf_inv, erfc, exp, exp2,
    expm1, floor, ge, gt, igamma, igamma_grad_a, igammac, imag, is_finite, le, lgamma, log, log1p,
    logistic, lt, mul, mulhi, ne, nextafter, polygamma, population_count, random_gamma_grad,
    real, reciprocal, rem, rsqrt, shift_left, shift_right_arithmetic, shift_right_logical, sign,
    sin, sinh, sqrt, square, stop_gradient, sub, tan, tanh, zeta,
)
from funcgrad.lax.elementwise import abs, complex, max, min, pow, round  # noqa: E402,F401,A004

# assigned, not imported: parameters and locals above share these names
dtype = _elementwise.dtype
neg = _elementwise.neg
from funcgrad.lax.enums import (AccuracyMode, DotAlgorithm, DotAlgorithmPreset,  # noqa: E402,F401
                                Precision, PrecisionLike, RandomAlgorithm, RoundingMethod,
                                Tolerance)
from funcgrad.lax import _primitive_names  # noqa: E402

globals().update(_primitive_names.by_jax_name())

from funcgrad.control_flow import cond, fori_loop, map, scan, switch, while_loop  # noqa: E402,F401,A004
from funcgrad.custom_solves import custom_linear_solve, custom_root  # noqa: E402,F401
from funcgrad.lax.windowed import (approx_max_k, approx_min_k, associative_scan,  # noqa: E402,F401
                                   cumlogsumexp, reduce, reduce_and, reduce_or,
                                   reduce_precision, reduce_window, reduce_window_shape_tuple,
                                   sort, sort_key_val, top_k)
from funcgrad.lax.reductions import reduce_xor  # noqa: E402,F401
from funcgrad.lax.structural import (  # noqa: E402,F401
    broadcast, broadcast_like, broadcast_to_rank, collapse, dce_sink, dynamic_index_in_dim,
    dynamic_slice_in_dim, dynamic_update_index_in_dim, dynamic_update_slice_in_dim, empty,
    expand_dims, full, full_like, index_in_dim, reshape, shape_as_value, slice_in_dim, split,
    squeeze, stack, stage, tile, unstack,
)
from funcgrad.lax.indexing import (  # noqa: E402,F401
    GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers, gather, index_take,
    scatter, scatter_add, scatter_apply, scatter_max, scatter_min, scatter_mul, scatter_sub,
)
from funcgrad.lax.contraction import (  # noqa: E402,F401
    DotDimensionNumbers, FftType, RaggedDotDimensionNumbers, batch_matmul, dot, dot_general, fft,
    ragged_dot, ragged_dot_general, scaled_dot,
)
from funcgrad.lax.convolution import (  # noqa: E402,F401
    ConvDimensionNumbers, ConvGeneralDilatedDimensionNumbers, conv, conv_dimension_numbers,
    conv_general_dilated, conv_general_dilated_local, conv_general_dilated_patches,
    conv_general_permutations, conv_general_shape_tuple, conv_shape_tuple, conv_transpose,
    conv_transpose_shape_tuple, conv_with_general_padding, padtype_to_pads,
)
from funcgrad.lax.rng import rng_bit_generator, rng_uniform  # noqa: E402,F401
from funcgrad.lax.compiler_hints import (  # noqa: E402,F401
    composite, optimization_barrier, platform_dependent,
)


def with_sharding_constraint(x: Any, shardings: Any) -> Any:
    """Pin the layout of `x` (a pytree) over a mesh: `shardings` is a NamedSharding or a
    pytree prefix of `x` of them (None: leave that leaf to XLA). Under `jit` it is
    a fixed point of XLA's sharding propagation; differentiated, the tangent and
    the cotangent get the same layout; on concrete Arrays it lays them out now
    (like ``fg.device_put``)."""
    def is_leaf(s: Any) -> bool:
        return s is None or isinstance(s, Sharding)

    leaves, treedef = tree.flatten(x)
    given = tree.broadcast_prefix(shardings, x, is_leaf, "with_sharding_constraint: shardings",
                                  "x")
    out = []
    for leaf, sh in zip(leaves, given, strict=True):
        if sh is not None and type(sh) is not NamedSharding:
            raise TypeError(f"with_sharding_constraint takes NamedShardings, got {sh!r:.80}")
        if sh is None:
            out.append(leaf)
        elif isinstance(leaf, Tracer):
            out.append(P.sharding_constraint_p.bind(leaf, sharding=sh))
        else:
            out.append(device_put(leaf, sh))
    return treedef.unflatten(out)


# ---------------------------------------------------------------------------
# Collectives over named axes


def _axis_names(what: str, axis_name: Any) -> tuple[Any, ...]:
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    P.collectives.check_axis_names(what, names)
    return names


def _position(what: str, param: str, value: Any, bound: int) -> int:
    """`value` as an axis position in [0, bound), negative ones counted from the end."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what}: {param} must be an int, got {value!r:.60}")
    if not -bound <= value < bound:
        raise shape_error(what, f"{param} {value} is out of range: expected an int in "
                                f"[{-bound}, {bound})")
    return int(value) % bound


def _flag(what: str, tiled: Any) -> bool:
    if not isinstance(tiled, (bool, np.bool_)):
        raise TypeError(f"{what}: tiled must be a bool, got {tiled!r:.60}")
    return bool(tiled)


def psum(x: Any, axis_name: Any) -> Any:
    """The sum of `x` (a pytree) over the lanes of the named axis/axes, in every lane.

    Booleans are summed as int64 (NumPy's sum). A value that is no traced array
    (a constant, a Python number) is the same in every lane: its psum is
    ``size * x``, computed at once."""
    names = _axis_names("psum", axis_name)
    size = core.axis_size(names, "psum")

    def one(leaf: Any) -> Any:
        if not isinstance(leaf, core.Tracer):
            return fnp.multiply(leaf, size)
        if aval_of(leaf).dtype == dtypes.bool_:
            leaf = convert_element_type(leaf, dtypes.int64)
        return P.psum_p.bind(leaf, axis_name=names)
    return tree.map(one, x)


def pmean(x: Any, axis_name: Any) -> Any:
    """The mean of `x` over the lanes of the named axes (integers give floats, as
    NumPy's mean)."""
    names = _axis_names("pmean", axis_name)
    size = core.axis_size(names, "pmean")
    return tree.map(lambda s: fnp.true_divide(s, size), psum(x, names))


def _chooser(prim: P.Primitive) -> Any:
    def f(x: Any, axis_name: Any) -> Any:
        names = _axis_names(prim.name, axis_name)
        return tree.map(lambda leaf: prim.bind(asarray_operand(leaf), axis_name=names), x)
    f.__name__ = prim.name
    f.__qualname__ = prim.name
    f.__doc__ = (f"The elementwise {prim.name[1:]}imum of `x` (a pytree) over the lanes of the "
                 "named axis/axes, in every lane.")
    return f


pmax = _chooser(P.pmax_p)
pmin = _chooser(P.pmin_p)


def _sized(fname: str, axis_name: Any, tiled: Any) -> tuple[tuple[Any, ...], int, bool]:
    """The checked axis names, the size of those axes in scope, and the `tiled` flag."""
    names = _axis_names(fname, axis_name)
    return names, core.axis_size(names, fname), _flag(fname, tiled)


def all_gather(x: Any, axis_name: Any, *, axis: int = 0, tiled: bool = False) -> Any:
    """Every lane's `x` (a pytree), in every lane: stacked along a new axis at
    `axis` (lane order), or with ``tiled=True`` concatenated along `axis`."""
    names, size, tiled = _sized("all_gather", axis_name, tiled)

    def one(leaf: Any) -> Any:
        leaf = asarray_operand(leaf)
        nd = aval_of(leaf).ndim
        a = _position("all_gather", "axis", axis, nd if tiled else nd + 1)
        return P.all_gather_p.bind(leaf, axis_name=names, axis=a, tiled=tiled, axis_size=size)
    return tree.map(one, x)


def psum_scatter(x: Any, axis_name: Any, *, scatter_dimension: int = 0,
                 tiled: bool = False) -> Any:
    """The psum of `x` (a pytree), split along `scatter_dimension` into one block
    per lane: lane r gets block r. Not `tiled`, that dimension must have one
    entry per lane and is removed; `tiled`, it must split evenly."""
    names, size, tiled = _sized("psum_scatter", axis_name, tiled)

    def one(leaf: Any) -> Any:
        leaf = asarray_operand(leaf)
        sd = _position("psum_scatter", "scatter_dimension", scatter_dimension,
                       aval_of(leaf).ndim)
        return P.psum_scatter_p.bind(leaf, axis_name=names, scatter_dimension=sd, tiled=tiled,
                                     axis_size=size)
    return tree.map(one, x)


def all_to_all(x: Any, axis_name: Any, split_axis: int, concat_axis: int, *,
               tiled: bool = False) -> Any:
    """Each lane splits `x` (a pytree) along `split_axis` into one block per lane
    and sends block j to lane j; the blocks a lane receives are concatenated in
    lane order along `concat_axis`. Not `tiled`, `split_axis` has one entry per
    lane and is removed, and the received blocks are stacked along a new axis
    at `concat_axis` of the result."""
    names, size, tiled = _sized("all_to_all", axis_name, tiled)

    def one(leaf: Any) -> Any:
        leaf = asarray_operand(leaf)
        nd = aval_of(leaf).ndim
        s = _position("all_to_all", "split_axis", split_axis, nd)
        c = _position("all_to_all", "concat_axis", concat_axis, nd)
        return P.all_to_all_p.bind(leaf, axis_name=names, split_axis=s, concat_axis=c,
                                   tiled=tiled, axis_size=size)
    return tree.map(one, x)


def ppermute(x: Any, axis_name: Any, perm: Sequence[tuple[int, int]]) -> Any:
    """Send each lane's `x` (a pytree) along `perm`, pairs (source, destination)
    of lane indices: each lane at most once a source and once a destination. A
    lane that is no destination gets zeros."""
    names = _axis_names("ppermute", axis_name)
    try:
        pairs = tuple((int(s), int(d)) for s, d in perm)
    except (TypeError, ValueError):
        raise TypeError(f"ppermute: perm must be a sequence of (source, destination) int "
                        f"pairs, got {perm!r:.80}") from None
    P.collectives.check_perm(pairs)
    return tree.map(lambda leaf: P.ppermute_p.bind(asarray_operand(leaf), axis_name=names,
                                                   perm=pairs), x)


def axis_index(axis_name: Any) -> Any:
    """This lane's index along the named axis (row-major over a tuple of names),
    an int32 scalar: int32 as in JAX, not funcgrad's default int64."""
    return P.axis_index_p.bind(axis_name=_axis_names("axis_index", axis_name))
