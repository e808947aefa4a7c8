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
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import core, dtypes, tree
from funcgrad import primitives as P
from funcgrad.core import shape_error
from funcgrad.numpy._util import asarray_operand, aval_of

DotDims = P.DotDims


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return P.dot_general_p.bind(asarray_operand(lhs), asarray_operand(rhs),
                                dimension_numbers=dims)


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
                   allow_negative_indices: bool | Sequence[bool]) -> list[Any]:
    """One int64 scalar per dimension. A negative start counts from the end of its
    dimension once (JAX's ``allow_negative_indices``); the primitive then clamps the
    start so the window fits, which is dynamic_slice's documented behaviour."""
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
    out = []
    for v, n, neg in zip(start_indices, shape, allow, strict=True):
        i = asarray_operand(v)
        a = aval_of(i)
        if a.shape != () or not dtypes.is_integer(a.dtype):
            raise TypeError(f"{name}: start indices must be integer scalars, got "
                            f"{a.str_short()}")
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
                         allow_negative_indices)
    return P.dynamic_slice_p.bind(x, *idx, slice_sizes=tuple(slice_sizes))


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any], *,
                         allow_negative_indices: bool | Sequence[bool] = True) -> Any:
    x = asarray_operand(x)
    idx = _start_indices("dynamic_update_slice", aval_of(x).shape, start_indices,
                         allow_negative_indices)
    return P.dynamic_update_slice_p.bind(x, asarray_operand(update), *idx)


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


def reshape(x: Any, new_sizes: Sequence[int]) -> Any:
    return P.reshape_p.bind(asarray_operand(x), new_sizes=tuple(new_sizes))


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    return P.transpose_p.bind(asarray_operand(x), permutation=tuple(permutation))


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    return P.rev_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def squeeze(x: Any, dimensions: Sequence[int]) -> Any:
    return P.squeeze_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


def expand_dims(x: Any, dimensions: Sequence[int]) -> Any:
    return P.expand_dims_p.bind(asarray_operand(x), dimensions=tuple(dimensions))


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


def _unary(prim: P.Primitive) -> Any:
    def f(x: Any) -> Any:
        return prim.bind(asarray_operand(x))
    f.__name__ = prim.name
    return f


def _binary(prim: P.Primitive) -> Any:
    def f(x: Any, y: Any) -> Any:
        return prim.bind(asarray_operand(x), asarray_operand(y))
    f.__name__ = prim.name
    return f


for _p in P.UNARY:
    globals()[_p.name] = _unary(_p)
for _p in P.BINARY:
    globals()[_p.name] = _binary(_p)

from funcgrad.control_flow import cond, fori_loop, map, scan, switch, while_loop  # noqa: E402,F401,A004


def with_sharding_constraint(x: Any, shardings: Any) -> Any:
    """Pin the layout of `x` (a pytree) over a mesh: `shardings` is a NamedSharding or a
    pytree prefix of `x` of them (None: leave that leaf to XLA). Under `jit` it is
    a fixed point of XLA's sharding propagation; differentiated, the tangent and
    the cotangent get the same layout; on concrete Arrays it lays them out now
    (like ``fg.device_put``)."""
    from funcgrad import tree
    from funcgrad.api import device_put
    from funcgrad.core import Tracer
    from funcgrad.sharding import NamedSharding, Sharding

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


def all_gather(x: Any, axis_name: Any, *, axis: int = 0, tiled: bool = False) -> Any:
    """Every lane's `x` (a pytree), in every lane: stacked along a new axis at
    `axis` (lane order), or with ``tiled=True`` concatenated along `axis`."""
    names = _axis_names("all_gather", axis_name)
    size = core.axis_size(names, "all_gather")
    tiled = _flag("all_gather", tiled)

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
    names = _axis_names("psum_scatter", axis_name)
    size = core.axis_size(names, "psum_scatter")
    tiled = _flag("psum_scatter", tiled)

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
    names = _axis_names("all_to_all", axis_name)
    size = core.axis_size(names, "all_to_all")
    tiled = _flag("all_to_all", tiled)

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


# ---------------------------------------------------------------------------
# Implicitly differentiated solves: custom_linear_solve and custom_root. Each
# stages the user's functions on the avals of the right-hand side (guess) and
# binds a primitive (linear_solve) or a custom_jvp function over the Programs;
# derivatives come from the solution, never from the solver's iterations.

