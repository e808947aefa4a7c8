"""User-defined derivatives: custom_jvp, custom_vjp, custom_gradient, closure_convert.

Each decorated function, called under a transformation, is staged once per
abstract signature into a Program and bound as a call primitive
(`custom_jvp_call`, `custom_vjp_call`) that holds the Program and flat
wrappers of the user's rule functions. Called eagerly outside any
transformation it simply runs the Python function.

- custom_jvp: forward and reverse mode both use the user's JVP rule (reverse
  mode linearizes and transposes it, so the rule's tangent output must be
  linear in the tangents, as in JAX).
- custom_vjp: reverse mode runs `fwd` and transposes into `bwd`. Forward mode
  runs `fwd` too and gets ``t -> J t`` by transposing `bwd` (staged as a
  function of the cotangent, residuals fixed), so bwd must be linear in its
  cotangent. NB: JAX raises for forward mode of a custom_vjp function.

Closures. A function (or its rules) may close over values of enclosing
transformations: tracers of a jit being staged, of a vmap, of a grad. Staging
turns those into the call's leading operands (`num_consts`), and the rule
wrappers read their current values from those operands: while a user's rule
runs, a `_SubstituteTrace` replaces each closed-over tracer by the operand's
value. So a rule keeps working after the trace that made its closure has
finished (``grad(jit(f))``), under vmap, and when a closed-over value is
itself differentiated. A custom_jvp function differentiated with respect to a
value it closes over gets that part of its derivative from its own code
(NB: JAX raises there); a custom_vjp's rules say nothing about such a value,
so differentiating with respect to it raises, as in JAX (`closure_convert`
makes it an argument).

Values. Under an eager ``grad`` (outside jit), the arguments' values are
known: Python in the function or its rules may ask for them (``if x > 0``),
as in JAX; staging computes them on demand.

Example::

    @fg.custom_jvp
    def log1pexp(x):
        return fnp.log1p(fnp.exp(x))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t / (1 + fnp.exp(-x))     # stable for large x
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import numpy as np

from funcgrad import core, dtypes, tree
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import Primitive, ShapedArray, Trace, Tracer
from funcgrad.dispatch import run_program
from funcgrad.ir import Atom, Program, user_value
from funcgrad.remat import keyable
from funcgrad.transforms.jvp import JVPTracer
from funcgrad.transforms.programs import (Zero, cached, convert, differentiable, instantiate,
                                          no_tracers, stage, tangent_aval)
from funcgrad.transforms.transpose import transpose_linear_flat
from funcgrad.transforms.staging import (Materializer, StagingTrace, StagingTracer,
                                         eval_program, hoist_consts, trace_to_program)

__all__ = ["closure_convert", "custom_gradient", "custom_jvp", "custom_vjp"]

Fun = Callable[..., Any]


def _is_eager() -> bool:
    return core.current_trace() is core.eval_trace


def _resolve_kwargs(fun: Fun, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{getattr(fun, '__name__', 'function')}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError("custom_jvp/custom_vjp functions take keyword arguments only for "
                        "positional parameters; got keyword-only "
                        f"{', '.join(bound.kwargs)}")
    return tuple(bound.args)


# ---------------------------------------------------------------------------
# closure conversion


class _SubstituteTrace(Trace):
    """Runs a user's rule with the tracers it closes over replaced by the values
    the call received for them; everything else goes to the parent unchanged."""

    __slots__ = ("mapping",)
    kind = "custom rule"
    parent: Trace

    def __init__(self, parent: Trace, mapping: dict[int, tuple[Any, Any]]):
        super().__init__(parent)
        self.mapping = mapping     # id(closed-over object) -> (the object, its value)

    def process_primitive(self, prim: Primitive, args: Sequence[Any],
                          params: dict[str, Any]) -> list[Any]:
        mapping = self.mapping
        args = [mapping[id(a)][1] if isinstance(a, Tracer) and id(a) in mapping else a
                for a in args]
        with core.set_trace(self.parent):
            out = prim.bind(*args, **params)
        return out if prim.multiple_results else [out]


def _active_substitutions() -> dict[int, tuple[Any, Any]]:
    """The substitutions of every rule running now, innermost first."""
    found: dict[int, tuple[Any, Any]] = {}
    t: Trace | None = core.current_trace()
    while t is not None:
        if type(t) is _SubstituteTrace:
            for k, v in t.mapping.items():
                found.setdefault(k, v)
        t = t.parent
    return found


class _ClosureStagingTrace(StagingTrace):
    """Staging that sees a closed-over tracer through the substitutions of the
    rules running now (it may belong to a finished trace) and remembers, for
    each constant, the objects the user's code knows it by."""

    __slots__ = ("subst", "originals")

    def __init__(self, parent: Trace, kind: str, materializer: Materializer | None,
                 arg_values: Sequence[Any], subst: dict[int, tuple[Any, Any]]):
        super().__init__(parent, kind, materializer, arg_values)
        self.subst = subst
        self.originals: dict[int, list[Any]] = {}

    def to_atom(self, x: Any) -> Atom:
        if isinstance(x, Tracer) and x._trace is not self and id(x) in self.subst:
            value = self.subst[id(x)][1]
            self.originals.setdefault(id(value), []).append(x)
            x = value
        return super().to_atom(x)


