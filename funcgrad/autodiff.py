"""The public autodiff transformations, with JAX's names and semantics.

grad, value_and_grad, jvp, vjp, linearize, linear_transpose, jacfwd, jacrev
(alias jacobian), hessian, stop_gradient (custom rules live in funcgrad.custom_rules,
checkpoint/remat in funcgrad.remat). Each function only deals
with pytrees and argument checking; the work is done by the interpreters in
transforms/ (forward mode, partial evaluation, transposition).

Example::

    loss = lambda w, x: fnp.sum(fnp.tanh(x @ w) ** 2)
    g = fg.grad(loss)(w, x)                       # same structure as w
    (val, aux), (gw, gx) = fg.value_and_grad(f, argnums=(0, 1), has_aux=True)(w, x)
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcgrad import core, dtypes, tree
from funcgrad.config import jit_disabled
from funcgrad import primitives as P
from funcgrad.core import ShapedArray
from funcgrad.ir import Program
from funcgrad import eager_grad
from funcgrad.vmap import vmap
from funcgrad.transforms.jvp import jvp_call
from funcgrad.transforms.partial_eval import PartialEvalTrace
from funcgrad.transforms.programs import (Zero, differentiable, full, instantiate,
                                          tangent_aval, zeros)
from funcgrad.transforms.staging import eval_program
from funcgrad.transforms.transpose import transpose_linear_flat

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "linearize", "linear_transpose", "jacfwd",
           "jacrev", "jacobian", "hessian", "stop_gradient"]

Fun = Callable[..., Any]


# ---------------------------------------------------------------------------
# linearization: forward mode over partial evaluation (primals known, tangents
# unknown) runs the primal computation now and stages the tangent map


class Linearized:
    """The result of linearizing a flat function at a point.

    `program` maps the nonzero input tangents (those of `in_diff` inputs) to the
    output tangents that are not symbolically zero (`out_zero` says which are);
    its constvars take `residuals`.
    """

    __slots__ = ("program", "residuals", "in_avals", "in_diff", "out_avals", "out_zero")

    def __init__(self, program: Program, residuals: list[Any], in_avals: list[ShapedArray],
                 in_diff: list[bool], out_avals: list[ShapedArray], out_zero: list[bool]):
        self.program = program
        self.residuals = residuals
        self.in_avals = in_avals
        self.in_diff = in_diff
        self.out_avals = out_avals
        self.out_zero = out_zero

    def __call__(self, tangents: Sequence[Any]) -> list[Any]:
        """Evaluate the linear map on tangents (one per input; ignored where not in_diff)."""
        return self.apply(self.residuals, tangents)

    def apply(self, residuals: Sequence[Any], tangents: Sequence[Any]) -> list[Any]:
        """`__call__` with the residuals given: a `Partial` passes them as its
        arguments, traced where it crosses a transformation."""
        args = [t for t, d in zip(tangents, self.in_diff, strict=True) if d]
        outs = iter(eval_program(self.program, [*residuals, *args]))
        return [zeros(tangent_aval(a)) if z else next(outs)
                for a, z in zip(self.out_avals, self.out_zero, strict=True)]


def linearize_flat(fun: Callable[..., Sequence[Any]], primals: Sequence[Any],
                   name: str = "linearized") -> tuple[list[Any], Linearized]:
    """Run `fun` at `primals` and stage its tangent map (flat lists in and out)."""
    in_avals = [core.get_aval(p) for p in primals]
    in_diff = [differentiable(a) for a in in_avals]
    pe = PartialEvalTrace(core.current_trace())
    with core.new_trace(pe):
        tangents = [pe.new_arg(tangent_aval(a)) if d else Zero(tangent_aval(a))
                    for a, d in zip(in_avals, in_diff, strict=True)]
        primals_out, tangents_out = jvp_call(fun, primals, tangents)
    out_zero = [type(t) is Zero for t in tangents_out]
    program, residuals = pe.to_program([t for t in tangents_out if type(t) is not Zero], name)
    out_avals = [core.get_aval(p) for p in primals_out]
    return primals_out, Linearized(program, residuals, in_avals, in_diff, out_avals, out_zero)


# ---------------------------------------------------------------------------
# argument handling


def _check_callable(fun: Any, name: str) -> None:
    if not callable(fun):
        raise TypeError(f"{name} expects a callable as its first argument, got "
                        f"{type(fun).__name__}")


def _normalize_argnums(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise ValueError(f"{name}: argnums must name at least one argument, got {argnums!r}")
    out = []
    for n in nums:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= n < nargs:
            raise ValueError(f"{name}: argnums={argnums!r} is out of range for a call with "
                             f"{nargs} positional argument(s). Pass the arguments to "
                             "differentiate positionally, or choose argnums in "
                             f"range({nargs}).")
        out.append(int(n) % nargs)
    return tuple(out)


def _leaf_aval(x: Any, name: str, what: str) -> ShapedArray:
    try:
        return core.get_aval(x)
    except TypeError:
        raise TypeError(f"{name}: {what} has a leaf of type {type(x).__name__}, which is not "
                        "an array; differentiate with respect to arrays or Python scalars "
                        "(pytrees of them are fine)") from None


def _check_diff_inputs(leaves: Sequence[Any], name: str,
                       holomorphic: bool = False) -> list[ShapedArray]:
    avals = [_leaf_aval(x, name, "a differentiated argument") for x in leaves]
    for a in avals:
        if holomorphic and not dtypes.is_complex(a.dtype):
            raise TypeError(f"{name} with holomorphic=True requires inputs with complex dtype, "
                            f"but got {a.dtype.name} ({a.str_short()}). Pass complex "
                            "arguments (e.g. x.astype(complex)), or drop holomorphic=True.")
        if not differentiable(a):
            raise TypeError(
                f"{name} requires floating-point (or complex) inputs, but got an input of "
                f"dtype {a.dtype} ({a.str_short()}). Integer and boolean values have no "
                "gradient: convert the argument with .astype(float), or leave it out of "
                "argnums.")
    return avals


def _split_args(fun: Fun, args: tuple[Any, ...], kwargs: dict[str, Any],
                argnums: tuple[int, ...]) -> tuple[Callable[..., Any], Any]:
    """`fun` as a function of the differentiated arguments only (a tuple of them)."""
    def partial_fun(diff_args: tuple[Any, ...]) -> Any:
        full_args = list(args)
        for i, a in zip(argnums, diff_args, strict=True):
            full_args[i] = a
        return fun(*full_args, **kwargs)
    return partial_fun, tuple(args[i] for i in argnums)


def _flat_fun(fun: Callable[[Any], Any], in_tree: tree.PyTreeDef, has_aux: bool,
              box: dict[str, Any], name: str) -> Callable[..., list[Any]]:
    """`fun` (taking one pytree) as a function of flat leaves returning flat leaves.

    Array leaves of `aux` become extra outputs (so tracers are unwrapped by the
    transformation); other aux leaves are kept aside."""
    def flat(*leaves: Any) -> list[Any]:
        out = fun(in_tree.unflatten(leaves))
        aux_leaves: list[Any] = []
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"{name}(..., has_aux=True) needs the function to return a "
                                f"pair (output, aux), got {type(out).__name__}")
            out, aux = out
            aux_leaves, box["aux_tree"] = tree.flatten(aux)
            box["aux_is_array"] = [core.is_array_like(a) for a in aux_leaves]
            box["aux_other"] = [a for a in aux_leaves if not core.is_array_like(a)]
            aux_leaves = [a for a in aux_leaves if core.is_array_like(a)]
        out_leaves, box["out_tree"] = tree.flatten(out)
        for o in out_leaves:
            if not core.is_array_like(o):
                raise TypeError(f"{name}: the function returned a {type(o).__name__}, which is "
                                "not an array; return arrays, scalars or pytrees of them")
        box["n_out"] = len(out_leaves)
        return [*out_leaves, *aux_leaves]
    return flat


def _aux(box: dict[str, Any], outs: Sequence[Any]) -> Any:
    arrays, others = iter(outs[box["n_out"]:]), iter(box["aux_other"])
    return box["aux_tree"].unflatten([next(arrays) if is_arr else next(others)
                                      for is_arr in box["aux_is_array"]])


def _zeros_for(aval: ShapedArray) -> Any:
    return zeros(tangent_aval(aval))


# ---------------------------------------------------------------------------
# reverse mode


def _check_output(out_aval: ShapedArray, box: dict[str, Any], name: str,
                  holomorphic: bool = False) -> None:
    if box["n_out"] != 1 or box["out_tree"] != tree.structure(0):
        raise TypeError(f"{name} needs a function with a scalar output, but it returned "
                        f"a pytree with {box['n_out']} leaves ({box['out_tree']}). Use "
                        "fg.vjp or fg.jacrev for non-scalar outputs, or reduce the output "
                        "(e.g. with fnp.sum).")
    if out_aval.shape != ():
        raise TypeError(f"{name} needs a function with a scalar output, but the output has "
                        f"shape {out_aval.shape}. Use fg.vjp or fg.jacrev for non-scalar "
                        "outputs, or reduce the output (e.g. with fnp.sum or fnp.mean).")
    _check_output_dtype(out_aval, name, holomorphic)


def _check_output_dtype(out_aval: ShapedArray, name: str, holomorphic: bool) -> None:
    """JAX's rule for reverse mode: a real output, or a complex one with holomorphic."""
    if holomorphic:
        if not dtypes.is_complex(out_aval.dtype):
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {out_aval.dtype.name} ({out_aval.str_short()}).")
    elif dtypes.is_complex(out_aval.dtype):
        raise TypeError(f"{name} needs a real floating-point output, but the output has "
                        f"dtype {out_aval.dtype}. For a holomorphic function pass "
                        f"holomorphic=True (the result is then f'(z)); otherwise compute a "
                        "real loss (e.g. fnp.abs or .real of the value), or use fg.vjp "
                        "directly.")
    elif not dtypes.is_float(out_aval.dtype):
        raise TypeError(f"{name} needs a real floating-point output, but the output has "
                        f"dtype {out_aval.dtype}. Compute a real loss (e.g. fnp.abs or .real "
                        "of a complex value); for integer outputs there is no gradient.")


