"""Krylov solvers for ``A x = b`` with JAX's names and signatures
(``jax.scipy.sparse.linalg``): `cg`, `gmres` and `bicgstab`.

- `A` is a square matrix, or a function computing the linear map ``A(x)``;
  `b` (and so x and `x0`) may be a pytree of arrays, A mapping such a pytree
  to one of the same structure, shapes and dtypes.
- `M` is a preconditioner approximating ``A^{-1}`` (a matrix or a function).
- Each returns ``(x, info)``, with ``info`` None as in JAX.
- Convergence: ``norm(b - A x) <= max(tol * norm(b), atol)`` (SciPy's
  non-legacy rule), or `maxiter` steps: iterations for cg and bicgstab,
  restart cycles for gmres (default ``10 * size of b`` for all three).

The iterations run in `lax.while_loop`, and the solve is wrapped in
`lax.custom_linear_solve`: the derivative of the solution (jvp, grad, vmap of
either) is another solve with the same method, of the tangent system or of
the transposed system, never a differentiation of the iterations. It is as
accurate as those solves converge. `cg` assumes A (and M) Hermitian positive
definite; for real dtypes it uses A as its own transpose.

Example::

    x, _ = cg(lambda v: a @ v, b, tol=1e-10)
    g = fg.grad(lambda a: fnp.sum(cg(a, b)[0] ** 2))(a)     # one more cg solve
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

import funcgrad.numpy as fnp
from funcgrad import dtypes, lax, tree

__all__ = ["bicgstab", "cg", "gmres"]

Fun = Callable[[Any], Any]


# ---------------------------------------------------------------------------
# vectors are pytrees of arrays


def _identity(x: Any) -> Any:
    return x


def _dense_matvec(a: Any, x: Any) -> Any:
    return fnp.matmul(a, x)


def _operator(a: Any, what: str, fname: str) -> Fun:
    """`a` as a function computing the linear map: callables as they are,
    square matrices as ``x -> a @ x``."""
    if callable(a):
        return a
    if hasattr(a, "shape") or isinstance(a, (list, tuple, np.ndarray)):
        arr = fnp.asarray(a)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(f"{fname}: the linear operator {what} must be a square matrix or a "
                             f"function, but has shape {arr.shape}")
        return functools.partial(_dense_matvec, arr)
    raise TypeError(f"{fname}: the linear operator {what} must be a function or a square "
                    f"matrix, got {type(a).__name__}")


def _vector_leaf(x: Any) -> Any:
    arr = fnp.asarray(x)
    if not dtypes.is_inexact(arr.dtype):
        arr = arr.astype(fnp.result_type(arr, 1.0))
    return arr


def _dtype(x: Any) -> np.dtype:
    return np.dtype(fnp.result_type(*tree.leaves(x)))


def _real_dtype(dt: np.dtype) -> np.dtype:
    return np.dtype(dtypes.real_dtype(dt)) if dtypes.is_complex(dt) else dt


def _size(x: Any) -> int:
    return sum(int(np.prod(leaf.shape)) for leaf in tree.leaves(x))


def _cast(s: Any, dt: np.dtype) -> Any:
    """The scalar `s` in the dtype of the vector it multiplies (a complex scalar
    times a real vector stays complex)."""
    if dtypes.is_complex(s.dtype) and not dtypes.is_complex(dt):
        return s
    return s.astype(dt)


def _scale(s: Any, x: Any) -> Any:
    return tree.map(lambda v: v * _cast(s, v.dtype), x)


def _add(x: Any, y: Any) -> Any:
    return tree.map(lambda u, v: u + v, x, y)


def _sub(x: Any, y: Any) -> Any:
    return tree.map(lambda u, v: u - v, x, y)


def _axpy(s: Any, x: Any, y: Any) -> Any:
    """``y + s * x``."""
    return tree.map(lambda u, v: v + u * _cast(s, u.dtype), x, y)


def _vdot(x: Any, y: Any, dt: np.dtype) -> Any:
    """``<x, y> = sum(conj(x) * y)`` over every leaf, in dtype `dt`."""
    parts = [fnp.vdot(u, v) for u, v in zip(tree.leaves(x), tree.leaves(y), strict=True)]
    return functools.reduce(lambda a, b: a + b, parts).astype(dt)


def _vdot_real(x: Any, y: Any, dt: np.dtype) -> Any:
    return fnp.real(_vdot(x, y, dt))


def _norm(x: Any, dt: np.dtype) -> Any:
    return fnp.sqrt(_vdot_real(x, x, dt))


def _where(pred: Any, new: Any, old: Any) -> Any:
    return tree.map(lambda n, o: fnp.where(pred, n, o), new, old)


def _safe(d: Any, ok: Any) -> Any:
    """`d` where `ok`, else 1 (a divisor that cannot produce inf or nan)."""
    return fnp.where(ok, d, fnp.ones_like(d))


# ---------------------------------------------------------------------------
# the iterations; each is `algo(A, b, x0, *, tol, atol, maxiter, M, **extra) -> x`


def _cg(A: Fun, b: Any, x0: Any, *, tol: Any, atol: Any, maxiter: int, M: Fun) -> Any:
    """Preconditioned conjugate gradients (A, M Hermitian positive definite)."""
    dt = _dtype(b)
    rdt = _real_dtype(dt)
    limit = fnp.maximum(fnp.square(tol) * _vdot_real(b, b, rdt), fnp.square(atol)).astype(rdt)
    r = _sub(b, A(x0))
    z = M(r)
    gamma = _vdot_real(r, z, rdt)

    def cond(state: Any) -> Any:
        _, r, _, _, k, ok = state
        return (_vdot_real(r, r, rdt) > limit) & (k < maxiter) & ok

    def body(state: Any) -> Any:
        x, r, p, gamma, k, _ = state
        ap = A(p)
        pap = _vdot_real(p, ap, rdt)
        ok = (pap > 0) & (gamma > 0)     # else a breakdown: keep the last iterate, stop
        alpha = gamma / _safe(pap, ok)
        x_new = _axpy(alpha, p, x)
        r_new = _axpy(-alpha, ap, r)
        z = M(r_new)
        gamma_new = _vdot_real(r_new, z, rdt)
        p_new = _axpy(gamma_new / _safe(gamma, ok), p, z)
        return (_where(ok, x_new, x), _where(ok, r_new, r), _where(ok, p_new, p),
                fnp.where(ok, gamma_new, gamma), k + 1, ok)

    x, *_ = lax.while_loop(cond, body, (x0, r, z, gamma, 0, fnp.asarray(True)))
    return x


def _bicgstab(A: Fun, b: Any, x0: Any, *, tol: Any, atol: Any, maxiter: int, M: Fun) -> Any:
    """Right-preconditioned BiCGSTAB for a general (non-symmetric) A."""
    dt = _dtype(b)
    rdt = _real_dtype(dt)
    limit = fnp.maximum(fnp.square(tol) * _vdot_real(b, b, rdt), fnp.square(atol)).astype(rdt)
    r = _sub(b, A(x0))
    one = fnp.ones((), dt)
    zero_vec = tree.map(fnp.zeros_like, r)

    def cond(state: Any) -> Any:
        _, r, _, _, _, _, _, _, k, ok = state
        return (_vdot_real(r, r, rdt) > limit) & (k < maxiter) & ok

    def body(state: Any) -> Any:
        x, r, r_hat, p, v, rho, alpha, omega, k, _ = state
        rho_new = _vdot(r_hat, r, dt)
        ok = (rho_new != 0) & (omega != 0)
        beta = (rho_new / _safe(rho, rho != 0)) * (alpha / _safe(omega, ok))
        p_new = _axpy(beta, _axpy(-omega, v, p), r)
        p_hat = M(p_new)
        v_new = A(p_hat)
        rv = _vdot(r_hat, v_new, dt)
        ok = ok & (rv != 0)
        alpha_new = rho_new / _safe(rv, ok)
        s = _axpy(-alpha_new, v_new, r)
        s_small = _vdot_real(s, s, rdt) <= limit
        s_hat = M(s)
        t = A(s_hat)
        tt = _vdot_real(t, t, rdt).astype(dt)
        omega_new = _vdot(t, s, dt) / _safe(tt, tt != 0)
        x_half = _axpy(alpha_new, p_hat, x)
        x_new = _where(s_small, x_half, _axpy(omega_new, s_hat, x_half))
        r_new = _where(s_small, s, _axpy(-omega_new, t, s))
        omega_new = fnp.where(s_small, one, omega_new)
        return (_where(ok, x_new, x), _where(ok, r_new, r), r_hat, _where(ok, p_new, p),
                _where(ok, v_new, v), fnp.where(ok, rho_new, rho),
                fnp.where(ok, alpha_new, alpha), fnp.where(ok, omega_new, omega), k + 1, ok)

    init = (x0, r, r, zero_vec, zero_vec, one, one, one, 0, fnp.asarray(True))
    x, *_ = lax.while_loop(cond, body, init)
    return x


def _basis_column(basis: Any, k: Any) -> Any:
    return tree.map(lambda q: q[k], basis)


def _project(basis: Any, w: Any, dt: np.dtype) -> Any:
    """``[<q_j, w>]_j`` over the basis vectors q_j (the leading axis of each leaf)."""
    parts = [fnp.tensordot(fnp.conj(q), v, axes=v.ndim) for q, v in
             zip(tree.leaves(basis), tree.leaves(w), strict=True)]
    return functools.reduce(lambda a, b: a + b, parts).astype(dt)


def _combine(basis: Any, h: Any) -> Any:
    """``sum_j h_j q_j``."""
    return tree.map(lambda q: fnp.tensordot(_cast(h, q.dtype), q, axes=1), basis)


def _arnoldi_step(A: Fun, M: Fun, basis: Any, k: Any, dt: np.dtype) -> tuple[Any, Any, Any]:
    """Extend the orthonormal basis of the Krylov space of M A by one vector
    (classical Gram-Schmidt, twice). Returns the basis, the new Hessenberg
    column and False on a breakdown (the space is invariant: the solution lies
    in it)."""
    rdt = _real_dtype(dt)
    w = M(A(_basis_column(basis, k)))
    w_norm = _norm(w, rdt)
    h = _project(basis, w, dt)
    w = _sub(w, _combine(basis, h))
    h2 = _project(basis, w, dt)
    w = _sub(w, _combine(basis, h2))
    h = h + h2
    h_norm = _norm(w, rdt)
    ok = h_norm > fnp.finfo(rdt).eps * w_norm
    q = _scale(fnp.where(ok, 1 / _safe(h_norm, ok), 0), w)
    basis = tree.map(lambda b, v: b.at[k + 1].set(v), basis, q)
    h = h.at[k + 1].set(fnp.where(ok, h_norm, 0).astype(dt))
    return basis, h, ok


def _givens(a: Any, b: Any) -> tuple[Any, Any]:
    """(c, s), c real, with ``[[c, s], [-conj(s), c]] @ [a, b] = [r, 0]``."""
    abs_a, abs_b = fnp.abs(a), fnp.abs(b)
    r = fnp.sqrt(abs_a * abs_a + abs_b * abs_b)
    r = _safe(r, r > 0)
    phase = a / _safe(abs_a, abs_a > 0).astype(a.dtype)
    phase = fnp.where(abs_a > 0, phase, fnp.ones_like(phase))
    c = fnp.where(abs_b > 0, abs_a / r, fnp.ones_like(r))
    s = fnp.where(abs_b > 0, phase * fnp.conj(b) / r.astype(b.dtype), fnp.zeros_like(b))
    return c, s


def _rotate(v: Any, i: Any, c: Any, s: Any) -> Any:
    """Apply the rotation (c, s) to entries i and i + 1 of `v`."""
    vi, vj = v[i], v[i + 1]
    c = c.astype(v.dtype)
    return v.at[i].set(c * vi + s * vj).at[i + 1].set(-fnp.conj(s) * vi + c * vj)


def _gmres_cycle(A: Fun, M: Fun, b: Any, x: Any, res_norm: Any, limit: Any, restart: int,
                 incremental: bool) -> Any:
    """One restart: the minimal-residual correction of x in the Krylov space of
    dimension `restart` of M A (left preconditioning)."""
    dt = _dtype(b)
    rdt = _real_dtype(dt)
    r = M(_sub(b, A(x)))
    beta = _norm(r, rdt)
    q0 = _scale(fnp.where(beta > 0, 1 / _safe(beta, beta > 0), 0), r)
    basis = tree.map(lambda v: fnp.zeros((restart + 1, *v.shape), v.dtype).at[0].set(v), q0)
    cols = fnp.arange(restart)
    if not incremental:
        # Build the whole basis, then solve the small least-squares problem.
        def cond(state: Any) -> Any:
            _, _, k, ok = state
            return (k < restart) & ok

        def body(state: Any) -> Any:
            basis, hess, k, _ = state
            basis, h, ok = _arnoldi_step(A, M, basis, k, dt)
            return basis, hess.at[:, k].set(h), k + 1, ok

        hess = fnp.zeros((restart + 1, restart), dt)
        basis, hess, k, _ = lax.while_loop(cond, body, (basis, hess, 0, fnp.asarray(True)))
        # columns never reached get a unit entry below the diagonal: rows no
        # reached column touches, so their coefficient is 0
        hess = hess + fnp.eye(restart + 1, restart, k=-1, dtype=dt) * (cols >= k).astype(dt)
        q, rr = fnp.linalg.qr(hess)
        y = fnp.linalg.solve(rr, beta.astype(dt) * fnp.conj(q[0]))
    else:
        # Triangularize the Hessenberg matrix with Givens rotations as it grows:
        # the residual norm is known at every step, so a cycle stops early.
        tol_in = beta * fnp.minimum(1.0, limit / _safe(res_norm, res_norm > 0))

        def cond(state: Any) -> Any:
            _, _, _, _, _, k, ok, err = state
            return (k < restart) & ok & (err > tol_in)

        def body(state: Any) -> Any:
            basis, tri, cs, sn, g, k, _, _ = state
            basis, h, ok = _arnoldi_step(A, M, basis, k, dt)

            def rotate(i: Any, h: Any) -> Any:     # rotations not made yet are identities
                return _rotate(h, i, cs[i], sn[i])

            h = lax.fori_loop(0, restart, rotate, h)
            c, s = _givens(h[k], h[k + 1])
            h = _rotate(h, k, c, s)
            g = _rotate(g, k, c, s)
            return (basis, tri.at[:, k].set(h), cs.at[k].set(c), sn.at[k].set(s), g, k + 1,
                    ok, fnp.abs(g[k + 1]))

        tri = fnp.zeros((restart + 1, restart), dt)
        g = fnp.zeros((restart + 1,), dt).at[0].set(beta.astype(dt))
        init = (basis, tri, fnp.ones((restart,), rdt), fnp.zeros((restart,), dt), g, 0,
                fnp.asarray(True), beta)
        basis, tri, _, _, g, k, _, _ = lax.while_loop(cond, body, init)
        unused = (cols >= k).astype(dt)
        square = tri[:restart] + fnp.eye(restart, dtype=dt) * unused
        y = fnp.linalg.solve(square, g[:restart] * (1 - unused))
    correction = _combine(tree.map(lambda q: q[:restart], basis), y)
    return _add(x, correction)


def _gmres(A: Fun, b: Any, x0: Any, *, tol: Any, atol: Any, maxiter: int, M: Fun,
           restart: int, solve_method: str) -> Any:
    """Restarted GMRES; each cycle builds a Krylov space of dimension `restart`."""
    dt = _dtype(b)
    rdt = _real_dtype(dt)
    restart = max(1, min(int(restart), _size(b)))
    limit = fnp.maximum(tol * _norm(b, rdt), atol).astype(rdt)

    def cond(state: Any) -> Any:
        _, k, res_norm = state
        return (k < maxiter) & (res_norm > limit)

    def body(state: Any) -> Any:
        x, k, res_norm = state
        x = _gmres_cycle(A, M, b, x, res_norm, limit, restart, solve_method == "incremental")
        return x, k + 1, _norm(_sub(b, A(x)), rdt)

    x, *_ = lax.while_loop(cond, body, (x0, 0, _norm(_sub(b, A(x0)), rdt)))
    return x


# ---------------------------------------------------------------------------
# wrapping an iteration in custom_linear_solve


def _solve(algo: Callable[..., Any], x0: Any, tol: Any, atol: Any, maxiter: int | None, M: Fun,
           matvec: Fun, b: Any, **extra: Any) -> Any:
    """The forward (and tangent) solve: `algo` from `x0` (zeros when None)."""
    if x0 is None:
        x0 = tree.map(fnp.zeros_like, b)
    if maxiter is None:
        maxiter = 10 * _size(b)
    return algo(matvec, b, x0, tol=tol, atol=atol, maxiter=maxiter, M=M, **extra)


def _transpose_solve(algo: Callable[..., Any], tol: Any, atol: Any, maxiter: int | None, M: Fun,
                     vecmat: Fun, b: Any, **extra: Any) -> Any:
    """The solve of the transposed system (reverse mode): `b` is a cotangent,
    of any magnitude, so the system is solved at unit norm and scaled back."""
    rdt = _real_dtype(_dtype(b))
    norm = _norm(b, rdt)
    inv = 1 / _safe(norm, norm > 0)
    scale = fnp.where(fnp.isfinite(inv) & (norm > 0), inv, fnp.ones_like(inv))
    if maxiter is None:
        maxiter = 10 * _size(b)
    x = algo(vecmat, _scale(scale, b), tree.map(fnp.zeros_like, b), tol=tol,
             atol=fnp.asarray(atol) * scale, maxiter=maxiter, M=M, **extra)
    return _scale(1 / scale, x)


def _isolve(fname: str, algo: Callable[..., Any], A: Any, b: Any, x0: Any, tol: Any, atol: Any,
            maxiter: int | None, M: Any, symmetric: bool, **extra: Any) -> tuple[Any, None]:
    matvec = _operator(A, "A", fname)
    precond = _identity if M is None else _operator(M, "M", fname)
    b = tree.map(_vector_leaf, b)
    if not tree.leaves(b):
        raise ValueError(f"{fname}: b has no arrays")
    if x0 is not None:
        x0 = tree.map(_vector_leaf, x0)
        if tree.structure(x0) != tree.structure(b):
            raise ValueError(f"{fname}: x0 and b must have the same tree structure, got "
                             f"{tree.structure(x0)} and {tree.structure(b)}")
        xs = [leaf.shape for leaf in tree.leaves(x0)]
        bs = [leaf.shape for leaf in tree.leaves(b)]
        if xs != bs:
            raise ValueError(f"{fname}: the arrays of x0 and b must have the same shapes, got "
                             f"{xs} and {bs}")
    if maxiter is not None and (isinstance(maxiter, bool) or not isinstance(maxiter, int)):
        raise TypeError(f"{fname}: maxiter must be an int or None, got {maxiter!r}")
    solve = functools.partial(_solve, algo, x0, tol, atol, maxiter, precond, **extra)
    transpose_solve = functools.partial(_transpose_solve, algo, tol, atol, maxiter, precond,
                                        **extra)
    # a real positive-definite operator is symmetric: it is its own transpose
    symmetric = symmetric and not any(dtypes.is_complex(leaf.dtype) for leaf in tree.leaves(b))
    x = lax.custom_linear_solve(matvec, b, solve=solve, transpose_solve=transpose_solve,
                                symmetric=symmetric)
    return x, None


def cg(A: Any, b: Any, x0: Any = None, *, tol: Any = 1e-5, atol: Any = 0.0,
       maxiter: int | None = None, M: Any = None) -> tuple[Any, None]:
    """Solve ``A x = b`` by (preconditioned) conjugate gradients, for A Hermitian
    positive definite (JAX's ``jax.scipy.sparse.linalg.cg``).

    Args:
      A: a square matrix, or a function ``x -> A x`` (pytrees allowed).
      b: the right-hand side, an array or a pytree of arrays.
      x0: the starting guess (zeros by default), shaped like b.
      tol, atol: stop when ``norm(b - A x) <= max(tol * norm(b), atol)``.
      maxiter: the most iterations (default ``10 * size of b``).
      M: a preconditioner approximating ``A^{-1}`` (Hermitian positive definite).

    Returns ``(x, None)``. Derivatives are another cg solve.
    """
    return _isolve("cg", _cg, A, b, x0, tol, atol, maxiter, M, True)


def bicgstab(A: Any, b: Any, x0: Any = None, *, tol: Any = 1e-5, atol: Any = 0.0,
             maxiter: int | None = None, M: Any = None) -> tuple[Any, None]:
    """Solve ``A x = b`` by BiCGSTAB, for a general square A (JAX's
    ``jax.scipy.sparse.linalg.bicgstab``). Arguments as for `cg`; M is applied
    as a right preconditioner. Returns ``(x, None)``; derivatives are another
    bicgstab solve (of the transposed system in reverse mode)."""
    return _isolve("bicgstab", _bicgstab, A, b, x0, tol, atol, maxiter, M, False)


def gmres(A: Any, b: Any, x0: Any = None, *, tol: Any = 1e-5, atol: Any = 0.0,
          restart: int = 20, maxiter: int | None = None, M: Any = None,
          solve_method: str = "batched") -> tuple[Any, None]:
    """Solve ``A x = b`` by restarted GMRES, for a general square A (JAX's
    ``jax.scipy.sparse.linalg.gmres``).

    Args as for `cg`, and:
      restart: the dimension of the Krylov space built per cycle (at most the
        size of b).
      maxiter: the most restart cycles (default ``10 * size of b``).
      M: a left preconditioner approximating ``A^{-1}``.
      solve_method: "batched" builds each cycle's whole space, then solves its
        small least-squares problem; "incremental" keeps the problem
        triangular with Givens rotations as the space grows, so a cycle stops
        as soon as its residual is small enough.

    Returns ``(x, None)``; derivatives are another gmres solve.
    """
    if solve_method not in ("batched", "incremental"):
        raise ValueError(f"gmres: solve_method must be 'batched' or 'incremental', got "
                         f"{solve_method!r}")
    if isinstance(restart, bool) or not isinstance(restart, int) or restart < 1:
        raise ValueError(f"gmres: restart must be a positive int, got {restart!r}")
    return _isolve("gmres", _gmres, A, b, x0, tol, atol, maxiter, M, False, restart=restart,
                   solve_method=solve_method)