class Closure:
    """The constants of a staged function that its rules must see by value:
    tracers (which may die, or carry derivatives) and the objects the user's
    code knows them by."""

    __slots__ = ("positions", "objects")

    def __init__(self, consts: Sequence[Any], originals: dict[int, list[Any]]):
        self.positions = [i for i, c in enumerate(consts)
                          if isinstance(c, Tracer) or id(c) in originals]
        self.objects = [[consts[i], *originals.get(id(consts[i]), [])] for i in self.positions]

    def __bool__(self) -> bool:
        return bool(self.positions)

    def pick(self, consts: Sequence[Any]) -> list[Any]:
        """The values at the positions that need substituting."""
        return [consts[i] for i in self.positions]

    @contextlib.contextmanager
    def substituting(self, picked: Sequence[Any]) -> Iterator[None]:
        """Run the block with each closed-over object standing for its value in
        `picked` (as given by `pick`)."""
        if not self.positions:
            yield
            return
        mapping = {id(o): (o, v) for objs, v in zip(self.objects, picked, strict=True)
                   for o in objs}
        with core.new_trace(_SubstituteTrace(core.current_trace(), mapping)):
            yield


def _may_have_value(x: Any) -> bool:
    """Whether Python could be given the value of `x` (without computing it now)."""
    while isinstance(x, JVPTracer):
        x = x.primal
    if isinstance(x, StagingTracer):
        trace = x._trace
        return isinstance(trace, StagingTrace) and trace.materializer is not None and trace.alive
    return not isinstance(x, Tracer)


def _concrete(x: Any) -> Any:
    return x.concrete_value() if isinstance(x, Tracer) else x


def _run_on_values(program: Program, args: Sequence[Any]) -> list[Any]:
    """`program` on the values behind `args` (None outputs when one it reads has none)."""
    used = {id(a) for e in program.eqns for a in e.inputs}
    used.update(id(a) for a in program.outvars)
    vals = []
    for v, a in zip((*program.constvars, *program.invars), args, strict=True):
        if id(v) not in used:
            vals.append(np.zeros(v.aval.shape, v.aval.dtype))
            continue
        c = _concrete(a)
        if c is None:
            return [None] * len(program.outvars)
        vals.append(c)
    return run_program(program, vals)


def stage_closed(fun: Fun, avals: Sequence[ShapedArray], values: Sequence[Any] | None,
                 name: str, kind: str) -> tuple[Program, list[Any], Closure, bool]:
    """Stage `fun` (flat in, flat out) to a Program: (program, the constants it
    closes over, their `Closure`, whether Python asked for a value). With
    `values` (the arguments' own) whose values can be had, Python in `fun` may
    ask for traced values (computed on demand): the Program then holds for
    these values only."""
    asks = [0]
    materializer = None
    if values is not None and all(_may_have_value(v) for v in values):
        def materializer(prog: Program, args: Sequence[Any]) -> Sequence[Any]:
            asks[0] += 1
            return _run_on_values(prog, args)
    trace = _ClosureStagingTrace(core.current_trace(), kind, materializer,
                                 values if materializer is not None and values else (),
                                 _active_substitutions())
    with core.new_trace(trace):
        tracers = [trace.new_arg(a) for a in avals]
        outs = fun(*tracers)
    program = trace.to_program(outs, name)
    return program, trace.consts, Closure(trace.consts, trace.originals), asks[0] > 0


