"""lax.custom_linear_solve, lax.custom_root and funcgrad.scipy.sparse.linalg.

Values against NumPy's solves; derivatives against finite differences and
against differentiating a direct `fnp.linalg.solve`; vmap against a loop; jit
against eager; and the errors for solves that return the wrong structure,
shape or dtype. Systems are small: compile time, not arithmetic, is the cost.
"""
from __future__ import annotations

import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad import primitives as P
from funcgrad.errors import UnsupportedError
from funcgrad.scipy.sparse import linalg as sla
from funcgrad.testing import check_grads

RNG = np.random.default_rng(1234)
N = 4
_G = RNG.normal(size=(N, N))
SPD = _G @ _G.T + N * np.eye(N)             # symmetric positive definite
GEN = _G + N * np.eye(N)                    # general, well conditioned
B = RNG.normal(size=N)


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def dense_solve(a, b):
    """custom_linear_solve of ``a x = b`` with a dense solve (transpose: a.T)."""
    return lax.custom_linear_solve(lambda v: a @ v, b,
                                   solve=lambda mv, r: fnp.linalg.solve(a, r),
                                   transpose_solve=lambda vm, r: fnp.linalg.solve(a.T, r))


def loss_of(solver):
    return lambda a, b: fnp.sum(fnp.sin(solver(a, b)) * fnp.arange(1.0, N + 1))


direct_loss = loss_of(fnp.linalg.solve)


# ---------------------------------------------------------------------------
# custom_linear_solve


def test_value_and_derivatives_match_a_direct_solve():
    a, b = fnp.asarray(GEN), fnp.asarray(B)
    close(dense_solve(a, b), np.linalg.solve(GEN, B), 1e-12)
    ta, tb = fnp.asarray(RNG.normal(size=(N, N))), fnp.asarray(RNG.normal(size=N))

    def derivatives(loss):
        return fg.jit(lambda a, b, ta, tb: (fg.grad(loss, argnums=(0, 1))(a, b),
                                            fg.jvp(loss, (a, b), (ta, tb))[1]))(a, b, ta, tb)

    (ga, gb), t = derivatives(loss_of(dense_solve))
    (ga_want, gb_want), t_want = derivatives(direct_loss)
    close(ga, ga_want)
    close(gb, gb_want)
    close(t, t_want)
    check_grads(fg.jit(dense_solve), (GEN, B), order=2)


def test_symmetric_uses_solve_as_its_transpose_and_jit_agrees():
    def sym_solve(a, b):
        return lax.custom_linear_solve(lambda v: a @ v, b,
                                       solve=lambda mv, r: fnp.linalg.solve(a, r),
                                       symmetric=True)
    a, b = fnp.asarray(SPD), fnp.asarray(B)
    loss = loss_of(sym_solve)
    eager = fg.grad(loss, argnums=(0, 1))(a, b)
    jitted = fg.jit(fg.grad(loss, argnums=(0, 1)))(a, b)
    want = fg.grad(direct_loss, argnums=(0, 1))(a, b)
    for u, v, w in zip(eager, jitted, want, strict=True):
        close(u, w)
        close(v, w)
    close(fg.jit(sym_solve)(a, b), np.linalg.solve(SPD, B), 1e-12)


def test_transpose_of_matvec_is_derived_when_not_symmetric():
    # no transpose of `a` is given: vecmat is matvec's linear transpose
    def solve_via_vecmat(a, b):
        return lax.custom_linear_solve(
            lambda v: a @ v, b, solve=lambda mv, r: fnp.linalg.solve(a, r),
            transpose_solve=lambda vm, r: fnp.linalg.solve(fg.jacfwd(vm)(r), r))
    a, b = fnp.asarray(GEN), fnp.asarray(B)
    g = fg.grad(loss_of(solve_via_vecmat), argnums=(0, 1))(a, b)
    want = fg.grad(direct_loss, argnums=(0, 1))(a, b)
    for u, v in zip(g, want, strict=True):
        close(u, v)