import functools as _functools  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import NamedTuple as _NamedTuple  # noqa: E402

from funcgrad.autodiff import jvp as _jvp  # noqa: E402
from funcgrad.autodiff import linear_transpose as _linear_transpose  # noqa: E402
from funcgrad.autodiff import linearize as _linearize  # noqa: E402
from funcgrad.control_flow import Staged as _Staged  # noqa: E402
from funcgrad.control_flow import stage as _stage  # noqa: E402
from funcgrad.custom_rules import custom_jvp as _custom_jvp  # noqa: E402
from funcgrad.ir import Program as _Program  # noqa: E402
from funcgrad.transforms.staging import eval_program as _eval_program  # noqa: E402


def _vector_operands(fname: str, what: str, x: Any) -> tuple[list[Any], tree.PyTreeDef,
                                                             list[core.ShapedArray]]:
    """The leaves of `x` as operands, the structure of the argument tuple ``(x,)``
    and the leaves' (strong) avals."""
    leaves, args_tree = tree.flatten((x,))
    ops = []
    for path, leaf in zip(tree.leaf_paths(x), leaves, strict=True):
        if not core.is_array_like(leaf) and not hasattr(leaf, "_buf"):
            raise TypeError(f"{fname}: {what}{path} is a {type(leaf).__name__}, not an array; "
                            f"{what} must be an array or a pytree of arrays")
        ops.append(asarray_operand(leaf))
    return ops, args_tree, [aval_of(o).strong() for o in ops]


def _tree_str(treedef: tree.PyTreeDef, avals: Sequence[core.ShapedArray]) -> str:
    return repr(treedef.unflatten([a.str_short() for a in avals])).replace("'", "")


def _check_vector(fname: str, who: str, staged: _Staged, like: str, want_tree: tree.PyTreeDef,
                  want: Sequence[core.ShapedArray], has_aux: bool) -> tree.PyTreeDef:
    """Raise TypeError unless `staged` returns a value of `want_tree` whose leaves
    have the shapes and dtypes `want` (with has_aux, a pair whose first entry is
    such a value). Returns the aux structure (None's for no aux)."""
    out_tree, outs = staged.out_tree, staged.out_avals
    aux_tree = tree.structure(None)
    if has_aux:
        if out_tree.node not in (tuple, list) or len(out_tree.children) != 2:
            raise TypeError(f"{fname}: with has_aux=True, {who} must return a pair "
                            f"(solution, aux), got a value of structure {out_tree}")
        out_tree, aux_tree = out_tree.children
    got = list(outs[:out_tree.num_leaves])
    expected = f"{like}'s structure, shapes and dtypes {_tree_str(want_tree, want)}"
    if out_tree != want_tree:
        raise TypeError(f"{fname}: {who} must return a value with {expected}, but it returned "
                        f"the structure {out_tree}")
    bad = [(p, g, w) for p, g, w in zip(tree.leaf_paths(want_tree.unflatten(want)), got, want,
                                        strict=True) if g.strong() != w.strong()]
    if bad:
        detail = "; ".join(f"leaf{p or ' '}: {g.str_short()} instead of {w.str_short()}"
                           for p, g, w in bad)
        raise TypeError(f"{fname}: {who} must return a value with {expected}, but it returned "
                        f"{_tree_str(out_tree, got)} ({detail})")
    return aux_tree


def _transposed_matvec(matvec: Callable[[Any], Any], y: Any) -> Any:
    """The transpose of the linear map `matvec` applied to `y` (x and b share avals)."""
    (x,) = _linear_transpose(matvec, y)(y)
    return x