def _value_and_grad_flat(flat: Callable[..., list[Any]], leaves: Sequence[Any],
                         box: dict[str, Any], name: str,
                         holomorphic: bool = False) -> tuple[list[Any], list[Any]]:
    """(outputs, gradients) of a flat function whose first output is the scalar loss:
    linearize, then transpose with a unit cotangent (a complex 1 with
    `holomorphic`, which gives f'(z) under JAX's convention)."""
    outs, lin = linearize_flat(flat, leaves, name="grad")
    _check_output(core.get_aval(outs[0]), box, name, holomorphic)
    cts = [full(1, tangent_aval(core.get_aval(o))) if i == 0 else
           Zero(tangent_aval(core.get_aval(o))) for i, o in enumerate(outs)]
    cts_in = eager_grad.backward(lin.program, lin.residuals,
                       [c for c, z in zip(cts, lin.out_zero, strict=True) if not z])
    grads = [instantiate(c) for c in cts_in]
    if len(grads) != len(leaves):
        grads = [_zeros_for(core.get_aval(x)) for x in leaves]
    return outs, grads


def value_and_grad(fun: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False) -> Callable[..., Any]:
    """A function returning ``(fun(*args), gradient)`` (``((out, aux), grad)`` with
    `has_aux`). The gradient has the structure of the argument(s) in `argnums`
    (a tuple of them when `argnums` is a tuple).

    With `holomorphic`, `fun` maps complex inputs to a complex scalar and is
    promised holomorphic; the gradient is its complex derivative f'(z).

    NB: called eagerly (outside any transformation), the function is staged
    and value-and-gradient runs as one compiled call, cached by the staged
    program's structure; Python still runs the function once per call, and may
    ask for traced values (``if x > 0``), which are computed on demand.

    NB: under ``fg.disable_jit()`` it runs op by op instead.

    Raises TypeError for a non-scalar or (without `holomorphic`) non-real output,
    integer/boolean inputs, or (with `holomorphic`) real inputs or output;
    ValueError for `argnums` out of range. Example::

        val, g = fg.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.arange(3.0))
        fg.grad(lambda z: z ** 3, holomorphic=True)(1.0 + 2.0j)     # 3 z**2
    """
    _check_callable(fun, "value_and_grad")
    name = "grad"
    state = {"staged": True}
    check_output = functools.partial(_check_output, holomorphic=holomorphic)
    vg_flat = functools.partial(_value_and_grad_flat, holomorphic=holomorphic)

    @functools.wraps(fun)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), name)
        partial_fun, diff_args = _split_args(fun, args, kwargs, nums)
        leaves, in_tree = tree.flatten(diff_args)
        in_avals = _check_diff_inputs(leaves, name, holomorphic)
        box: dict[str, Any] = {}
        flat = _flat_fun(partial_fun, in_tree, has_aux, box, name)
        if (state["staged"] and core.current_trace() is core.eval_trace
                and not jit_disabled()):
            outs, grads, asks = eager_grad.value_and_grad_staged(
                flat, leaves, in_avals, box, name, check_output, vg_flat)
            if asks > eager_grad.MAX_MATERIALIZE:
                state["staged"] = False
        else:
            outs, grads = vg_flat(flat, leaves, box, name)
        g = in_tree.unflatten(grads)
        g = g[0] if isinstance(argnums, int) else g
        out = outs[0]
        return ((out, _aux(box, outs)), g) if has_aux else (out, g)

    return value_and_grad_f