def test_pytree_right_hand_side_and_aux():
    a1, a2 = fnp.asarray(SPD[:2, :2]), fnp.asarray(SPD[:3, :3] + np.eye(3))

    def matvec(v):
        return {"p": a1 @ v["p"], "q": a2 @ v["q"]}

    def solve(mv, r):
        x = {"p": fnp.linalg.solve(a1, r["p"]), "q": fnp.linalg.solve(a2, r["q"])}
        return x, fnp.asarray(7, dtype=np.int32)

    def f(b):
        x, _ = lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
        return fnp.sum(x["p"] ** 2) + fnp.sum(fnp.cos(x["q"]))

    b = {"p": fnp.asarray([1.0, -2.0]), "q": fnp.asarray([0.5, 0.25, -1.0])}
    x, aux = lax.custom_linear_solve(matvec, b, solve, symmetric=True, has_aux=True)
    assert set(x) == {"p", "q"} and int(np.asarray(aux)) == 7
    close(x["p"], np.linalg.solve(SPD[:2, :2], [1.0, -2.0]), 1e-12)
    g = fg.grad(f)(b)
    want = fg.grad(lambda b: fnp.sum(fnp.linalg.solve(a1, b["p"]) ** 2)
                   + fnp.sum(fnp.cos(fnp.linalg.solve(a2, b["q"]))))(b)
    close(g["p"], want["p"])
    close(g["q"], want["q"])


def test_vmap_over_b_over_the_matrix_and_both_matches_a_loop():
    bs = RNG.normal(size=(3, N))
    as_ = np.stack([GEN, GEN + np.eye(N), 2 * GEN])
    f = fg.vmap(dense_solve, in_axes=(None, 0))
    close(f(GEN, bs), np.stack([np.linalg.solve(GEN, b) for b in bs]), 1e-12)
    f = fg.vmap(dense_solve, in_axes=(0, None))
    close(f(as_, B), np.stack([np.linalg.solve(a, B) for a in as_]), 1e-12)
    # both, with the batch axis of b last, and a gradient per lane
    grads = fg.jit(fg.vmap(fg.grad(loss_of(dense_solve)), in_axes=(0, 1)))(as_, bs.T)
    for k in range(3):
        close(grads[k], fg.grad(direct_loss)(fnp.asarray(as_[k]), fnp.asarray(bs[k])))


def test_the_primitive_is_linear_in_b_only():
    a = fnp.asarray(GEN)
    f_t = fg.linear_transpose(lambda b: dense_solve(a, b), fnp.asarray(B))
    (ct,) = f_t(fnp.asarray(B))
    close(ct, np.linalg.solve(GEN.T, B), 1e-12)
    ir = str(fg.make_ir(fg.grad(loss_of(dense_solve)))(a, fnp.asarray(B)))
    assert ir.count("linear_solve[") == 2      # the primal solve and the transposed one


def test_no_transpose_solve_means_no_reverse_mode():
    def f(a, b):
        return fnp.sum(lax.custom_linear_solve(lambda v: a @ v, b,
                                               lambda mv, r: fnp.linalg.solve(a, r)))
    a, b = fnp.asarray(GEN), fnp.asarray(B)
    _, t = fg.jvp(f, (a, b), (fnp.zeros_like(a), fnp.ones_like(b)))       # forward mode works
    close(t, np.sum(np.linalg.solve(GEN, np.ones(N))))
    with pytest.raises(TypeError, match="needs transpose_solve"):
        fg.grad(f, argnums=1)(a, b)