def custom_linear_solve(matvec: Callable[[Any], Any], b: Any,
                        solve: Callable[[Callable[[Any], Any], Any], Any],
                        transpose_solve: Callable[[Callable[[Any], Any], Any], Any] | None = None,
                        symmetric: bool = False, has_aux: bool = False) -> Any:
    """``solve(matvec, b)``, differentiated implicitly (JAX's ``lax.custom_linear_solve``).

    The derivative assumes the result x solves ``matvec(x) == b`` and never
    differentiates through `solve`: its JVP is another ``solve`` of
    ``db - dmatvec(x)`` (dmatvec: the tangent of `matvec` with respect to the
    values it closes over), and reverse mode calls
    ``transpose_solve(vecmat, ct)``, where `vecmat` is the transpose of
    `matvec` (computed by `fg.linear_transpose`, or `matvec` itself when
    `symmetric`).

    Args:
      matvec: the linear map ``x -> A x``; x and b have one pytree structure,
        shapes and dtypes.
      b: the right-hand side, an array or a pytree of arrays.
      solve: ``solve(matvec, b) -> x`` with ``matvec(x) == b`` (need not be
        differentiable; it may use while_loop).
      transpose_solve: ``transpose_solve(vecmat, b) -> x`` with ``vecmat(x) == b``;
        needed for reverse mode. With ``symmetric=True`` it defaults to `solve`.
      symmetric: the map is symmetric, so ``vecmat == matvec``.
      has_aux: `solve` and `transpose_solve` return ``(x, aux)``; aux is
        returned as well and has zero derivative.

    Returns x (``(x, aux)`` with has_aux). Raises TypeError naming the
    function when matvec, solve or transpose_solve return a value whose
    structure, shapes or dtypes are not b's.

    Example::

        x = lax.custom_linear_solve(lambda v: a @ v, b,
                                    solve=lambda mv, r: fnp.linalg.solve(a, r),
                                    symmetric=True)
    """
    fname = "custom_linear_solve"
    for f, n in ((matvec, "matvec"), (solve, "solve")):
        if not callable(f):
            raise TypeError(f"{fname}: {n} must be callable, got {type(f).__name__}")
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    if transpose_solve is not None and not callable(transpose_solve):
        raise TypeError(f"{fname}: transpose_solve must be callable or None, got "
                        f"{type(transpose_solve).__name__}")
    b_ops, args_tree, avals = _vector_operands(fname, "b", b)
    b_tree = args_tree.children[0]
    mv = _stage(matvec, args_tree, avals, f"{fname} matvec")
    _check_vector(fname, "matvec(x)", mv, "b", b_tree, avals, False)
    sv = _stage(_functools.partial(solve, matvec), args_tree, avals, f"{fname} solve")
    _check_vector(fname, "solve(matvec, b)", sv, "b", b_tree, avals, has_aux)
    vm: _Staged | None = None
    ts: _Staged | None = None
    if transpose_solve is not None:
        vecmat = matvec if symmetric else _functools.partial(_transposed_matvec, matvec)
        vm = mv if symmetric else _stage(vecmat, args_tree, avals, f"{fname} vecmat")
        ts = _stage(_functools.partial(transpose_solve, vecmat), args_tree, avals,
                    f"{fname} transpose_solve")
        _check_vector(fname, "transpose_solve(vecmat, b)", ts, "b", b_tree, avals, has_aux)
    groups = [mv.consts, [] if vm is None else vm.consts, sv.consts,
              [] if ts is None else ts.consts]
    outs = P.linear_solve_p.bind(
        *(c for g in groups for c in g), *b_ops, matvec=mv.program,
        vecmat=None if vm is None else vm.program, solve=sv.program,
        transpose_solve=None if ts is None else ts.program,
        const_lengths=tuple(len(g) for g in groups))
    return sv.out_tree.unflatten(outs)


class _RootSpec(_NamedTuple):
    """custom_root's staged functions: f (x -> residual), solve (guess -> root [+ aux])
    and tangent_solve (root, rhs -> the solution of f's linearization at root = rhs),
    each taking its constants first (their counts in `const_lengths`)."""
    f: _Program
    solve: _Program
    tangent_solve: _Program
    const_lengths: tuple[int, int, int]


def _root_solve(spec: _RootSpec, *args: Any) -> list[Any]:
    n_f, n_s, n_t = spec.const_lengths
    return _eval_program(spec.solve, [*args[n_f:n_f + n_s], *args[n_f + n_s + n_t:]])


_root_call = _custom_jvp(_root_solve, nondiff_argnums=(0,))


