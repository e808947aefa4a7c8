"""Structured control flow: `cond`, `switch`, `while_loop`, `fori_loop`, `scan`, `map`.

Each function stages its Python bodies to Programs (`trace_to_program` on the
avals of the operands/carries) and binds one higher-order primitive carrying
them (decision 6): `cond_p` for cond and switch, `while_p` for while loops
(inside a `bounded_while_p` call, which reverse mode checkpoints, when
``max_steps`` bounds the loop), `scan_p` for scans, static-bound `fori_loop`
and `map`. Values a body closes over (outer tracers, concrete arrays) become
explicit leading operands, so the sub-Programs have no constvars.

Staged bodies are cached by (function, input tree, avals): calling
``lax.cond(p, f, g, x)`` eagerly in a Python loop re-uses the same Program
objects, so the eager executable cache (keyed by params) hits and nothing is
re-traced or re-compiled. Like `jit`, the cache assumes bodies are pure: a
body that reads a global which later changes is not re-traced.

Structures and avals of branch outputs and loop carries are checked, and a
mismatch raises `TypeError` naming the function, the leaf and both types.

Under ``fg.disable_jit()`` each function runs its bodies as Python code instead
(an ``if`` on a concrete predicate, a ``while``, a ``for`` over the scanned
axis), like JAX; what is not concrete there (under `vmap`) is staged as usual.
"""
from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes, tree
from funcgrad.config import LRUCache
from funcgrad.config import config as _config
from funcgrad.config import jit_disabled
from funcgrad.errors import ConcretizationError
from funcgrad.array import Array, from_numpy
from funcgrad.core import ShapedArray, Tracer
from funcgrad.ir import Literal, Program, Var
from funcgrad.primitives import (add_p, and_p, bounded_while_p, concatenate_p, cond_p,
                                 convert_element_type_p, lt_p, max_p, min_p, ne_p, reshape_p,
                                 scan_p, while_p)
from funcgrad.transforms.staging import eval_program, hoist_consts, trace_to_program

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]


# ---------------------------------------------------------------------------
# staging bodies, with a cache keyed by what determines the staged Program


class Staged:
    """A body staged on given avals: a constvar-free Program whose leading
    inputs are `consts`, and the pytree structure of its output."""

    __slots__ = ("program", "consts", "out_tree", "cacheable", "keep")

    def __init__(self, program: Program, consts: list[Any], out_tree: tree.PyTreeDef):
        self.program = program
        self.consts = consts
        self.out_tree = out_tree
        # Tracers belong to one trace: a Program closing over them is never re-used.
        self.cacheable = not any(isinstance(c, Tracer) for c in consts)
        self.keep: list[Any] = []      # objects whose ids are in this entry's cache key

    @property
    def out_avals(self) -> list[ShapedArray]:
        return self.program.out_avals


_stage_cache = LRUCache("control flow bodies")
_join_cache = LRUCache("control flow branches")


_global_names: dict[types.CodeType, tuple[str, ...]] = {}


def _names_read(code: types.CodeType) -> tuple[str, ...]:
    """The global (and attribute) names `code` and the code nested in it mention."""
    names = _global_names.get(code)
    if names is None:
        found = set(code.co_names)
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                found.update(_names_read(c))
        names = _global_names[code] = tuple(sorted(found))
    return names


def _fun_key(fun: Any, keep: list[Any], depth: int = 0) -> Any:
    """What identifies a body's behaviour: for a plain function its code and the
    identities of what it closes over and of the globals it reads (so a lambda
    re-created on every call with the same closure still hits, and one that reads a
    global loop variable misses when the variable changes); else the object's
    identity. Objects whose ids enter the key are appended to `keep`, so those ids
    stay unique."""
    keep.append(fun)
    if depth < 4 and type(fun) is types.FunctionType:
        cells = tuple(_cell_key(c.cell_contents, keep, depth) if _cell_full(c) else None
                      for c in fun.__closure__ or ())
        env = fun.__globals__
        cells += tuple((n, _cell_key(env[n], keep, depth)) for n in _names_read(fun.__code__)
                       if n in env)
        defaults = tuple(id(d) for d in fun.__defaults__ or ())
        keep.append(fun.__defaults__)
        kw = tuple(sorted((k, id(v)) for k, v in (fun.__kwdefaults__ or {}).items()))
        keep.append(fun.__kwdefaults__)
        return ("fn", fun.__code__, id(fun.__globals__), cells, defaults, kw)
    if depth < 4 and type(fun) is functools.partial:
        keep.extend(fun.args)
        keep.extend(fun.keywords.values())
        return ("partial", _fun_key(fun.func, keep, depth + 1),
                tuple(_cell_key(a, keep, depth) for a in fun.args),
                tuple(sorted((k, _cell_key(v, keep, depth)) for k, v in fun.keywords.items())))
    return ("obj", id(fun))


