"""vmap's interpreter: `BatchTrace`, `BatchTracer`, the rule table and shared helpers.

A `BatchTracer` stands for a stack of `axis_size` values: it holds the stacked
value `val` (a value of the parent trace) and `batch_dim`, the axis of `val`
the stack runs along. Values that are not this trace's tracers are unbatched:
the same for every lane. A primitive whose operands are all unbatched is bound
unchanged under the parent; otherwise its rule from `batch_rules` runs under
the parent:

    rule(axis_size, args, dims, **params) -> (outs, out_dims)

`dims[i]` is the batch axis of `args[i]`, or None where `args[i]` is
unbatched; `outs`/`out_dims` are lists, one entry per result (None marks a
result that is the same for every lane).

Named axes: ``vmap(f, axis_name="i")`` gives its trace a name, and the
trace's `BatchAxis` (size, name) says which named axis it maps. A collective
naming that axis (psum, all_gather, axis_index, ...) is computed here, across
the lanes of the batch axis, even where its operands are unbatched (they are
then the same in every lane); one naming only other axes is bound again on
the batched operands, for an enclosing trace to compute. The rules of the
primitives in `AXIS_RULES` -- the collectives, and the primitives carrying
Programs, which batch their Programs over the same named axis -- take the
`BatchAxis` in place of the size:

    rule(axis: BatchAxis, args, dims, **params) -> (outs, out_dims)

and they run even with every operand unbatched when their Programs use the
trace's axis name (`axis_names_used`).

Invariants: rules move a batch axis only when the primitive needs it
somewhere else (elementwise operands are aligned, reductions and contractions
shift their axes around it, `dot_general` folds it into its batch or free
dimensions, gather/scatter make it a window or an index batching dimension);
call primitives (`jit`, `checkpoint`, the custom-derivative calls) batch their
Programs (`batch_program`) and stay one call.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple, Protocol

from funcgrad import core, primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.ir import Program, subprograms
from funcgrad.transforms.programs import cached, named, no_tracers
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program


Dim = int | None


class BatchRule(Protocol):
    """The signature every batching rule has. Rules name their own params
    keyword-only (``*, axes``), which a type checker does not accept as
    ``**params: Any``, so the table holds them as callables with this protocol's
    result."""
    def __call__(self, axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
                 **params: Any) -> tuple[list[Any], list[Dim]]: ...


class BatchAxis(NamedTuple):
    """The axis a `BatchTrace` maps over: its size, and the name
    ``vmap(axis_name=...)`` gave it (None for an unnamed axis)."""
    size: int
    name: Hashable | None = None


batch_rules: dict[Primitive, Callable[..., tuple[list[Any], list[Dim]]]] = {}

# Primitives whose rule takes the `BatchAxis` in place of the batch size (the
# collectives, and the primitives carrying Programs); `axis_rule` registers one.
AXIS_RULES: set[Primitive] = set()


def axis_rule(prim: Primitive, rule: Callable[..., tuple[list[Any], list[Dim]]]) -> None:
    """Register `rule`, which takes the `BatchAxis`, as the batching rule of `prim`."""
    batch_rules[prim] = rule
    AXIS_RULES.add(prim)

# Primitives without a rule, each with the reason (the coverage test reads this).
NO_RULE: dict[Primitive, str] = {
    P.iota_p: "it takes no operands, so its result is never batched",
}


# ---------------------------------------------------------------------------
# The interpreter


class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim")

    def __init__(self, trace: BatchTrace, val: Any, batch_dim: int):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        a = core.get_aval(self.val)
        d = self.batch_dim
        return a.update(shape=a.shape[:d] + a.shape[d + 1:])


class BatchTrace(Trace):
    __slots__ = ("axis_size", "axis_name", "axis")
    kind = "vmap"

    def __init__(self, parent: Trace | None, axis_size: int, axis_name: Hashable | None = None):
        super().__init__(parent)
        self.axis_size = axis_size
        self.axis_name = axis_name
        self.axis = BatchAxis(axis_size, axis_name)

    def unpack(self, x: Any) -> tuple[Any, Dim]:
        if self.is_own(x):
            return x.val, x.batch_dim
        return x, None

    def names_own_axis(self, prim: Primitive, params: dict[str, Any]) -> bool:
        """Whether `prim` acts across this trace's named axis: a collective naming
        it, or a primitive whose Programs hold one."""
        name = self.axis_name
        if name is None or prim not in AXIS_RULES:
            return False
        if isinstance(prim, P.CollectivePrimitive):
            return name in params["axis_name"]
        return any(name in axis_names_used(p) for p in subprograms(params))

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        vals, dims = [], []
        for x in args:
            v, d = self.unpack(x)
            vals.append(v)
            dims.append(d)
        parent = self.parent
        assert parent is not None
        if all(d is None for d in dims) and not self.names_own_axis(prim, params):
            with core.set_trace(parent):
                out = prim.bind(*vals, **params)
            return list(out) if prim.multiple_results else [out]
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(f"vmap: the primitive {prim.name} has no batching rule")
        with core.set_trace(parent):
            outs, out_dims = rule(self.axis if prim in AXIS_RULES else self.axis_size,
                                  vals, dims, **params)
        return [o if d is None else BatchTracer(self, o, d)
                for o, d in zip(outs, out_dims, strict=True)]


_axis_names_cache = LRUCache("axis names of programs")


def axis_names_used(program: Program) -> frozenset[Hashable]:
    """The axis names the collectives of `program` (sub-Programs included) name."""
    def build() -> tuple[frozenset[Hashable], bool]:
        names: set[Hashable] = set()
        for eqn in program.eqns:
            if isinstance(eqn.prim, P.CollectivePrimitive):
                names.update(eqn.params["axis_name"])
            for sub in subprograms(eqn.params):
                names |= axis_names_used(sub)
        return frozenset(names), True
    result: frozenset[Hashable] = cached(_axis_names_cache, program, build)
    return result


# ---------------------------------------------------------------------------
# Helpers shared by the rules (each runs under the parent trace)


def ndim_of(x: Any) -> int:
    return core.get_aval(x).ndim


def shift_axis(axis: int, bdim: int) -> int:
    """Where an axis of the unbatched value sits once `bdim` is inserted."""
    return axis + 1 if axis >= bdim else axis


def move_bdim(x: Any, src: Dim, dst: int, axis_size: int) -> Any:
    """`x` with its batch axis at `dst`: transposed if it is elsewhere, broadcast
    (materialised) if `x` is unbatched."""
    if src is None:
        aval = core.get_aval(x)
        shape = (*aval.shape[:dst], axis_size, *aval.shape[dst:])
        dims = tuple(shift_axis(i, dst) for i in range(aval.ndim))
        return P.broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=dims)
    if src == dst:
        return x
    perm = [i for i in range(ndim_of(x)) if i != src]
    perm.insert(dst, src)
    return P.transpose_p.bind(x, permutation=tuple(perm))


def align_elementwise(axis_size: int, args: Sequence[Any],
                      dims: Sequence[Dim]) -> tuple[list[Any], int]:
    """Operands of a broadcasting elementwise primitive, rewritten so NumPy's
    right-aligned broadcasting still pairs the right axes once batch axes are in.

    The output gets rank R = r + 1 (r: the unbatched output rank) with its batch
    axis at `out_dim`, chosen where the first full-rank batched operand already
    has it. Each operand's axes must land on their output positions: a batched
    operand is transposed only if its batch axis is out of order relative to
    its other axes there, and gets size-1 axes (expand_dims, no data movement)
    where it lacks an output axis; an unbatched operand is left alone unless it
    reaches over the batch position, where it gets a size-1 axis.
    """
    ranks = [ndim_of(x) - (d is not None) for x, d in zip(args, dims, strict=True)]
    r = max(ranks)
    rank = r + 1
    batched = [(k, d) for k, d in zip(ranks, dims, strict=True) if d is not None]
    k0, d0 = next(((k, d) for k, d in batched if k == r), batched[0])
    out_dim = d0 + (r - k0)      # where that operand's batch axis lands right-aligned
    free = [p for p in range(rank) if p != out_dim]
    out = []
    for x, k, d in zip(args, ranks, dims, strict=True):
        positions = free[len(free) - k:]          # where x's own axes go
        if d is None:
            if k <= rank - 1 - out_dim:           # entirely right of the batch axis
                out.append(x)
                continue
        else:
            positions = positions[:d] + [out_dim] + positions[d:]
            if positions != sorted(positions):
                perm = sorted(range(len(positions)), key=positions.__getitem__)
                x = P.transpose_p.bind(x, permutation=tuple(perm))
                positions = sorted(positions)
        start = min(positions[0], out_dim) if positions else out_dim
        ones = tuple(p - start for p in range(start, rank) if p not in positions)
        if ones:
            x = P.expand_dims_p.bind(x, dimensions=ones)
        out.append(x)
    return out, out_dim


# ---------------------------------------------------------------------------
# Programs: batch a Program as a Program (call primitives, control-flow bodies)

_batch_cache = LRUCache("batched programs")


def batched_aval(a: ShapedArray, d: Dim, axis_size: int) -> ShapedArray:
    return a if d is None else a.update(shape=(*a.shape[:d], axis_size, *a.shape[d:]))


def batch_program(program: Program, dims: Sequence[Dim], axis: BatchAxis,
                  force: Sequence[bool] | None = None) -> tuple[Program, list[Any], list[Dim]]:
    """The Program computing `program` over inputs batched at `dims` along `axis`
    (its collectives naming the axis computed across the lanes).

    Returns it (constants as leading inputs), its constants and its outputs'
    batch axes. With `force` None an output keeps the batch axis it gets (None
    where it does not depend on a batched input); with `force` given every
    batched output has its batch axis at 0, and the outputs marked in `force`
    are batched (broadcast) even where they would not be. Cached, so that eager
    calls of the batched program hit the executable cache.
    """
    dims = tuple(dims)
    force_t = None if force is None else tuple(force)
    axis_size = axis.size

    def build() -> tuple[tuple[Program, list[Any], list[Dim]], bool]:
        in_avals = [batched_aval(a, d, axis_size)
                    for a, d in zip(program.in_avals, dims, strict=True)]
        out_dims: list[Dim] = []

        def batched(*xs: Any) -> list[Any]:
            trace = BatchTrace(core.current_trace(), axis_size, axis.name)
            with core.new_trace(trace):
                args = [x if d is None else BatchTracer(trace, x, d)
                        for x, d in zip(xs, dims, strict=True)]
                outs = [trace.unpack(o) for o in eval_program(program, args)]
            res = []
            for j, (o, d) in enumerate(outs):
                if force_t is not None and (d is not None or force_t[j]):
                    o, d = move_bdim(o, d, 0, axis_size), 0
                res.append(o)
                out_dims.append(d)
            return res

        name = program.name if force_t is None else f"vmap_{program.name}"
        staged, consts = trace_to_program(batched, in_avals, name=name, kind="vmap")
        return (hoist_consts(staged), consts, out_dims), no_tracers(consts)

    return cached(_batch_cache, (program, dims, axis, force_t), build)


# ---------------------------------------------------------------------------
# helpers that make rules


def elementwise_batch(prim: Primitive) -> BatchRule:
    """Unary ops keep the batch axis in place; n-ary ones align their operands."""
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
             **params: Any) -> tuple[list[Any], list[Dim]]:
        if len(args) == 1:
            return [prim.bind(args[0], **params)], [dims[0]]
        vals, out_dim = align_elementwise(axis_size, args, dims)
        return [prim.bind(*vals, **params)], [out_dim]
    return named(rule, f"_{prim.name}_batch")


def call_batch(prim: Primitive) -> Callable[..., tuple[list[Any], list[Dim]]]:
    """jit and checkpoint (register with `axis_rule`): their `program` batched,
    other params unchanged."""
    def rule(axis: BatchAxis, args: Sequence[Any], dims: Sequence[Dim], *, program: Program,
             **params: Any) -> tuple[list[Any], list[Dim]]:
        batched, consts, out_dims = batch_program(program, dims, axis)
        outs = prim.bind(*consts, *args, program=batched, **params)
        return list(outs), list(out_dims)
    return named(rule, f"_{prim.name}_batch")


def trailing_op_batch(prim: Primitive, core_ndim: Callable[..., int]) -> BatchRule:
    """Linear algebra and FFT act on trailing axes and batch over the leading ones:
    a batch axis among the leading axes stays; one among the trailing axes moves
    to the front. Every operand shares the batch axis (one shared by all lanes is
    broadcast: the primitive needs equal batch dimensions)."""
    def rule(axis_size: int, args: Sequence[Any], dims: Sequence[Dim],
             **params: Any) -> tuple[list[Any], list[Dim]]:
        lead = ndim_of(args[0]) - (dims[0] is not None) - core_ndim(**params)
        d = next(d for d in dims if d is not None)
        d = d if d <= lead else 0
        xs = [move_bdim(x, dx, d, axis_size) for x, dx in zip(args, dims, strict=True)]
        out = prim.bind(*xs, **params)
        outs = list(out) if prim.multiple_results else [out]
        return outs, [d] * len(outs)
    return named(rule, f"_{prim.name}_batch")