@_root_call.defjvp
def _root_call_jvp(spec: _RootSpec, primals: tuple[Any, ...],
                   tangents: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    # f(p, x*(p)) = 0 near p, so  d_p f + d_x f . dx* = 0  and  dx* = -(d_x f)^{-1} (d_p f . dp)
    n_f, n_s, n_t = spec.const_lengths
    outs = _root_call(spec, *primals)
    n = len(spec.f.outvars)
    root, aux = list(outs[:n]), list(outs[n:])
    f_consts = list(primals[:n_f])
    diff = [i for i, c in enumerate(f_consts) if dtypes.is_inexact(aval_of(c).dtype)]

    def f_at_root(*ps: Any) -> list[Any]:
        consts = list(f_consts)
        for i, p in zip(diff, ps, strict=True):
            consts[i] = p
        return _eval_program(spec.f, [*consts, *root])

    if diff:
        _, rhs = _jvp(f_at_root, [f_consts[i] for i in diff], [tangents[i] for i in diff])
    else:
        rhs = [fnp.zeros_like(r) for r in root]
    t_consts = primals[n_f + n_s:n_f + n_s + n_t]
    root_dot = [-d for d in _eval_program(spec.tangent_solve, [*t_consts, *root, *rhs])]
    return outs, [*root_dot, *(fnp.zeros_like(a) for a in aux)]


def _linearize_and_solve(f: Callable[[Any], Any], tangent_solve: Callable[..., Any], x: Any,
                         rhs: Any) -> Any:
    _, f_jvp = _linearize(f, x)
    return tangent_solve(f_jvp, rhs)


def custom_root(f: Callable[[Any], Any], initial_guess: Any,
                solve: Callable[[Callable[[Any], Any], Any], Any],
                tangent_solve: Callable[[Callable[[Any], Any], Any], Any],
                has_aux: bool = False) -> Any:
    """A root of `f` found by ``solve(f, initial_guess)``, differentiated by the
    implicit function theorem (JAX's ``lax.custom_root``).

    The derivative of the root with respect to the values `f` closes over is
    ``-tangent_solve(g, d_params f)``, where ``g`` is the linearization of `f` in
    x at the root; `solve`'s iterations are never differentiated.

    Args:
      f: x -> residual, a function whose root is sought; x and its output have
        the structure, shapes and dtypes of `initial_guess`.
      initial_guess: the starting point, an array or a pytree of arrays.
      solve: ``solve(f, initial_guess) -> root`` (``(root, aux)`` with has_aux).
      tangent_solve: ``tangent_solve(g, y) -> x`` solving the linear system
        ``g(x) == y``; e.g. ``lambda g, y: y / g(1.0)`` for a scalar root, or
        a `custom_linear_solve` / `funcgrad.scipy.sparse.linalg` solve.
      has_aux: `solve` returns ``(root, aux)``; aux has zero derivative.

    Example (Newton's method for the square root of a)::

        def newton(f, x):
            for _ in range(20):
                x = x - f(x) / fg.grad(f)(x)
            return x
        root = lax.custom_root(lambda x: x ** 2 - a, 1.0, newton,
                               lambda g, y: y / g(1.0))
    """
    fname = "custom_root"
    for fn, n in ((f, "f"), (solve, "solve"), (tangent_solve, "tangent_solve")):
        if not callable(fn):
            raise TypeError(f"{fname}: {n} must be callable, got {type(fn).__name__}")
    ops, args_tree, avals = _vector_operands(fname, "initial_guess", initial_guess)
    g_tree = args_tree.children[0]
    fs = _stage(f, args_tree, avals, f"{fname} f")
    _check_vector(fname, "f(x)", fs, "initial_guess", g_tree, avals, False)
    ss = _stage(_functools.partial(solve, f), args_tree, avals, f"{fname} solve")
    _check_vector(fname, "solve(f, initial_guess)", ss, "initial_guess", g_tree, avals, has_aux)
    pair_tree = tree.structure((g_tree.unflatten(avals), g_tree.unflatten(avals)))
    ts = _stage(_functools.partial(_linearize_and_solve, f, tangent_solve), pair_tree,
                [*avals, *avals], f"{fname} tangent_solve")
    _check_vector(fname, "tangent_solve(g, y)", ts, "initial_guess", g_tree, avals, False)
    spec = _RootSpec(fs.program, ss.program, ts.program,
                     (len(fs.consts), len(ss.consts), len(ts.consts)))
    outs = _root_call(spec, *fs.consts, *ss.consts, *ts.consts, *ops)
    return ss.out_tree.unflatten(outs)