def _cell_full(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:      # a cell not yet assigned
        return False
    return True


def _cell_key(value: Any, keep: list[Any], depth: int) -> Any:
    if type(value) in (types.FunctionType, functools.partial):
        return _fun_key(value, keep, depth + 1)
    keep.append(value)
    return id(value)


def _tree_paths(treedef: tree.PyTreeDef) -> list[str]:
    try:
        return tree.leaf_paths(treedef.unflatten([0] * treedef.num_leaves))
    except Exception:   # a registered class that rejects placeholder leaves
        return [f"leaf {i}" for i in range(treedef.num_leaves)]


def _operand(x: Any) -> Any:
    """`x` as an operand of a primitive: an Array, a tracer or a Literal (NumPy
    values and nested lists are copied to the device)."""
    if type(x) is Array or isinstance(x, Tracer) or type(x) is Literal:
        return x
    if isinstance(x, (bool, int, float, complex)) or (
            isinstance(x, (np.ndarray, np.generic)) and x.ndim == 0):
        return Literal.of(x)
    if isinstance(x, (list, tuple)):
        return from_numpy(x)
    return from_numpy(np.asarray(x, core.get_aval(x).dtype))  # get_aval rejects non-arrays


def _operands(x: Any, what: str) -> tuple[list[Any], tree.PyTreeDef, list[ShapedArray]]:
    leaves, treedef = tree.flatten(x)
    ops = []
    for path, leaf in zip(_tree_paths(treedef), leaves, strict=True):
        if not core.is_array_like(leaf) and type(leaf) is not Array:
            raise TypeError(f"{what}{path} is a {type(leaf).__name__}, not an array; "
                            "operands must be arrays, scalars or pytrees of them")
        ops.append(_operand(leaf))
    return ops, treedef, [core.get_aval(o) for o in ops]


def _fun_name(fun: Callable[..., Any]) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def stage(fun: Callable[..., Any], in_tree: tree.PyTreeDef, in_avals: Sequence[ShapedArray],
          what: str) -> Staged:
    """Stage ``fun(*in_tree.unflatten(leaves))`` on `in_avals` (in_tree is the tree of
    the argument tuple); cached while `fun` closes over no tracer."""
    keep: list[Any] = []
    key = (_fun_key(fun, keep), in_tree, tuple(in_avals), _config.default_float)
    hit = _stage_cache.lookup(key)
    if hit is not None:
        return hit
    out_tree_box: list[tree.PyTreeDef] = []

    def flat_fun(*leaves: Any) -> list[Any]:
        out = fun(*in_tree.unflatten(leaves))
        out_leaves, out_tree = tree.flatten(out)
        for path, o in zip(_tree_paths(out_tree), out_leaves, strict=True):
            if not core.is_array_like(o) and type(o) is not Array:
                raise TypeError(f"{what} returned a {type(o).__name__} at output{path}, which "
                                "is not an array; return arrays, scalars or pytrees of them")
        out_tree_box.append(out_tree)
        return out_leaves

    program, consts = trace_to_program(flat_fun, in_avals, name=_fun_name(fun), kind="control flow")
    staged = Staged(hoist_consts(program), consts, out_tree_box[0])
    if staged.cacheable:
        staged.keep = keep
        staged = _stage_cache.put(key, staged)
    return staged


def _describe(treedef: tree.PyTreeDef, avals: Sequence[ShapedArray]) -> str:
    return repr(treedef.unflatten([a.str_short() for a in avals])).replace("'", "")


def _check_same(what_a: str, tree_a: tree.PyTreeDef, avals_a: Sequence[ShapedArray],
                what_b: str, tree_b: tree.PyTreeDef, avals_b: Sequence[ShapedArray],
                context: str, leaf: str = "output") -> None:
    """Raise TypeError unless two outputs have one structure and, leaf by leaf,
    one shape and dtype (weak types may differ)."""
    if tree_a != tree_b:
        raise TypeError(f"{context}: {what_a} and {what_b} must have the same structure, but\n"
                        f"  {what_a}: {_describe(tree_a, avals_a)}\n"
                        f"  {what_b}: {_describe(tree_b, avals_b)}")
    bad = [(p, a, b) for p, a, b in zip(_tree_paths(tree_a), avals_a, avals_b, strict=True)
           if a.strong() != b.strong()]
    if bad:
        lines = "\n".join(f"  {leaf}{p}: {a.str_short()} in {what_a}, {b.str_short()} in {what_b}"
                          for p, a, b in bad)
        raise TypeError(f"{context}: {what_a} and {what_b} must give each leaf the same shape "
                        f"and dtype, but\n{lines}\n"
                        f"  {what_a}: {_describe(tree_a, avals_a)}\n"
                        f"  {what_b}: {_describe(tree_b, avals_b)}")


def _join_branches(staged: Sequence[Staged]) -> tuple[tuple[Program, ...], list[Any]]:
    """Give every branch the same inputs: the union of all branches' consts (by
    identity), then the operands. A branch ignores the consts of the others."""
    key = tuple(staged)
    hit = _join_cache.lookup(key)
    if hit is not None:
        return hit
    consts: list[Any] = []
    slot: dict[int, int] = {}
    for s in staged:
        for c in s.consts:
            if id(c) not in slot:
                slot[id(c)] = len(consts)
                consts.append(c)
    programs = []
    for s in staged:
        p = s.program
        n = len(s.consts)
        own = {slot[id(c)]: v for c, v in zip(s.consts, p.invars[:n], strict=True)}
        const_vars = tuple(own.get(i) or Var(core.get_aval(c)) for i, c in enumerate(consts))
        # (a Var of the wrong weak type in an unused slot is harmless: avals are
        # compared strong)
        programs.append(Program((), (*const_vars, *p.invars[n:]), p.eqns, p.outvars, p.name))
    result = (tuple(programs), consts)
    if all(s.cacheable for s in staged):
        result = _join_cache.put(key, result)
    return result


# ---------------------------------------------------------------------------
# cond and switch


def _scalar_operand(x: Any, fname: str, what: str) -> Any:
    x = _operand(x)
    aval = core.get_aval(x)
    if aval.shape != ():
        raise TypeError(f"{fname}: {what} must be a scalar, got {aval.str_short()}. For an "
                        "elementwise choice use funcgrad.numpy.where (or vmap the "
                        f"{fname}).")
    return x


def _branches(fname: str, branches: Sequence[Callable[..., Any]], names: Sequence[str],
              operands: tuple[Any, ...]) -> tuple[list[Any], tuple[Program, ...], tree.PyTreeDef]:
    for b, n in zip(branches, names, strict=True):
        if not callable(b):
            raise TypeError(f"{fname}: {n} must be callable, got {type(b).__name__}")
    ops, in_tree, avals = _operands(operands, "operands")
    staged = [stage(b, in_tree, avals, f"{fname} {n}") for b, n in zip(branches, names,
                                                                        strict=True)]
    for s, n in zip(staged[1:], names[1:], strict=True):
        _check_same(names[0], staged[0].out_tree, staged[0].out_avals, n, s.out_tree,
                    s.out_avals, fname)
    programs, consts = _join_branches(staged)
    return [*consts, *ops], programs, staged[0].out_tree


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any],
         *operands: Any) -> Any:
    """``true_fun(*operands)`` if `pred` else ``false_fun(*operands)``, staged.

    Args:
      pred: a scalar; a number counts as True when nonzero.
      true_fun, false_fun: functions of the operands returning pytrees of one
        structure whose leaves have equal shapes and dtypes.
      operands: pytrees of arrays passed to the chosen branch.

    Returns the chosen branch's output. Raises TypeError when the branches'
    outputs differ in structure, shape or dtype, or when pred is not a scalar.

    NB: under `vmap` with a batched `pred`, both branches run and the results
    are selected per lane (like JAX).

    Example: ``lax.cond(x > 0, lambda x: x, lambda x: -x, x)``
    """
    p = _scalar_operand(pred, "cond", "pred")
    if jit_disabled():
        value = _value_now(p)
        if value is not None:
            return (true_fun if value else false_fun)(*operands)
    if core.get_aval(p).dtype != dtypes.bool_:
        p = ne_p.bind(p, _operand(np.zeros((), core.get_aval(p).dtype)))
    args, programs, out_tree = _branches("cond", (false_fun, true_fun),
                                         ("false_fun", "true_fun"), operands)
    outs = cond_p.bind(p, *args, branches=programs)
    return out_tree.unflatten(outs)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, with `index` clamped to ``[0, len(branches) - 1]``.

    Args:
      index: an integer scalar.
      branches: a non-empty sequence of functions of the operands whose outputs
        share structure, shapes and dtypes.
      operands: pytrees of arrays.

    Raises TypeError for mismatched branch outputs or a non-integer index,
    ValueError for no branches.

    Example: ``lax.switch(i, [f0, f1, f2], x)``
    """
    branches = tuple(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of functions")
    i = _scalar_operand(index, "switch", "index")
    dt = core.get_aval(i).dtype
    if not dtypes.is_integer(dt):
        raise TypeError(f"switch: index must be an integer scalar, got {dt}; convert it with "
                        ".astype(int) or use lax.cond for a boolean")
    if len(branches) == 1:
        return branches[0](*operands)
    if jit_disabled():
        value = _value_now(i)
        if value is not None:
            return branches[int(np.clip(value, 0, len(branches) - 1))](*operands)
    # Clamp before narrowing to int32, so a huge int64 index cannot wrap around.
    lo = _operand(np.zeros((), dt))
    hi = _operand(np.asarray(len(branches) - 1, dt))
    i = min_p.bind(max_p.bind(i, lo), hi)
    i = convert_element_type_p.bind(i, new_dtype=dtypes.int32, weak_type=False)
    args, programs, out_tree = _branches("switch", branches,
                                         [f"branch {k}" for k in range(len(branches))], operands)
    outs = cond_p.bind(i, *args, branches=programs)
    return out_tree.unflatten(outs)


# ---------------------------------------------------------------------------
# loops


def _stage_carry(fun: Callable[..., Any], args_tree: Callable[[tree.PyTreeDef], tree.PyTreeDef],
                 carry_tree: tree.PyTreeDef, carry_avals: list[ShapedArray],
                 extra_avals: list[ShapedArray], split: Callable[[Staged], tuple[Any, Any]],
                 fname: str, what: str, init_name: str) -> tuple[Staged, list[ShapedArray]]:
    """Stage a loop body whose output carry must match its input carry.

    A weak-typed carry that the body returns strong (``0`` + an f64 array) is
    re-staged strong, once, like JAX's weak-type promotion of loop carries."""
    for _ in range(2):
        staged = stage(fun, args_tree(carry_tree), [*carry_avals, *extra_avals], what)
        out_carry_tree, out_carry_avals = split(staged)
        _check_same(init_name, carry_tree, carry_avals, f"the carry {what} returns",
                    out_carry_tree, out_carry_avals, fname, "carry")
        strengthen = [a.weak_type and not o.weak_type
                      for a, o in zip(carry_avals, out_carry_avals, strict=True)]
        if not any(strengthen):
            return staged, carry_avals
        carry_avals = [a.strong() if s else a for a, s in zip(carry_avals, strengthen,
                                                              strict=True)]
    return staged, carry_avals