def test_structure_shape_and_dtype_errors_name_the_function():
    a, b = fnp.asarray(GEN), fnp.asarray(B)
    good = lambda mv, r: fnp.linalg.solve(a, r)  # noqa: E731
    with pytest.raises(TypeError, match=r"matvec\(x\) must return .*f64\[3\] instead of "
                                        r"f64\[4\]"):
        lax.custom_linear_solve(lambda v: (a @ v)[:3], b, good)
    with pytest.raises(TypeError, match=r"solve\(matvec, b\) must return .*structure"):
        lax.custom_linear_solve(lambda v: a @ v, b, lambda mv, r: (good(mv, r),))
    with pytest.raises(TypeError, match=r"transpose_solve\(vecmat, b\) must return .*f32\[4\]"):
        lax.custom_linear_solve(lambda v: a @ v, b, good,
                                transpose_solve=lambda vm, r: good(vm, r).astype(np.float32))
    with pytest.raises(TypeError, match=r"has_aux=True, solve\(matvec, b\) must return a pair"):
        lax.custom_linear_solve(lambda v: a @ v, b, good, has_aux=True)
    with pytest.raises(TypeError, match="solve must be callable"):
        lax.custom_linear_solve(lambda v: a @ v, b, None)
    with pytest.raises(TypeError, match=r"custom_root: f\(x\) must return"):
        lax.custom_root(lambda x: x[:1], fnp.ones(2), lambda f, x: x, lambda g, y: y)
    # linear only in b: transposing with respect to the matrix is refused
    with pytest.raises(UnsupportedError, match="linear only in its right-hand side"):
        fg.linear_transpose(lambda m: dense_solve(m, b), a)(b)


# ---------------------------------------------------------------------------
# custom_root


def newton(f, x):
    for _ in range(25):
        x = x - f(x) / fg.grad(f)(x)
    return x


def sqrt_by_newton(p):
    return lax.custom_root(lambda x: x ** 2 - p, 1.0, newton, lambda g, y: y / g(1.0))


def test_custom_root_scalar_value_and_derivatives():
    close(sqrt_by_newton(2.0), np.sqrt(2.0), 1e-12)
    close(fg.grad(sqrt_by_newton)(2.0), 0.5 / np.sqrt(2.0), 1e-12)
    close(fg.jit(fg.grad(fg.grad(sqrt_by_newton)))(2.0), -0.25 * 2.0 ** -1.5, 1e-10)
    close(fg.vmap(sqrt_by_newton)(fnp.asarray([1.0, 4.0, 9.0])), [1.0, 2.0, 3.0], 1e-12)
    check_grads(sqrt_by_newton, (3.0,), order=1)


def test_custom_root_of_a_system_with_an_iterative_tangent_solve():
    a = fnp.asarray(SPD)

    def root(p):
        def f(x):                                    # Jacobian a + diag(3 x^2): SPD
            return a @ x + x ** 3 - p

        def solve(f, x):
            for _ in range(12):
                x = x - fnp.linalg.solve(fg.jacfwd(f)(x), f(x))
            return x

        return lax.custom_root(f, fnp.zeros(N), solve,
                               lambda g, y: sla.cg(g, y, tol=1e-13)[0])

    p = fnp.asarray(B)
    x = root(p)
    close(SPD @ np.asarray(x) + np.asarray(x) ** 3, B, 1e-10)
    jac = fg.jacrev(root)(p)
    close(jac, np.linalg.inv(SPD + np.diag(3 * np.asarray(x) ** 2)), 1e-9)


# ---------------------------------------------------------------------------
# iterative solvers


SOLVERS = [("cg", lambda a, b, **kw: sla.cg(a, b, **kw), SPD),
           ("gmres", lambda a, b, **kw: sla.gmres(a, b, restart=2, **kw), GEN),
           ("gmres_incremental",
            lambda a, b, **kw: sla.gmres(a, b, restart=3, solve_method="incremental", **kw), GEN),
           ("bicgstab", lambda a, b, **kw: sla.bicgstab(a, b, **kw), GEN)]