class _Staged:
    __slots__ = ("program", "consts", "in_trees", "out_tree", "out_avals", "extra")

    def __init__(self, program: Program, consts: list[Any], in_trees: list[tree.PyTreeDef],
                 out_tree: tree.PyTreeDef):
        self.program = program
        self.consts = consts
        self.in_trees = in_trees
        self.out_tree = out_tree
        self.out_avals = program.out_avals
        self.extra: Any = None


class _CustomBase:
    """Shared plumbing: splitting off nondiff args, staging per signature."""

    kind = "custom"
    __name__: str     # the user's function's, set by update_wrapper

    def __init__(self, fun: Fun, nondiff_argnums: Sequence[int] = ()):
        if not callable(fun):
            raise TypeError(f"{type(self).__name__} expects a callable, got "
                            f"{type(fun).__name__}")
        functools.update_wrapper(cast(Fun, self), fun)
        self.fun = fun
        self.nondiff_argnums = tuple(sorted(set(nondiff_argnums)))
        self._cache = LRUCache("custom rule programs")

    def _split(self, args: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
        for i in self.nondiff_argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{self.__name__}: nondiff_argnums={self.nondiff_argnums} is "
                                 f"out of range for a call with {len(args)} arguments")
        nd = {i % len(args) for i in self.nondiff_argnums}
        return ([a for i, a in enumerate(args) if i in nd],
                [a for i, a in enumerate(args) if i not in nd])

    def _merge(self, nondiff: Sequence[Any], diff: Sequence[Any]) -> list[Any]:
        n = len(nondiff) + len(diff)
        nd = {i % n for i in self.nondiff_argnums}
        a, b = iter(nondiff), iter(diff)
        return [next(a) if i in nd else next(b) for i in range(n)]

    def _bind(self, prim: P.Primitive, rule_param: str, args: tuple[Any, ...]) -> Any:
        """Eagerly, just the function (no derivative is being taken); otherwise
        the call primitive carrying the staged function and the user's rule."""
        if _is_eager():
            return self.fun(*args)
        nondiff, diff = self._split(args)
        staged, leaves = self._stage(nondiff, diff)
        outs = prim.bind(*staged.consts, *leaves, call=staged.program,
                         **{rule_param: staged.extra}, num_consts=len(staged.consts))
        return staged.out_tree.unflatten(outs)

    def _stage(self, nondiff: list[Any], diff: list[Any]) -> tuple[_Staged, list[Any]]:
        leaves, in_tree = tree.flatten(tuple(diff))
        avals = [core.get_aval(x) for x in leaves]
        key = None
        if all(keyable(x) for x in nondiff):
            key = (in_tree, tuple(avals), tuple(nondiff))
            hit = self._cache.lookup(key)
            if hit is not None:
                return hit, leaves
        box: list[tree.PyTreeDef] = []

        def flat(*xs: Any) -> list[Any]:
            out = self.fun(*self._merge(nondiff, list(in_tree.unflatten(xs))))
            out_leaves, out_tree = tree.flatten(out)
            for o in out_leaves:
                if not core.is_array_like(o):
                    raise TypeError(f"{self.__name__}: a {self.kind} function must return "
                                    f"arrays (or pytrees of them), got {type(o).__name__}")
            box.append(out_tree)
            return out_leaves

        program, consts, closure, asked = stage_closed(flat, avals, leaves, self.__name__,
                                                       self.kind)
        staged = _Staged(hoist_consts(program), consts,
                         [tree.structure(d) for d in diff], box[0])
        staged.extra = self._rule(staged, nondiff, in_tree, closure)
        # a Program staged on values (Python asked for one) holds for those values only
        if key is not None and not closure and not asked:
            staged = self._cache.put(key, staged)
        return staged, leaves

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef,
              closure: Closure) -> Any:
        raise NotImplementedError


