"""JAX's ``jax.ad_checkpoint`` names: checkpoint (remat), checkpoint_name,
checkpoint_policies, and `print_saved_residuals` / `saved_residuals`, which
show what reverse mode keeps from the forward pass of a function.

The residuals are those of linearizing the function: the values its tangent
map reads, staged (without running anything) to see where each comes from.

Example::

    f = fg.checkpoint(mlp, policy=fg.checkpoint_policies.dots_saveable)
    fg.ad_checkpoint.print_saved_residuals(f, ws, x)
    # f64[4,4] from the argument ws[0]
    # f64[2,4] output of dot_general from model.py:12 (mlp)
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from funcgrad import checkpoint_policies, core, tree
from funcgrad import primitives as P
from funcgrad.autodiff import linearize_flat
from funcgrad.core import ShapedArray
from funcgrad.ir import Atom, Eqn, Literal, Program
from funcgrad.remat import checkpoint, checkpoint_name, remat
from funcgrad.transforms.staging import trace_to_program

__all__ = ["checkpoint", "checkpoint_name", "checkpoint_policies", "print_saved_residuals",
           "remat", "saved_residuals"]


def _arg_names(fun: Callable[..., Any], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> list[str]:
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    for i, a in enumerate(args):
        p = params[i] if i < len(params) else None
        base = p.name if p is not None and p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD) else f"args[{i}]"
        names.extend(base + path for path in tree.leaf_paths(a))
    for k in sorted(kwargs):
        names.extend(k + path for path in tree.leaf_paths(kwargs[k]))
    return names


def _describe(program: Program, atom: Atom, names: list[str]) -> str:
    """Where a value of `program` comes from, looking through the checkpoint
    calls whose known part computed it (their equations are the user's)."""
    if type(atom) is Literal:
        return "from a literal"
    if atom in program.constvars:
        return "from a constant"
    if atom in program.invars:
        i = program.invars.index(atom)
        return f"from the argument {names[i]}" if names[i] else \
            f"from the argument at flattened index {i}"
    eqn = next(e for e in program.eqns if atom in e.outvars)
    return _describe_output(eqn, eqn.outvars.index(atom), program, names)


def _describe_output(eqn: Eqn, k: int, program: Program, names: list[str]) -> str:
    where = eqn.source or "<unknown>"
    if eqn.prim is P.name_p:
        return f"named '{eqn.params['name']}' from {where}"
    if eqn.prim is P.checkpoint_p:
        inner: Program = eqn.params["program"]
        out = inner.outvars[k]
        if out in inner.invars:    # an input passed through: describe the operand
            return _describe(program, eqn.inputs[inner.invars.index(out)], names)
        if type(out) is Literal:
            return "from a literal"
        inner_eqn = next(e for e in inner.eqns if out in e.outvars)
        return _describe_output(inner_eqn, inner_eqn.outvars.index(out), inner, names)
    if eqn.prim is P.jit_p:
        return f"output of jitted function '{eqn.params['name']}' from {where}"
    for user in program.eqns:    # a value tagged by checkpoint_name
        if user.prim is P.name_p and user.inputs[0] is eqn.outvars[k]:
            return f"named '{user.params['name']}' from {where}"
    return f"output of {eqn.prim.name} from {where}"


def saved_residuals(f: Callable[..., Any], *args: Any,
                    **kwargs: Any) -> list[tuple[ShapedArray, str]]:
    """(aval, where it comes from) of each value reverse mode of ``f(*args,
    **kwargs)`` keeps from the forward pass (JAX's ``saved_residuals``)."""
    if not callable(f):
        raise TypeError(f"saved_residuals expects a callable, got {type(f).__name__}")
    leaves, in_tree = tree.flatten((args, kwargs))
    avals = [core.get_aval(x) for x in leaves]

    def residuals(*xs: Any) -> list[Any]:
        def flat(*ys: Any) -> list[Any]:
            a, kw = in_tree.unflatten(ys)
            outs = tree.leaves(f(*a, **kw))
            for o in outs:
                if not core.is_array_like(o):
                    raise TypeError(f"saved_residuals: the function returned a "
                                    f"{type(o).__name__}, which is not an array")
            return outs
        _, lin = linearize_flat(flat, xs, name="saved_residuals")
        return lin.residuals

    names = _arg_names(f, args, kwargs)
    program, _ = trace_to_program(residuals, avals, names, name="saved_residuals")
    return [(v.aval, _describe(program, v, names)) for v in program.outvars]


def print_saved_residuals(f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Print one line per residual of ``f(*args, **kwargs)``: its type and where
    it comes from (JAX's ``print_saved_residuals``)."""
    for aval, src in saved_residuals(f, *args, **kwargs):
        print(f"{aval.str_short()} {src}")