def _args_tree(*trees: tree.PyTreeDef) -> tree.PyTreeDef:
    """The structure of an argument tuple whose items have structures `trees`."""
    return tree.PyTreeDef(tuple, None, trees)


def _strengthen(ops: list[Any], avals: list[ShapedArray]) -> list[Any]:
    return [o if not core.get_aval(o).weak_type or a.weak_type
            else convert_element_type_p.bind(o, new_dtype=a.dtype, weak_type=False)
            for o, a in zip(ops, avals, strict=True)]


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any],
               init_val: Any, *, max_steps: int | None = None,
               checkpoints: int | None = None) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, staged.

    Args:
      cond_fun: carry -> a boolean scalar.
      body_fun: carry -> carry of the same structure, shapes and dtypes.
      init_val: the initial carry, a pytree of arrays.
      max_steps: a bound on the number of steps (a positive Python int): the
        loop stops after `max_steps` steps even when cond_fun still holds.
        With it the loop is reverse-differentiable (grad, vjp, linearize).
      checkpoints: how many carries reverse mode keeps (at most max_steps;
        default ``ceil(sqrt(max_steps))``): the backward pass recomputes the
        ``ceil(max_steps / checkpoints)`` steps after each from it, so it holds
        about ``checkpoints + max_steps / checkpoints`` steps' values at once,
        and runs the loop's body about twice per step taken.

    Raises TypeError when body_fun changes the carry's structure, shapes or
    dtypes, when cond_fun does not return a boolean scalar, or when max_steps
    or checkpoints is not an int; ValueError when either is not positive,
    when checkpoints exceeds max_steps, or is given without it.

    NB: without max_steps, reverse mode raises (the steps to store are unknown
    when staging); forward mode (jvp) always works. NB: JAX has no max_steps;
    a loop that reaches it stops there silently, like a bounded loop written
    with a step counter in cond_fun. Gradients are those of the steps taken.
    Under vmap of a reverse mode, lanes that have stopped still run the body
    (the results are discarded), so the body should stay finite on them.

    Example: ``lax.while_loop(lambda c: c[0] < 10, lambda c: (c[0] + 1, c[1] * 2), (0, x))``;
    ``grad(lambda p: lax.while_loop(lambda y: y < 5.0, lambda y: y * p, 1.0,
    max_steps=100))(1.5)``
    """
    for f, n in ((cond_fun, "cond_fun"), (body_fun, "body_fun")):
        if not callable(f):
            raise TypeError(f"while_loop: {n} must be callable, got {type(f).__name__}")
    bound = _loop_bound(max_steps, checkpoints)
    if jit_disabled():
        try:
            val = tree.map(_as_array, init_val)
            steps = 0
            while (bound is None or steps < bound[0]) and cond_fun(val):
                val = tree.map(_as_array, body_fun(val))
                steps += 1
            return val
        except ConcretizationError:     # not concrete here (under vmap): staged after all
            pass
    ops, carry_tree, avals = _operands(init_val, "init_val")
    body, avals = _stage_carry(body_fun, _args_tree, carry_tree, avals, [],
                               lambda s: (s.out_tree, s.out_avals), "while_loop", "body_fun",
                               "init_val")
    cnd = stage(cond_fun, _args_tree(carry_tree), avals, "while_loop cond_fun")
    pred = cnd.out_avals
    if (cnd.out_tree != tree.LEAF or pred[0].shape != () or pred[0].dtype != dtypes.bool_):
        raise TypeError("while_loop: cond_fun must return a boolean scalar, got "
                        f"{_describe(cnd.out_tree, pred)}")
    if bound is not None:
        program = _bounded_loop(cnd.program, body.program, len(cnd.consts), len(body.consts),
                                bound[0])
        outs = bounded_while_p.bind(*cnd.consts, *body.consts, *_strengthen(ops, avals),
                                    program=program, name=_fun_name(body_fun),
                                    max_steps=bound[0], checkpoints=bound[1])
        return carry_tree.unflatten(outs)
    outs = while_p.bind(*cnd.consts, *body.consts, *_strengthen(ops, avals),
                        cond_program=cnd.program, body_program=body.program,
                        cond_nconsts=len(cnd.consts), body_nconsts=len(body.consts))
    return carry_tree.unflatten(outs)


def _loop_bound(max_steps: Any, checkpoints: Any) -> tuple[int, int] | None:
    """(max_steps, checkpoints) checked, with the default snapshot count; None
    for an unbounded loop."""
    if max_steps is None:
        if checkpoints is not None:
            raise ValueError("while_loop: checkpoints= needs max_steps= (checkpoints only "
                             "matter to reverse mode through a bounded loop)")
        return None
    for value, what in ((max_steps, "max_steps"), (checkpoints, "checkpoints")):
        if value is None:
            continue
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"while_loop: {what} must be a positive Python int, got "
                            f"{type(value).__name__} {value!r}")
        if value < 1:
            raise ValueError(f"while_loop: {what} must be a positive int, got {value}")
    n = int(max_steps)
    if checkpoints is None:
        return n, math.isqrt(n - 1) + 1
    if checkpoints > n:
        raise ValueError(f"while_loop: checkpoints={checkpoints} exceeds max_steps={n}; "
                         "at most one snapshot per step is useful")
    return n, int(checkpoints)


_bounded_cache = LRUCache("bounded while loops")


def _bounded_loop(cond: Program, body: Program, cond_nconsts: int, body_nconsts: int,
                  max_steps: int) -> Program:
    """The Program ``(cond consts, body consts, carry) -> carry`` of a while loop
    that also counts its steps and stops after `max_steps` of them; cached, so
    that an eager loop re-uses its executable."""
    key = (cond, body, cond_nconsts, body_nconsts, max_steps)
    hit = _bounded_cache.lookup(key)
    if hit is not None:
        return hit
    step = ShapedArray((), dtypes.int32, False)
    limit = Literal(np.int32(max_steps), step)
    one = Literal(np.int32(1), step)

    def counted_cond(*xs: Any) -> list[Any]:
        i = xs[cond_nconsts]
        (p,) = eval_program(cond, [*xs[:cond_nconsts], *xs[cond_nconsts + 1:]])
        return [and_p.bind(lt_p.bind(i, limit), p)]

    def counted_body(*xs: Any) -> list[Any]:
        i = xs[body_nconsts]
        return [add_p.bind(i, one), *eval_program(body, [*xs[:body_nconsts],
                                                         *xs[body_nconsts + 1:]])]

    cc_avals, carry_avals = cond.in_avals[:cond_nconsts], cond.in_avals[cond_nconsts:]
    bc_avals = body.in_avals[:body_nconsts]
    c, c_consts = trace_to_program(counted_cond, [*cc_avals, step, *carry_avals],
                                   name=cond.name, kind="control flow")
    b, b_consts = trace_to_program(counted_body, [*bc_avals, step, *carry_avals],
                                   name=body.name, kind="control flow")
    assert not c_consts and not b_consts, "the counted bodies close over nothing"

    def loop(*xs: Any) -> list[Any]:
        cc, bc, carry = xs[:cond_nconsts], xs[cond_nconsts:cond_nconsts + body_nconsts], \
            xs[cond_nconsts + body_nconsts:]
        outs = while_p.bind(*cc, *bc, Literal(np.int32(0), step), *carry, cond_program=c,
                            body_program=b, cond_nconsts=cond_nconsts,
                            body_nconsts=body_nconsts)
        return outs[1:]

    program, consts = trace_to_program(loop, [*cc_avals, *bc_avals, *carry_avals],
                                       name="while_loop", kind="control flow")
    assert not consts, "the bounded loop closes over nothing"
    return _bounded_cache.put(key, program)


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False,
         unroll: int | bool = 1) -> tuple[Any, Any]:
    """Loop `f` over the leading axis of `xs`, threading a carry; stack the outputs.

    Semantics (with ``reverse`` walking the indices from the end)::

        carry = init
        for i in range(length):
            carry, y_i = f(carry, xs[i])
        return carry, stack(y)

    Args:
      f: ``(carry, x) -> (carry, y)``; the carry keeps its structure, shapes
        and dtypes; y is any pytree of arrays (or None).
      init: the initial carry, a pytree of arrays.
      xs: a pytree of arrays sharing a leading axis, or None (then `length`
        is needed and x is None).
      length: the number of steps; must agree with the leading axis of xs.
      reverse: scan from the last element to the first (ys stay in order).
      unroll: how many steps each compiled loop iteration runs (True: all).

    Raises ValueError for inconsistent lengths, TypeError for a carry whose
    structure, shape or dtype changes.

    Example: ``lax.scan(lambda c, x: (c + x, c), 0.0, fnp.arange(5.0))``
    """
    if not callable(f):
        raise TypeError(f"scan: f must be callable, got {type(f).__name__}")
    x_ops, x_tree, x_avals = _operands(xs, "xs")
    lengths = {a.shape[0] for a in x_avals if a.ndim}
    for p, a in zip(_tree_paths(x_tree), x_avals, strict=True):
        if a.ndim == 0:
            raise ValueError(f"scan: xs{p} is a scalar {a.str_short()}; every leaf of xs "
                             "needs a leading axis to scan over")
    if length is not None:
        length = _static_int(length, "scan", "length")
        lengths.add(length)
    if len(lengths) != 1:
        if not lengths:
            raise ValueError("scan: with no xs, pass length= to say how many steps to run")
        shapes = ", ".join(f"xs{p}: {a.str_short()}"
                           for p, a in zip(_tree_paths(x_tree), x_avals, strict=True))
        given = f" and length={length}" if length is not None else ""
        raise ValueError(f"scan: all of xs must share one leading axis length{given}, "
                         f"got {shapes}")
    n = lengths.pop()
    if isinstance(unroll, bool):
        unroll = max(n, 1) if unroll else 1
    unroll = _static_int(unroll, "scan", "unroll")
    if unroll < 1:
        raise ValueError(f"scan: unroll must be >= 1 (or a bool), got {unroll}")
    if jit_disabled() and n:    # (no steps: staged, which knows the outputs' shapes)
        return _scan_in_python(f, init, x_ops, x_tree, n, bool(reverse))
    c_ops, c_tree, c_avals = _operands(init, "init")
    slice_avals = [a.update(shape=a.shape[1:]) for a in x_avals]
    nc = len(c_avals)

    def split(s: Staged) -> tuple[tree.PyTreeDef, list[ShapedArray]]:
        t = s.out_tree
        if t.node not in (tuple, list) or len(t.children) != 2:
            raise TypeError(f"scan: f must return a pair (carry, y), got a structure {t}")
        return t.children[0], s.out_avals[:t.children[0].num_leaves]

    body, c_avals = _stage_carry(
        f, lambda t: _args_tree(t, x_tree), c_tree, c_avals, slice_avals,
        split, "scan", "f", "init")
    y_tree = body.out_tree.children[1]
    outs = scan_p.bind(*body.consts, *_strengthen(c_ops, c_avals), *x_ops, body=body.program,
                       num_consts=len(body.consts), num_carry=nc, length=n,
                       reverse=bool(reverse), unroll=min(unroll, max(n, 1)))
    return c_tree.unflatten(outs[:nc]), y_tree.unflatten(outs[nc:])


def _static_int(x: Any, fname: str, what: str) -> int:
    if isinstance(x, Tracer):
        v = x.concrete_value()
        if v is None:
            raise TypeError(f"{fname}: {what} must be a concrete integer, got a traced "
                            f"{x.aval.str_short()}")
        x = v
    a = np.asarray(x)
    if a.shape != () or not (dtypes.is_integer(a.dtype) or a.dtype == np.bool_):
        raise TypeError(f"{fname}: {what} must be an integer, got {x!r}")
    return int(a)


def _concrete_bound(x: Any) -> int | None:
    """The value of a loop bound when it is known while staging, else None."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else int(np.asarray(v))
    return int(np.asarray(x))