def _check_like(what: str, name: str, leaves: Sequence[Any],
                avals: Sequence[ShapedArray]) -> None:
    for i, (x, a) in enumerate(zip(leaves, avals, strict=True)):
        xa = core.get_aval(x)
        if xa.shape != a.shape or xa.dtype != a.dtype:
            raise TypeError(f"{name}: {what} #{i} has type {xa.str_short()}, but the function's "
                            f"corresponding value has type {a.str_short()}; a rule must "
                            "return values with the shapes and dtypes of the primal ones")


# ---------------------------------------------------------------------------
# custom_jvp


class custom_jvp(_CustomBase):  # noqa: N801  (JAX's name)
    """A function with a user-defined JVP rule (JAX's ``jax.custom_jvp``).

    ``@f.defjvp`` registers ``rule(*nondiff_args, primals, tangents) ->
    (primal_out, tangent_out)``; primals and tangents are tuples of the
    differentiable arguments. Reverse mode transposes the rule, so its tangent
    output must be linear in the tangents.
    """

    kind = "custom_jvp"

    def __init__(self, fun: Fun, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Fun | None = None

    def defjvp(self, jvp: Fun) -> Fun:
        """Register the JVP rule; returns it, so it can be used as a decorator."""
        self.jvp = jvp
        self._cache.clear()
        return jvp

    def defjvps(self, *tangent_fns: Fun | None) -> None:
        """One rule per differentiable argument: ``fn(t, ans, *args)`` gives that
        argument's contribution to the output tangent (None: no contribution)."""
        def jvp(*rule_args: Any) -> Any:
            primals, tangents = rule_args[-2], rule_args[-1]
            nondiff = rule_args[:-2]
            ans = self(*self._merge(nondiff, list(primals)))
            out = None
            for fn, t, in zip(tangent_fns, tangents, strict=True):
                if fn is None:
                    continue
                c = fn(t, ans, *primals)
                out = c if out is None else tree.map(lambda a, b: a + b, out, c)
            if out is None:
                out = tree.map(lambda a: a * 0, ans)
            return ans, out
        self.defjvp(jvp)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.jvp is None:
            raise AttributeError(f"no JVP rule is defined for the custom_jvp function "
                                 f"{self.__name__}: register one with @{self.__name__}.defjvp")
        return self._bind(P.custom_jvp_call_p, "jvp", _resolve_kwargs(self.fun, args, kwargs))

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef,
              closure: Closure) -> Any:
        rule, name = self.jvp, self.__name__
        assert rule is not None

        def jvp_flat(consts: Sequence[Any], primals: Sequence[Any], tangents: Sequence[Any]
                     ) -> tuple[list[Any], list[Any]]:
            primals = [user_value(p) for p in primals]
            p_tree = tuple(in_tree.unflatten(primals))
            t_tree = tuple(in_tree.unflatten(tangents))
            with closure.substituting(closure.pick(consts)):
                res = rule(*nondiff, p_tree, t_tree)
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"{name}: the custom_jvp rule must return a pair "
                                f"(primal_out, tangent_out), got {type(res).__name__}")
            p_leaves, p_struct = tree.flatten(res[0])
            t_leaves, t_struct = tree.flatten(res[1])
            if p_struct != staged.out_tree or t_struct != staged.out_tree:
                raise TypeError(f"{name}: the custom_jvp rule returned primal output "
                                f"structure {p_struct} and tangent structure {t_struct}; both "
                                f"must match the function's output structure {staged.out_tree}")
            _check_like("primal output", name, p_leaves, staged.out_avals)
            _check_like("tangent output", name, t_leaves, staged.out_avals)
            return p_leaves, t_leaves

        return jvp_flat


# ---------------------------------------------------------------------------
# custom_vjp


