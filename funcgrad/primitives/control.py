"""Higher-order primitives that carry Programs in their params (decision 6):
jit as a call primitive, and structured control flow (cond, while, scan).

Each sub-Program has no constvars: what a body closed over is an explicit
leading operand. Avals are compared without weak types (a weak carry that a
body makes strong is re-staged strong by funcgrad.control_flow), and results
are weak only where every contributing side is weak.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcgrad import dtypes
from funcgrad.core import Primitive, ShapedArray, shape_error
from funcgrad.errors import DTypeError


jit_p = Primitive("jit", multiple_results=True)


@jit_p.def_abstract_eval
def _jit_rule(*avals: ShapedArray, program: Any, name: str) -> list[ShapedArray]:
    want = program.in_avals
    if [a.strong() for a in avals] != [a.strong() for a in want]:
        raise TypeError(f"jit call {name}: operands {[a.str_short() for a in avals]} do not "
                        f"match the program's inputs {[a.str_short() for a in want]}")
    return program.out_avals


# ---------------------------------------------------------------------------
# structured control flow: cond, while, scan


def _avals_str(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _same_strong(a: Sequence[ShapedArray], b: Sequence[ShapedArray]) -> bool:
    return len(a) == len(b) and all(x.strong() == y.strong() for x, y in zip(a, b, strict=True))


def _join_weak(avals: Sequence[ShapedArray], *others: Sequence[ShapedArray]) -> list[ShapedArray]:
    return [a.update(weak_type=all(o[i].weak_type for o in (avals, *others)))
            for i, a in enumerate(avals)]


cond_p = Primitive("cond", multiple_results=True)


@cond_p.def_abstract_eval
def _cond_rule(index: ShapedArray, *ops: ShapedArray,
               branches: tuple[Any, ...]) -> list[ShapedArray]:
    """``cond index *ops``: runs ``branches[index]`` on ops. A bool index picks
    branches[1] when True (two branches); an int32 index is clamped to range."""
    if not branches:
        raise shape_error("cond", "needs at least one branch")
    if index.shape != ():
        raise shape_error("cond", f"the index must be a scalar, got {index.str_short()}")
    if index.dtype == dtypes.bool_:
        if len(branches) != 2:
            raise shape_error("cond", f"a boolean index needs 2 branches, got {len(branches)}")
    elif index.dtype != dtypes.int32:
        raise DTypeError(f"cond: the index must be bool or int32, got {index.str_short()}")
    for i, b in enumerate(branches):
        if not _same_strong(b.in_avals, ops):
            raise TypeError(f"cond: branch {i} takes {_avals_str(b.in_avals)} but the operands "
                            f"are {_avals_str(ops)}")
    outs = branches[0].out_avals
    for i, b in enumerate(branches[1:], start=1):
        if not _same_strong(b.out_avals, outs):
            raise TypeError(f"cond: branch {i} returns {_avals_str(b.out_avals)} but branch 0 "
                            f"returns {_avals_str(outs)}")
    return _join_weak(outs, *(b.out_avals for b in branches[1:]))


while_p = Primitive("while", multiple_results=True)


@while_p.def_abstract_eval
def _while_rule(*args: ShapedArray, cond_program: Any, body_program: Any, cond_nconsts: int,
                body_nconsts: int) -> list[ShapedArray]:
    """``while *cond_consts *body_consts *init``: carry = body(carry) while cond(carry)."""
    cconsts = args[:cond_nconsts]
    bconsts = args[cond_nconsts:cond_nconsts + body_nconsts]
    carry = args[cond_nconsts + body_nconsts:]
    if not _same_strong(cond_program.in_avals, (*cconsts, *carry)):
        raise TypeError(f"while: cond_program takes {_avals_str(cond_program.in_avals)} but gets "
                        f"{_avals_str((*cconsts, *carry))}")
    pred = cond_program.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != dtypes.bool_:
        raise TypeError(f"while: cond_program must return one bool scalar, got {_avals_str(pred)}")
    if not _same_strong(body_program.in_avals, (*bconsts, *carry)):
        raise TypeError(f"while: body_program takes {_avals_str(body_program.in_avals)} but gets "
                        f"{_avals_str((*bconsts, *carry))}")
    if not _same_strong(body_program.out_avals, carry):
        raise TypeError(f"while: body_program returns {_avals_str(body_program.out_avals)} but the "
                        f"carry is {_avals_str(carry)}")
    return _join_weak(list(carry), body_program.out_avals)


scan_p = Primitive("scan", multiple_results=True)


@scan_p.def_abstract_eval
def _scan_rule(*args: ShapedArray, body: Any, num_consts: int, num_carry: int, length: int,
               reverse: bool, unroll: int) -> list[ShapedArray]:
    """``scan *consts *init *xs``: ``carry, y = body(*consts, *carry, *x[i])`` for each i
    (from the end when `reverse`); returns the final carry and the stacked ys."""
    consts = args[:num_consts]
    carry = args[num_consts:num_consts + num_carry]
    xs = args[num_consts + num_carry:]
    if length < 0 or unroll < 1:
        raise shape_error("scan", f"needs length >= 0 and unroll >= 1, got {length}, {unroll}")
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise shape_error("scan", f"scanned operand {x.str_short()} must have a leading "
                              f"axis of length {length}")
    x_avals = [x.update(shape=x.shape[1:]) for x in xs]
    if not _same_strong(body.in_avals, (*consts, *carry, *x_avals)):
        raise TypeError(f"scan: body takes {_avals_str(body.in_avals)} but gets "
                        f"{_avals_str((*consts, *carry, *x_avals))}")
    outs = body.out_avals
    if not _same_strong(outs[:num_carry], carry):
        raise TypeError(f"scan: body returns the carry {_avals_str(outs[:num_carry])} but the "
                        f"carry is {_avals_str(carry)}")
    ys = [y.update(shape=(length, *y.shape)) for y in outs[num_carry:]]
    return [*_join_weak(list(carry), outs[:num_carry]), *ys]
