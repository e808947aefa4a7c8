"""User-defined derivatives and rematerialisation: custom_jvp, custom_vjp, checkpoint.

Each decorated function, called under a transformation, is staged once per
abstract signature into a Program and bound as a call primitive
(`custom_jvp_call`, `custom_vjp_call`, `checkpoint`) that holds the Program
and, for the custom rules, flat wrappers of the user's rule functions. Called
eagerly outside any transformation it simply runs the Python function.

- custom_jvp: forward and reverse mode both use the user's JVP rule (reverse
  mode linearizes and transposes it, so the rule's tangent output must be
  linear in the tangents, as in JAX).
- custom_vjp: reverse mode runs `fwd` and transposes into `bwd`; forward mode
  raises, like JAX.
- checkpoint: reverse mode keeps only the region's inputs and recomputes the
  rest during the backward pass.

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

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

from funcgrad import core, tree
from funcgrad import primitives as P
from funcgrad.config import LRUCache
from funcgrad.core import ShapedArray, Tracer
from funcgrad.errors import UnsupportedError
from funcgrad.ir import Program, user_value
from funcgrad.transforms.staging import hoist_consts, trace_to_program

Fun = Callable[..., Any]


def _is_eager() -> bool:
    return core.current_trace() is core.eval_trace


def _keyable(x: Any) -> bool:
    """Whether `x` can be part of a cache key: hashable, and not an array (an
    array's value, not its identity, is what matters)."""
    if isinstance(x, Tracer) or hasattr(x, "_buf") or hasattr(x, "__array__"):
        return False
    try:
        hash(x)
    except TypeError:
        return False
    return True


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
        if all(_keyable(x) for x in nondiff):
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

        program, consts = trace_to_program(flat, avals, name=self.__name__, kind=self.kind)
        staged = _Staged(hoist_consts(program), consts,
                         [tree.structure(d) for d in diff], box[0])
        staged.extra = self._rule(staged, nondiff, in_tree)
        if key is not None and not any(isinstance(c, Tracer) for c in consts):
            staged = self._cache.put(key, staged)
        return staged, leaves

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef) -> Any:
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

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef) -> Any:
        rule, name = self.jvp, self.__name__
        assert rule is not None

        def jvp_flat(primals: Sequence[Any], tangents: Sequence[Any]
                     ) -> tuple[list[Any], list[Any]]:
            primals = [user_value(p) for p in primals]
            p_tree = tuple(in_tree.unflatten(primals))
            t_tree = tuple(in_tree.unflatten(tangents))
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
    differentiable argument (None for zero). Forward mode is not available.
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

    def _rule(self, staged: _Staged, nondiff: list[Any], in_tree: tree.PyTreeDef) -> Any:
        fwd, bwd, name = self.fwd, self.bwd, self.__name__
        assert fwd is not None and bwd is not None
        arg_trees = staged.in_trees

        def fwd_flat(primals: Sequence[Any]) -> tuple[list[Any], list[Any], Any]:
            primals = [user_value(p) for p in primals]
            diff = list(in_tree.unflatten(primals))
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
                ct_in = bwd(*nondiff, res_tree.unflatten(res_vals),
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

            return out_leaves, res_leaves, bwd_flat

        return fwd_flat


# ---------------------------------------------------------------------------
# checkpoint


def checkpoint(fun: Fun | None = None, *, prevent_cse: bool = True,
               static_argnums: int | Sequence[int] = (), policy: Any = None) -> Any:
    """`fun`, but reverse mode stores only its inputs and recomputes its
    intermediate values in the backward pass (JAX's ``jax.checkpoint``).

    `prevent_cse` keeps XLA from merging the recomputation with the forward
    pass (which would undo the saving). Example::

        layer = fg.checkpoint(lambda w, x: fnp.tanh(x @ w))
    """
    if policy is not None:
        raise UnsupportedError("checkpoint: saving policies are not supported; everything "
                               "inside the checkpointed function is recomputed")
    if fun is None:
        return functools.partial(checkpoint, prevent_cse=prevent_cse,
                                 static_argnums=static_argnums)
    if not callable(fun):
        raise TypeError(f"checkpoint expects a callable, got {type(fun).__name__}")
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    name = getattr(fun, "__name__", "checkpoint")
    cache = LRUCache("checkpoint programs")

    @functools.wraps(fun)
    def remat_fun(*args: Any, **kwargs: Any) -> Any:
        if _is_eager():
            return fun(*args, **kwargs)
        n = len(args)
        static_pos = {i % n for i in statics if -n <= i < n}
        static_vals = tuple(args[i] for i in sorted(static_pos))
        dyn = (tuple(a for i, a in enumerate(args) if i not in static_pos), kwargs)
        leaves, in_tree = tree.flatten(dyn)
        avals = [core.get_aval(x) for x in leaves]
        key = (in_tree, tuple(avals), static_vals) if all(map(_keyable, static_vals)) else None
        hit = cache.lookup(key) if key is not None else None
        if hit is None:
            box: list[tree.PyTreeDef] = []

            def flat(*xs: Any) -> list[Any]:
                dargs, kw = in_tree.unflatten(xs)
                it = iter(dargs)
                full = [args[i] if i in static_pos else next(it) for i in range(n)]
                out_leaves, out_tree = tree.flatten(fun(*full, **kw))
                box.append(out_tree)
                return out_leaves

            program, consts = trace_to_program(flat, avals, name=name, kind="checkpoint")
            hit = (hoist_consts(program), consts, box[0])
            if key is not None and not any(isinstance(c, Tracer) for c in consts):
                hit = cache.put(key, hit)
        program, consts, out_tree = hit
        outs = P.checkpoint_p.bind(*consts, *leaves, program=program, name=name,
                                   prevent_cse=prevent_cse)
        return out_tree.unflatten(outs)

    return remat_fun


remat = checkpoint