class custom_vjp(_CustomBase):  # noqa: N801  (JAX's name)
    """A function with a user-defined VJP (JAX's ``jax.custom_vjp``).

    ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)`` and
    ``bwd(*nondiff_args, residuals, ct_out) -> tuple`` with one cotangent per
    differentiable argument (None for zero). Forward mode (jvp, jacfwd, hessian,
    linearize) uses the transpose of `bwd`, which must then be linear in `ct_out`
    (NB: JAX has no forward mode for custom_vjp functions).
    """

    kind = "custom_vjp"

    def __init__(self, fun: Fun, nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Fun | None = None
        self.bwd: Fun | None = None

    def defvjp(self, fwd: Fun, bwd: Fun) -> None:
        """Register the forward (with residuals) and backward functions."""
        if not callable(fwd) or not callable(bwd):
            raise TypeError("defvjp(fwd, bwd) needs two callables")
        self.fwd, self.bwd = fwd, bwd
        self._cache.clear()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.fwd is None:
            raise AttributeError(f"no VJP is defined for the custom_vjp function "
                                 f"{self.__name__}: register one with "
                                 f"{self.__name__}.defvjp(fwd, bwd)")
        return self._bind(P.custom_vjp_call_p, "fwd", _resolve_kwargs(self.fun, args, kwargs))

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef,
              closure: Closure) -> Any:
        fwd, bwd, name = self.fwd, self.bwd, self.__name__
        assert fwd is not None and bwd is not None
        arg_trees = staged.in_trees

        def fwd_flat(consts: Sequence[Any], primals: Sequence[Any]
                     ) -> tuple[list[Any], list[Any], Any]:
            primals = [user_value(p) for p in primals]
            diff = list(in_tree.unflatten(primals))
            # the closed-over values bwd sees travel with the residuals
            picked = closure.pick(consts)
            with closure.substituting(picked):
                res = fwd(*self._merge(nondiff, diff))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"{name}: fwd must return a pair (output, residuals), got "
                                f"{type(res).__name__}")
            out_leaves, out_struct = tree.flatten(res[0])
            if out_struct != staged.out_tree:
                raise TypeError(f"{name}: fwd's output has structure {out_struct}, but the "
                                f"function's output has structure {staged.out_tree}")
            _check_like("fwd output", name, out_leaves, staged.out_avals)
            res_leaves, res_tree = tree.flatten(res[1])

            def bwd_flat(res_vals: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
                n = len(picked)
                with closure.substituting(res_vals[:n]):
                    ct_in = bwd(*nondiff, res_tree.unflatten(res_vals[n:]),
                                staged.out_tree.unflatten(cts))
                if not isinstance(ct_in, (tuple, list)) or len(ct_in) != len(arg_trees):
                    raise TypeError(f"{name}: bwd must return a tuple with one cotangent per "
                                    f"differentiable argument ({len(arg_trees)}), got "
                                    f"{ct_in!r:.80}")
                flat: list[Any] = []
                for i, (c, t) in enumerate(zip(ct_in, arg_trees, strict=True)):
                    if c is None:
                        flat.extend([None] * t.num_leaves)
                        continue
                    c_leaves, c_tree = tree.flatten(c)
                    if c_tree != t:
                        raise TypeError(f"{name}: bwd's cotangent for argument {i} has "
                                        f"structure {c_tree}, expected {t}")
                    flat.extend(c_leaves)
                in_avals = [v.aval for v in staged.program.invars[len(staged.consts):]]
                for i, (c, a) in enumerate(zip(flat, in_avals, strict=True)):
                    if c is not None and core.get_aval(c).shape != a.shape:
                        raise TypeError(f"{name}: bwd's cotangent #{i} has shape "
                                        f"{core.get_aval(c).shape}, expected {a.shape}")
                return flat

            return out_leaves, [*picked, *res_leaves], _VjpBwd(bwd_flat, name,
                                                                (fwd_flat, res_tree))

        return fwd_flat


_tangent_programs = LRUCache("custom_vjp tangent programs")


class _VjpBwd:
    """A custom_vjp's `bwd` on flat lists (custom_lin's `bwd` param) and, for
    forward mode, its transpose.

    Forward mode needs ``t -> J t`` where bwd computes ``ct -> J^T ct``: bwd is
    staged as a function of the cotangents (the residuals fixed) and that
    Program is transposed. Nothing is staged until forward mode asks, so reverse
    mode pays nothing for it. Two of these are equal when they come from the same
    staged fwd with residuals of one structure: they then stage the same Program,
    and eager calls share its compiled form.
    """

    __slots__ = ("bwd", "name", "key")

    def __init__(self, bwd: Callable[[Sequence[Any], Sequence[Any]], list[Any]], name: str,
                 key: Any):
        self.bwd = bwd
        self.name = name
        self.key = key

    def __call__(self, res: Sequence[Any], cts: Sequence[Any]) -> list[Any]:
        return self.bwd(res, cts)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return type(other) is _VjpBwd and self.key == other.key

    def __repr__(self) -> str:
        return f"<bwd of {self.name}>"

    def tangent_program(self, res_avals: Sequence[ShapedArray], t_avals: Sequence[ShapedArray],
                        ct_avals: Sequence[ShapedArray]) -> tuple[Program, list[Any]]:
        """``(residuals, input tangents) -> output tangents`` as a Program (constants
        as leading inputs) and its constants; raises TypeError when bwd cannot be
        transposed."""
        key = (self, tuple(res_avals), tuple(t_avals), tuple(ct_avals))

        def build() -> tuple[tuple[Program, list[Any]], bool]:
            try:
                program, consts = stage(functools.partial(self._tangent_map, len(res_avals),
                                                          ct_avals),
                                        [*res_avals, *t_avals], f"{self.name}_tangents",
                                        "custom_vjp")
            except Exception as e:
                raise TypeError(
                    f"{self.name}: forward-mode differentiation (jvp, jacfwd, hessian, "
                    "linearize) of this custom_vjp function transposes its bwd, staged as "
                    "a function of the output cotangent with the residuals fixed, and that "
                    f"failed: {e}\nForward mode needs a bwd that is linear in its cotangent: "
                    "no non-linear operations on it, no Python control flow on its value "
                    "(or on the residuals' values), and no traced values other than the "
                    "residuals. Otherwise define the derivative with fg.custom_jvp.") from e
            return (program, consts), no_tracers(consts)

        return cached(_tangent_programs, key, build)

    def _tangent_map(self, num_res: int, ct_avals: Sequence[ShapedArray],
                     *args: Any) -> list[Any]:
        res, ts = list(args[:num_res]), args[num_res:]
        present: list[list[bool]] = []

        def bwd_of_ct(*cts: Any) -> list[Any]:
            cts_in = self.bwd(res, list(cts))
            present.append([c is not None for c in cts_in])
            return [c for c in cts_in if c is not None]

        program, consts = trace_to_program(bwd_of_ct, [tangent_aval(a) for a in ct_avals],
                                           name=f"{self.name}_bwd", kind="custom_vjp")
        # bwd's outputs are the input cotangents: their transpose takes the input tangents
        given = [t for t, p in zip(ts, present[0], strict=True) if p]
        cts_out = [convert(t, a.dtype) if differentiable(a) else Zero(tangent_aval(a))
                   for t, a in zip(given, program.out_avals, strict=True)]
        return [instantiate(c) for c in transpose_linear_flat(program, consts, cts_out)]


# ---------------------------------------------------------------------------
# custom_gradient and closure_convert


class _PullbackResiduals:
    """A custom_gradient's pullback, staged: its Program and the values it closes
    over (the pytree children, so that they travel as custom_vjp residuals)."""

    __slots__ = ("program", "consts", "out_tree", "ct_tree")

    def __init__(self, program: Program, consts: Sequence[Any], out_tree: tree.PyTreeDef,
                 ct_tree: tree.PyTreeDef):
        self.program = program
        self.consts = list(consts)
        self.out_tree = out_tree
        self.ct_tree = ct_tree


tree.register_pytree_node(
    _PullbackResiduals, lambda r: (r.consts, (r.program, r.out_tree, r.ct_tree)),
    lambda aux, consts: _PullbackResiduals(aux[0], list(consts), aux[1], aux[2]))


def custom_gradient(fun: Fun) -> custom_vjp:
    """`fun` returns ``(value, vjp_fn)``; the result computes `value` and
    differentiates (reverse mode) through ``vjp_fn(ct) -> input cotangents``
    (JAX's ``jax.custom_gradient``). `vjp_fn` returns one cotangent per
    argument: a tuple, or the cotangent alone for a one-argument function.

    Example::

        @fg.custom_gradient
        def f(x):
            return x ** 2, lambda g: g * 3 * x      # a deliberately custom gradient
    """
    if not callable(fun):
        raise TypeError(f"custom_gradient expects a callable, got {type(fun).__name__}")
    name = getattr(fun, "__name__", "custom_gradient")

    def split(out: Any) -> tuple[Any, Fun]:
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and callable(out[1])):
            raise TypeError(f"{name}: a custom_gradient function must return a pair "
                            f"(value, vjp_fn) with vjp_fn callable, got {type(out).__name__}")
        return out[0], out[1]

    @functools.wraps(fun)
    def value(*args: Any) -> Any:
        return split(fun(*args))[0]

    def fwd(*args: Any) -> tuple[Any, _PullbackResiduals]:
        out, vjp_fn = split(fun(*args))
        out_leaves, out_tree = tree.flatten(out)
        box: list[tree.PyTreeDef] = []

        def pullback(*cts: Any) -> list[Any]:
            ct_in = vjp_fn(out_tree.unflatten(cts))
            leaves, ct_tree = tree.flatten(ct_in)
            box.append(ct_tree)
            return leaves

        avals = [tangent_aval(core.get_aval(o)) for o in out_leaves]
        program, consts, _, _ = stage_closed(pullback, avals, None, f"{name}_vjp",
                                             "custom_gradient")
        return out, _PullbackResiduals(program, consts, out_tree, box[0])

    def bwd(res: _PullbackResiduals, ct: Any) -> tuple[Any, ...]:
        ct_leaves, ct_tree = tree.flatten(ct)
        if ct_tree != res.out_tree:
            raise TypeError(f"{name}: the output cotangent has structure {ct_tree}, but the "
                            f"function's value has structure {res.out_tree}")
        ct_in = res.ct_tree.unflatten(eval_program(res.program, [*res.consts, *ct_leaves]))
        return (ct_in,) if res.ct_tree.node is None else tuple(ct_in)

    f = custom_vjp(value)
    f.defvjp(fwd, bwd)
    return f