def grad(fun: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar-output `fun` with respect to the argument(s) in
    `argnums` (``(grad, aux)`` with `has_aux`); with `holomorphic`, the complex
    derivative of a holomorphic `fun` of complex inputs (see `value_and_grad`).
    Example::

        fg.grad(lambda x: fnp.sin(x) * x)(1.0)
    """
    _check_callable(fun, "grad")
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        (_, aux), g = vg(*args, **kwargs) if has_aux else ((None, None), vg(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    return grad_f


def _check_cts(cts: Sequence[Any], avals: Sequence[ShapedArray]) -> None:
    for i, (c, a) in enumerate(zip(cts, avals, strict=True)):
        ca = core.get_aval(c)
        if differentiable(a) and (ca.shape != a.shape or ca.dtype != a.dtype):
            raise TypeError(f"vjp: cotangent #{i} has type {ca.str_short()} but the function's "
                            f"output #{i} has type {a.str_short()}; pass cotangents with the "
                            "shapes and dtypes of the outputs")


def vjp(fun: Fun, *primals: Any, has_aux: bool = False) -> Any:
    """``(fun(*primals), vjp_fn)``, with ``vjp_fn(ct)`` the cotangents of the
    primals (a tuple) for an output cotangent `ct` shaped like the output.
    With `has_aux`, ``(out, vjp_fn, aux)``. Example::

        y, pullback = fg.vjp(fnp.sin, x); (x_ct,) = pullback(fnp.ones_like(y))
    """
    _check_callable(fun, "vjp")
    leaves, in_tree = tree.flatten(primals)
    in_avals = [_leaf_aval(x, "vjp", "a primal") for x in leaves]
    box: dict[str, Any] = {}
    flat = _flat_fun(lambda args: fun(*args), in_tree, has_aux, box, "vjp")
    outs, lin = linearize_flat(flat, leaves, name="vjp")
    n_out = box["n_out"]
    out_tree = box["out_tree"]
    out_avals = [core.get_aval(o) for o in outs[:n_out]]
    aux_avals = [core.get_aval(o) for o in outs[n_out:]]
    program, in_diff, out_zero = lin.program, lin.in_diff, lin.out_zero

    # a Partial over the residuals: it crosses jit as an argument (residuals traced)
    def vjp_fn(residuals: list[Any], *given: Any) -> tuple[Any, ...]:
        if len(given) != 1:
            raise TypeError(f"the function returned by vjp takes one cotangent, shaped like "
                            f"the output, got {len(given)} arguments; pass a tuple for a "
                            "function that returns a tuple")
        ct_leaves, ct_tree = tree.flatten(given[0])
        if ct_tree != out_tree:
            raise TypeError(f"vjp: the cotangent has structure {ct_tree}, but the function's "
                            f"output has structure {out_tree}; pass one cotangent per output")
        _check_cts(ct_leaves, out_avals)
        cts = [*ct_leaves, *(Zero(tangent_aval(a)) for a in aux_avals)]
        cts = [Zero(tangent_aval(a)) if not differentiable(a) else c
               for c, a in zip(cts, [*out_avals, *aux_avals], strict=True)]
        cts_in = iter(eager_grad.backward(
            program, residuals, [c for c, z in zip(cts, out_zero, strict=True) if not z]))
        grads = [instantiate(next(cts_in)) if d else _zeros_for(a)
                 for a, d in zip(in_avals, in_diff, strict=True)]
        return tuple(in_tree.unflatten(grads))

    out = out_tree.unflatten(outs[:n_out])
    pullback = tree.Partial(vjp_fn, list(lin.residuals))
    return (out, pullback, _aux(box, outs)) if has_aux else (out, pullback)


# ---------------------------------------------------------------------------
# forward mode


def jvp(fun: Fun, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(fun(*primals), the directional derivative along tangents)``. `primals`
    and `tangents` are tuples (or lists) of the same structure, shapes and
    dtypes. Example::

        y, y_dot = fg.jvp(fnp.sin, (x,), (fnp.ones_like(x),))
    """
    _check_callable(fun, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists of arguments, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}; write "
                        "fg.jvp(f, (x,), (v,))")
    p_leaves, p_tree = tree.flatten(tuple(primals))
    t_leaves, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"jvp: primals have structure {p_tree} but tangents have structure "
                        f"{t_tree}; pass one tangent per primal")
    ts: list[Any] = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves, strict=True)):
        pa, ta = _leaf_aval(p, "jvp", "a primal"), _leaf_aval(t, "jvp", "a tangent")
        if not differentiable(pa):
            ts.append(Zero(tangent_aval(pa)))
            continue
        if pa.shape != ta.shape or pa.dtype != ta.dtype:
            raise TypeError(f"jvp: primal #{i} has type {pa.str_short()} but its tangent has "
                            f"type {ta.str_short()}; tangents need the primals' shapes and "
                            "dtypes")
        ts.append(t)
    box: dict[str, Any] = {}
    flat = _flat_fun(lambda args: fun(*args), p_tree, False, box, "jvp")
    p_out, t_out = jvp_call(flat, p_leaves, ts)
    t_out = [instantiate(t) for t in t_out]
    return box["out_tree"].unflatten(p_out), box["out_tree"].unflatten(t_out)


