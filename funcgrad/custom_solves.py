"""Implicitly differentiated solves: `custom_linear_solve` and `custom_root`
(exported by funcgrad.lax, with JAX's signatures; a user namespace like lax).

Each stages the user's functions on the avals of the right-hand side (guess)
and binds a primitive (linear_solve) or a custom_jvp function over the
Programs; derivatives come from the solution, never from the solver's
iterations.
"""
from __future__ import annotations

import functools as _functools
from collections.abc import Callable, Sequence
from typing import Any
from typing import NamedTuple as _NamedTuple


import funcgrad.numpy as fnp
from funcgrad import core, dtypes, tree
from funcgrad import primitives as P
from funcgrad.autodiff import jvp as _jvp
from funcgrad.autodiff import linear_transpose as _linear_transpose
from funcgrad.autodiff import linearize as _linearize
from funcgrad.control_flow import Staged as _Staged
from funcgrad.control_flow import stage as _stage
from funcgrad.custom_rules import custom_jvp as _custom_jvp
from funcgrad.ir import Program as _Program
from funcgrad.numpy._util import asarray_operand, aval_of
from funcgrad.transforms.staging import eval_program as _eval_program

__all__ = ["custom_linear_solve", "custom_root"]


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