def _maybe_perturbed(x: Any) -> bool:
    """Whether a closed-over value might carry a derivative (so must be an argument)."""
    return isinstance(x, Tracer) and dtypes.is_inexact(core.get_aval(x).dtype)


def closure_convert(fun: Fun, *example_args: Any) -> tuple[Fun, list[Any]]:
    """``(converted, consts)``: `converted(*args, *consts)` computes ``fun(*args)``
    with the traced values `fun` closes over (those that might be
    differentiated) passed explicitly as `consts` (JAX's
    ``jax.closure_convert``). For higher-order custom_vjp functions: pass
    `converted` and `consts` through the custom_vjp so its rule can give the
    consts their cotangents. `example_args` fix the arguments' shapes and dtypes.

    Example::

        f_conv, consts = fg.closure_convert(lambda x: x * scale, x0)
    """
    if not callable(fun):
        raise TypeError(f"closure_convert expects a callable, got {type(fun).__name__}")
    name = getattr(fun, "__name__", "closure_convert")
    leaves, in_tree = tree.flatten(example_args)
    avals = [core.get_aval(x) for x in leaves]
    box: list[tree.PyTreeDef] = []

    def flat(*xs: Any) -> list[Any]:
        out_leaves, out_tree = tree.flatten(fun(*in_tree.unflatten(xs)))
        box.append(out_tree)
        return out_leaves

    program, consts, _, _ = stage_closed(flat, avals, None, name, "closure_convert")
    out_tree = box[0]
    perturbed = [_maybe_perturbed(c) for c in consts]
    hoisted = [c for c, p in zip(consts, perturbed, strict=True) if p]
    fixed = [c for c, p in zip(consts, perturbed, strict=True) if not p]

    def converted(*args_and_consts: Any) -> Any:
        n = len(args_and_consts) - len(hoisted)
        args, given = args_and_consts[:n], args_and_consts[n:]
        arg_leaves, arg_tree = tree.flatten(tuple(args))
        if arg_tree != in_tree:
            raise TypeError(f"{name} (closure-converted): the arguments have structure "
                            f"{arg_tree}, but the example arguments had {in_tree}; pass "
                            f"the arguments, then the {len(hoisted)} consts")
        it_given, it_fixed = iter(given), iter(fixed)
        all_consts = [next(it_given) if p else next(it_fixed) for p in perturbed]
        return out_tree.unflatten(eval_program(program, [*all_consts, *arg_leaves]))

    functools.update_wrapper(converted, fun)
    return converted, hoisted