def linearize(fun: Fun, *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates the JVP at
    `primals` without rerunning the primal computation. Example::

        y, f_jvp = fg.linearize(fnp.sin, x); f_jvp(v)    # == cos(x) * v
    """
    _check_callable(fun, "linearize")
    leaves, in_tree = tree.flatten(primals)
    in_avals = [_leaf_aval(x, "linearize", "a primal") for x in leaves]
    box: dict[str, Any] = {}
    flat = _flat_fun(lambda args: fun(*args), in_tree, False, box, "linearize")
    outs, lin = linearize_flat(flat, leaves, name="linearize")
    out_tree = box["out_tree"]
    residuals = list(lin.residuals)
    lin = Linearized(lin.program, [], lin.in_avals, lin.in_diff, lin.out_avals, lin.out_zero)

    # a Partial over the residuals: it crosses jit as an argument (residuals traced)
    def f_jvp(residuals: list[Any], *tangents: Any) -> Any:
        t_leaves, t_tree = tree.flatten(tangents)
        if t_tree != in_tree:
            raise TypeError(f"linearize: f_jvp takes tangents of structure {in_tree}, got "
                            f"{t_tree}")
        for i, (t, a) in enumerate(zip(t_leaves, in_avals, strict=True)):
            ta = core.get_aval(t)
            if differentiable(a) and (ta.shape != a.shape or ta.dtype != a.dtype):
                raise TypeError(f"linearize: tangent #{i} has type {ta.str_short()}, expected "
                                f"{a.str_short()}")
        return out_tree.unflatten(lin.apply(residuals, t_leaves))

    return out_tree.unflatten(outs), tree.Partial(f_jvp, residuals)


def linear_transpose(fun: Fun, *primals: Any) -> Callable[..., tuple[Any, ...]]:
    """The transpose of a linear `fun`; `primals` give only the input shapes and
    dtypes. ``linear_transpose(f, x)(ct)`` returns a tuple shaped like the inputs.
    Raises when `fun` is not linear in its inputs. Example::

        f_t = fg.linear_transpose(lambda x: 2.0 * x, x); f_t(ct)   # == (2 * ct,)
    """
    _check_callable(fun, "linear_transpose")
    leaves, in_tree = tree.flatten(primals)
    in_avals = _check_diff_inputs(leaves, "linear_transpose")
    pe = PartialEvalTrace(core.current_trace())
    with core.new_trace(pe):
        ins = [pe.new_arg(tangent_aval(a)) for a in in_avals]
        out = fun(*in_tree.unflatten(ins))
    out_leaves, out_tree = tree.flatten(out)
    program, residuals = pe.to_program(out_leaves, "linear_transpose")
    out_avals = program.out_avals

    def transposed(*cts: Any) -> tuple[Any, ...]:
        ct = cts[0] if len(cts) == 1 else cts
        ct_leaves, ct_tree = tree.flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(f"linear_transpose: the cotangent has structure {ct_tree}, but the "
                            f"function's output has structure {out_tree}")
        _check_cts(ct_leaves, out_avals)
        cts_in = transpose_linear_flat(program, residuals, ct_leaves)
        return tuple(in_tree.unflatten([instantiate(c) for c in cts_in]))

    return transposed


# ---------------------------------------------------------------------------
# Jacobians: the linear map (jacfwd) or its transpose (jacrev) vmapped over the
# standard basis. The basis axis lands last (jacfwd) or first (jacrev), so each
# block of the layout S + T is a slice and a reshape, never a transpose.


def _std_basis(avals: Sequence[ShapedArray]) -> list[np.ndarray]:
    """The identity over all N scalar components of `avals`, split per leaf:
    leaf j gets the (N, *shape_j) block of tangents for its components."""
    n = sum(a.size for a in avals)
    out, start = [], 0
    for a in avals:
        eye = np.eye(n, a.size, -start, dtype=tangent_aval(a).dtype)
        out.append(eye.reshape(n, *a.shape))
        start += a.size
    return out


def _split_axis(x: Any, axis: int, shapes: Sequence[tuple[int, ...]]) -> list[Any]:
    """Cut `axis` of x into consecutive pieces of sizes prod(shapes[k]), each
    reshaped so that the axis becomes shapes[k]."""
    aval = core.get_aval(x)
    ax = axis % aval.ndim
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        piece = x
        if size != aval.shape[ax]:
            lo, hi = [0] * aval.ndim, list(aval.shape)
            lo[ax], hi[ax] = start, start + size
            piece = P.slice_p.bind(x, start_indices=tuple(lo), limit_indices=tuple(hi),
                                   strides=(1,) * aval.ndim)
        new_shape = (*aval.shape[:ax], *shape, *aval.shape[ax + 1:])
        if new_shape != core.get_aval(piece).shape:
            piece = P.reshape_p.bind(piece, new_sizes=new_shape)
        out.append(piece)
        start += size
    return out


def _jac_setup(fun: Fun, argnums: int | Sequence[int], has_aux: bool, name: str,
               args: tuple[Any, ...], kwargs: dict[str, Any], holomorphic: bool) -> Any:
    nums = _normalize_argnums(argnums, len(args), name)
    partial_fun, diff_args = _split_args(fun, args, kwargs, nums)
    leaves, in_tree = tree.flatten(diff_args)
    in_avals = _check_diff_inputs(leaves, name, holomorphic)
    if name == "jacfwd" and not holomorphic:
        for a in in_avals:
            if dtypes.is_complex(a.dtype):
                raise TypeError(f"jacfwd needs real floating-point inputs, but got "
                                f"{a.str_short()}. For a holomorphic function pass "
                                "holomorphic=True; otherwise use fg.jvp directly.")
    box: dict[str, Any] = {}
    flat = _flat_fun(partial_fun, in_tree, has_aux, box, name)
    return leaves, in_tree, in_avals, box, flat


def _jac_tree(box: dict[str, Any], in_tree: tree.PyTreeDef, argnums: int | Sequence[int],
              blocks: list[list[Any]]) -> Any:
    rows = []
    for row in blocks:
        t = in_tree.unflatten(row)
        rows.append(t[0] if isinstance(argnums, int) else t)
    return box["out_tree"].unflatten(rows)


def jacfwd(fun: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of `fun` by forward mode (one JVP per input component).
    For output leaf of shape S and input leaf of shape T the block has shape
    S + T. Inputs are real unless `holomorphic` (complex inputs and outputs,
    the complex Jacobian of a holomorphic `fun`). Example::

        fg.jacfwd(fnp.sin)(x)          # == fnp.diag(fnp.cos(x))
    """
    _check_callable(fun, "jacfwd")

    def jacfun(*args: Any, **kwargs: Any) -> Any:
        leaves, in_tree, in_avals, box, flat = _jac_setup(fun, argnums, has_aux, "jacfwd",
                                                          args, kwargs, holomorphic)
        outs, lin = linearize_flat(flat, leaves, name="jacfwd")
        n_out = box["n_out"]
        if holomorphic:
            for o in outs[:n_out]:
                _check_output_dtype(core.get_aval(o), "jacfwd", True)
        basis = _std_basis(in_avals)
        # one JVP per input component, batched: each output gets the basis axis last
        cols = vmap(lambda *ts: lin(list(ts))[:n_out], out_axes=-1,
                    axis_size=len(basis[0]) if basis else 0)(*basis)
        blocks = [_split_axis(c, -1, [a.shape for a in in_avals]) for c in cols]
        jac = _jac_tree(box, in_tree, argnums, blocks)
        return (jac, _aux(box, outs)) if has_aux else jac

    return jacfun


def jacrev(fun: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of `fun` by reverse mode (one VJP per output component),
    with jacfwd's layout. Outputs are real unless `holomorphic` (complex inputs
    and outputs, the complex Jacobian of a holomorphic `fun`). Example::

        fg.jacrev(lambda x: x @ A)(x)  # == A.T
    """
    _check_callable(fun, "jacrev")

    def jacfun(*args: Any, **kwargs: Any) -> Any:
        leaves, in_tree, in_avals, box, flat = _jac_setup(fun, argnums, has_aux, "jacrev",
                                                          args, kwargs, holomorphic)
        outs, lin = linearize_flat(flat, leaves, name="jacrev")
        n_out = box["n_out"]
        out_avals = [core.get_aval(o) for o in outs]

        def pull(cts: list[Any]) -> list[Any]:
            cts = [*cts, *(Zero(tangent_aval(a)) for a in out_avals[n_out:])]
            res = iter(transpose_linear_flat(
                lin.program, lin.residuals,
                [c for c, z in zip(cts, lin.out_zero, strict=True) if not z]))
            return [instantiate(next(res)) for _ in in_avals]

        for a in out_avals[:n_out]:
            if not differentiable(a):
                raise TypeError(f"jacrev needs floating-point outputs, got {a.str_short()}")
            _check_output_dtype(a, "jacrev", holomorphic)
        basis = _std_basis(out_avals[:n_out])
        # one VJP per output component, batched: each input gets the basis axis first
        rows = vmap(lambda *cts: pull(list(cts)),
                    axis_size=len(basis[0]) if basis else 0)(*basis)
        per_in = [_split_axis(r, 0, [a.shape for a in out_avals[:n_out]]) for r in rows]
        blocks = [[per_in[j][i] for j in range(len(in_avals))] for i in range(n_out)]
        jac = _jac_tree(box, in_tree, argnums, blocks)
        return (jac, _aux(box, outs)) if has_aux else jac

    return jacfun


def hessian(fun: Fun, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian of a scalar `fun`: ``jacfwd(jacrev(fun))``. Example::

        fg.hessian(lambda x: fnp.sum(x ** 3))(x)   # == fnp.diag(6 * x)
    """
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


jacobian = jacrev   # JAX's alias


# ---------------------------------------------------------------------------


def stop_gradient(x: Any) -> Any:
    """`x` (a pytree) unchanged, but with zero derivative: differentiation treats
    it as a constant. Example::

        fg.grad(lambda x: x * fg.stop_gradient(x))(3.0)   # == 3.0
    """
    def leaf(v: Any) -> Any:
        if isinstance(v, core.Tracer) and differentiable(v.aval):
            return P.stop_gradient_p.bind(v)
        return v
    return tree.map(leaf, x)