def _fori_scan_body(body_fun: Callable[[Any, Any], Any], carry: tuple[Any, Any],
                    _: Any) -> tuple[tuple[Any, Any], None]:
    i, x = carry
    return (i + 1, body_fun(i, x)), None


def _fori_while_cond(carry: tuple[Any, Any, Any]) -> Any:
    return carry[0] < carry[1]


def _fori_while_body(body_fun: Callable[[Any, Any], Any],
                     carry: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    i, upper, x = carry
    return i + 1, upper, body_fun(i, x)


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any,
              *, unroll: int | bool | None = None) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``, staged.

    With bounds known while staging (Python ints, concrete arrays) this is a
    `scan` of ``upper - lower`` steps, so it is reverse-differentiable; with
    traced bounds it is a `while_loop` (forward-mode differentiable only).

    Args:
      lower, upper: integer scalars.
      body_fun: ``(i, val) -> val`` keeping val's structure, shapes and dtypes.
      init_val: the initial value, a pytree of arrays.
      unroll: steps per compiled iteration (static bounds only).

    Example: ``lax.fori_loop(0, 10, lambda i, x: x * 2.0, 1.0)``
    """
    if not callable(body_fun):
        raise TypeError(f"fori_loop: body_fun must be callable, got {type(body_fun).__name__}")
    lo_op = _scalar_operand(lower, "fori_loop", "lower")
    hi_op = _scalar_operand(upper, "fori_loop", "upper")
    lo_aval, hi_aval = core.get_aval(lo_op), core.get_aval(hi_op)
    for a, n in ((lo_aval, "lower"), (hi_aval, "upper")):
        if not dtypes.is_integer(a.dtype):
            raise TypeError(f"fori_loop: {n} must be an integer, got {a.str_short()}")
    # The counter's dtype: the bounds' promoted dtype (a weak int64 for Python ints).
    if lo_aval.weak_type and not hi_aval.weak_type:
        i_aval = hi_aval
    elif hi_aval.weak_type and not lo_aval.weak_type:
        i_aval = lo_aval
    else:
        i_aval = lo_aval.update(dtype=np.promote_types(lo_aval.dtype, hi_aval.dtype),
                                weak_type=lo_aval.weak_type and hi_aval.weak_type)
    lo_static, hi_static = _concrete_bound(lower), _concrete_bound(upper)
    if lo_static is not None and hi_static is not None:
        i0 = _as_counter(lo_static, i_aval)
        (_, out), _ = scan(functools.partial(_fori_scan_body, body_fun), (i0, init_val), None,
                           length=max(hi_static - lo_static, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    if unroll is not None and unroll is not False and unroll != 1:
        raise ValueError("fori_loop: unroll needs static (concrete) bounds")
    lo_op = _to_counter(lo_op, i_aval)
    hi_op = _to_counter(hi_op, i_aval)
    _, _, out = while_loop(_fori_while_cond,
                           functools.partial(_fori_while_body, body_fun), (lo_op, hi_op, init_val))
    return out


def _as_counter(value: int, aval: ShapedArray) -> Any:
    return _operand(np.asarray(value, aval.dtype)) if not aval.weak_type else value


def _to_counter(x: Any, aval: ShapedArray) -> Any:
    xa = core.get_aval(x)
    if xa.dtype == aval.dtype:
        return x
    return convert_element_type_p.bind(x, new_dtype=aval.dtype, weak_type=aval.weak_type)


def _map_body(f: Callable[[Any], Any], carry: tuple[()], x: Any) -> tuple[tuple[()], Any]:
    return (), f(x)


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - JAX's public name
    """``stack([f(x) for x in xs])`` over the leading axis of a pytree `xs`, as a scan.

    Example: ``lax.map(lambda x: x ** 2, fnp.arange(3.0))``
    """
    if not callable(f):
        raise TypeError(f"map: f must be callable, got {type(f).__name__}")
    _, ys = scan(functools.partial(_map_body, f), (), xs)
    return ys


# ---------------------------------------------------------------------------
# under fg.disable_jit(): the bodies as Python code


def _value_now(x: Any) -> Any:
    """The value of an operand as a NumPy scalar when it is known now, else None."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    return np.asarray(x.val if type(x) is Literal else x)