@pytest.mark.parametrize("name, solver, mat", SOLVERS, ids=[s[0] for s in SOLVERS])
def test_iterative_solution_and_its_gradient(name, solver, mat):
    x, info = solver(mat, B, tol=1e-12)
    assert info is None
    close(x, np.linalg.solve(mat, B), 1e-10)
    solve = lambda a, b: solver(lambda v: a @ v, b, tol=1e-12)[0]  # noqa: E731
    a, b = fnp.asarray(mat), fnp.asarray(B)
    g = fg.jit(fg.grad(loss_of(solve), argnums=(0, 1)))(a, b)
    want = fg.grad(direct_loss, argnums=(0, 1))(a, b)
    for u, v in zip(g, want, strict=True):
        close(u, v, 1e-8)
    if name.startswith("gmres"):     # forward mode: the same rule, checked on cg and bicgstab
        return
    ta, tb = RNG.normal(size=(N, N)), RNG.normal(size=N)
    _, t = fg.jit(lambda *args: fg.jvp(solve, args[:2], args[2:]))(a, b, ta, tb)
    eps = 1e-6
    fd = (np.linalg.solve(mat + eps * ta, B + eps * tb)
          - np.linalg.solve(mat - eps * ta, B - eps * tb)) / (2 * eps)
    close(t, fd, 1e-7)


def test_gradient_of_cg_is_a_solve_not_unrolled_iterations():
    loss = loss_of(lambda a, b: sla.cg(lambda v: a @ v, b)[0])
    ir = fg.make_ir(fg.grad(loss, argnums=(0, 1)))(fnp.asarray(SPD), fnp.asarray(B))
    top = [e.prim for e in ir.eqns]
    assert top.count(P.linear_solve_p) == 2 and P.while_p not in top


def _unrolled_cg(a, b, steps=3 * N):
    """Plain conjugate gradients for a fixed number of steps, differentiated through."""
    x = fnp.zeros_like(b)
    r = b - a @ x
    p = r
    for _ in range(steps):
        ap = a @ p
        alpha = (r @ r) / (p @ ap)
        x, r_new = x + alpha * p, r - alpha * ap
        p = r_new + (r_new @ r_new) / (r @ r) * p
        r = r_new
    return x


def test_implicit_gradients_match_differentiating_the_unrolled_iterations():
    a, b = fnp.asarray(SPD), fnp.asarray(B)
    implicit = fg.grad(loss_of(lambda a, b: sla.cg(a, b, tol=1e-14)[0]), argnums=(0, 1))(a, b)
    unrolled = fg.grad(loss_of(_unrolled_cg), argnums=(0, 1))(a, b)
    for u, v in zip(implicit, unrolled, strict=True):
        close(u, v, 1e-8)

    def newton_sqrt(p, steps=30):                 # the same root, iterations unrolled
        x = fnp.ones_like(p)
        for _ in range(steps):
            x = x - (x * x - p) / (2 * x)
        return x

    ps = fnp.asarray([0.5, 2.0, 7.0])
    close(fg.vmap(fg.grad(sqrt_by_newton))(ps), fg.vmap(fg.grad(newton_sqrt))(ps), 1e-10)


def test_cg_with_preconditioner_pytree_and_x0_under_jit():
    d = np.diag(SPD)

    @fg.jit
    def solve(b, x0):
        return sla.cg(lambda v: {"u": SPD[:2, :2] @ v["u"], "w": SPD[2:, 2:] @ v["w"]}, b,
                      x0=x0, tol=1e-12, M=lambda v: {"u": v["u"] / d[:2], "w": v["w"] / d[2:]})[0]

    b = {"u": B[:2], "w": B[2:]}
    x = solve(b, {"u": np.ones(2), "w": np.zeros(N - 2)})
    close(x["u"], np.linalg.solve(SPD[:2, :2], B[:2]), 1e-10)
    close(x["w"], np.linalg.solve(SPD[2:, 2:], B[2:]), 1e-10)


def test_iterative_solvers_vmap_over_right_hand_sides():
    bs = RNG.normal(size=(3, N))
    xs = fg.vmap(lambda b: sla.bicgstab(GEN, b, tol=1e-12)[0])(bs)
    close(xs, np.stack([np.linalg.solve(GEN, b) for b in bs]), 1e-10)


def test_iterative_solver_argument_errors():
    with pytest.raises(ValueError, match="square matrix"):
        sla.cg(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="x0 and b must have the same tree structure"):
        sla.cg(SPD, B, x0=(B,))
    with pytest.raises(ValueError, match="solve_method"):
        sla.gmres(GEN, B, solve_method="qr")