def _as_array(x: Any) -> Any:
    """A loop value as an Array (a Python scalar keeps its weak type), as staged
    loops would give it."""
    if type(x) is Array or isinstance(x, Tracer):
        return x
    return from_numpy(x, weak_type=core.get_aval(x).weak_type)


def _stack(xs: Sequence[Any]) -> Any:
    ops = [_operand(x) for x in xs]
    rows = [reshape_p.bind(x, new_sizes=(1, *core.get_aval(x).shape)) for x in ops]
    return concatenate_p.bind(*rows, dimension=0)


def _scan_in_python(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, x_ops: list[Any],
                    x_tree: tree.PyTreeDef, length: int, reverse: bool) -> tuple[Any, Any]:
    carry = tree.map(_as_array, init)
    steps = range(length - 1, -1, -1) if reverse else range(length)
    ys: list[list[Any]] = []
    y_tree = None
    for i in steps:
        out = f(carry, x_tree.unflatten([x[i] for x in x_ops]))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"scan: f must return a pair (carry, y), got {type(out).__name__}")
        carry = tree.map(_as_array, out[0])
        leaves, t = tree.flatten(out[1])
        if y_tree is not None and t != y_tree:
            raise TypeError(f"scan: f returned y of structure {t} at step {i}, but {y_tree} "
                            "before; y must keep one structure")
        y_tree = t
        ys.append(leaves)
    if reverse:
        ys.reverse()
    assert y_tree is not None
    return carry, y_tree.unflatten([_stack(col) for col in zip(*ys, strict=True)])
