"""Gradients through `where` and its relatives give the untaken case exact zeros.

JAX's (and plain linearize-then-transpose) gradient of
``where(x > 0, sqrt(x), 0)`` at 0 is NaN: the transpose of select gives the
untaken branch a zero cotangent, which sqrt's infinite partial turns into NaN.
funcgrad's transpose masks that cotangent (transforms/transpose/interpreter.py),
so these tests compare against JAX written with the "double where" trick
(``sqrt(where(x > 0, x, 1))``), which computes the mathematically right
gradient, and against plain JAX where both are finite.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.transforms.transpose import interpreter

POINTS = [-1.0, 0.0, 4.0]


@contextmanager
def plain_transpose() -> Iterator[None]:
    """Programs traced inside transpose select without masking (what JAX does).
    Only fresh traces see it: compiled gradients are cached."""
    interpreter._mask_untaken = False
    try:
        yield
    finally:
        interpreter._mask_untaken = True


def _same(ours: Any, theirs: Any, *, rtol: float = 1e-12) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
    assert not np.isnan(ours).any(), ours
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)


def f_ours(x: Any) -> Any:
    return fnp.where(x > 0, fnp.sqrt(x), 0.0)


def f_jax_safe(x: Any) -> Any:
    return jnp.where(x > 0, jnp.sqrt(jnp.where(x > 0, x, 1.0)), 0.0)


def f_jax(x: Any) -> Any:
    return jnp.where(x > 0, jnp.sqrt(x), 0.0)


# ---------------------------------------------------------------------------
# where(x > 0, sqrt(x), 0)

@pytest.mark.parametrize("x", POINTS)
def test_grad_is_zero_at_the_untaken_singularity(x: float) -> None:
    g = fg.grad(f_ours)(x)
    _same(g, jax.grad(f_jax_safe)(x))
    if x <= 0:
        assert float(g) == 0.0
        assert np.isnan(jax.grad(f_jax)(x))            # what the plain transpose gives
    else:
        assert float(g) == float(jax.grad(f_jax)(x))


def test_untaken_case_stays_zero_in_float32_and_without_jit() -> None:
    g = fg.grad(f_ours)(np.float32(0))
    assert np.asarray(g).dtype == np.float32 and float(g) == 0.0
    xs = np.array([-1.0, 0.0, 4.0, 0.0], np.float32)
    gv = fg.grad(lambda x: f_ours(x).sum())(xs)
    _same(gv, jax.grad(lambda x: f_jax_safe(x).sum())(xs), rtol=1e-6)


def test_jit_vmap_and_their_compositions() -> None:
    xs = np.array(POINTS)
    want = jax.vmap(jax.grad(f_jax_safe))(xs)
    _same(fg.vmap(fg.grad(f_ours))(xs), want)
    _same(fg.jit(fg.vmap(fg.grad(f_ours)))(xs), want)
    _same(fg.grad(lambda x: fg.vmap(f_ours)(x).sum())(xs), want)
    _same(fg.grad(lambda x: fg.jit(f_ours)(x).sum())(xs), want)
    _same(fg.jit(fg.grad(lambda x: f_ours(x).sum()))(xs), want)


def test_forward_mode_and_second_derivatives() -> None:
    xs = np.array(POINTS)
    p, t = fg.jvp(f_ours, (xs,), (np.ones(3),))
    pj, tj = jax.jvp(f_jax_safe, (xs,), (np.ones(3),))
    _same(p, pj)
    _same(t, tj)
    for ours, theirs in ((fg.hessian(f_ours), jax.hessian(f_jax_safe)),
                         (fg.grad(fg.grad(f_ours)), jax.grad(jax.grad(f_jax_safe))),
                         (fg.jacfwd(fg.grad(f_ours)), jax.jacfwd(jax.grad(f_jax_safe)))):
        _same(fg.vmap(ours)(xs), jax.jit(jax.vmap(theirs))(xs))


def test_taken_case_is_bit_identical_to_the_plain_transpose() -> None:
    xs = np.array([0.3, 1.7, 4.0, 9.5, -2.0, 0.0])

    def loss(x: Any) -> Any:
        return (x * fnp.where(x > 0, fnp.sqrt(x) * fnp.log1p(x), fnp.sin(x))).sum()

    masked = np.asarray(fg.jit(fg.grad(loss))(xs))
    with plain_transpose():    # a fresh function: eager grad and jit cache what they compile
        plain = np.asarray(fg.jit(fg.grad(lambda x: loss(x)))(xs))
    assert np.array_equal(masked[:4], plain[:4])
    # sqrt(-2) and sqrt's partial at 0 are discarded, yet leak into the plain gradient
    assert np.isnan(plain[4:]).all()
    np.testing.assert_allclose(masked[4:], np.sin(xs[4:]) + xs[4:] * np.cos(xs[4:]), rtol=1e-14)


# ---------------------------------------------------------------------------
# the relatives: select, piecewise, clip, clamp, cond under vmap

def test_select_of_several_conditions() -> None:
    def ours(x: Any) -> Any:
        return fnp.select([x > 1, x > 0], [fnp.log(x), fnp.sqrt(x)], 0.0)

    def safe(x: Any) -> Any:
        return jnp.select([x > 1, x > 0], [jnp.log(jnp.where(x > 1, x, 2.0)),
                                           jnp.sqrt(jnp.where(x > 0, x, 1.0))], 0.0)

    xs = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    _same(fg.vmap(fg.grad(ours))(xs), jax.jit(jax.vmap(jax.grad(safe)))(xs))
    _same(fg.vmap(fg.hessian(ours))(xs), jax.jit(jax.vmap(jax.hessian(safe)))(xs))
    assert float(fg.grad(ours)(0.0)) == 0.0


def test_piecewise() -> None:
    def ours(x: Any) -> Any:
        return fnp.piecewise(x, [x > 0, x < -2],
                             [lambda v: v * fnp.log(v), lambda v: fnp.sqrt(-v), 1.0])

    def safe(x: Any) -> Any:
        pos, neg = jnp.where(x > 0, x, 1.0), jnp.where(x < -2, x, -1.0)
        return jnp.where(x > 0, pos * jnp.log(pos), jnp.where(x < -2, jnp.sqrt(-neg), 1.0))

    xs = np.array([-3.0, -1.0, 0.0, 2.0])
    g = fg.grad(lambda x: ours(x).sum())(xs)
    _same(g, jax.grad(lambda x: safe(x).sum())(xs))
    assert np.array_equal(np.asarray(g)[1:3], [0.0, 0.0])


def test_clip_gives_the_clipped_side_an_exact_zero() -> None:
    xs = np.array([-2.0, -1.0, 0.5, 1.0, 2.0])
    g = fg.vmap(fg.grad(lambda x: fnp.clip(x, -1.0, 1.0)))(xs)
    _same(g, jax.vmap(jax.grad(lambda x: jnp.clip(x, -1.0, 1.0)))(xs))
    assert np.array_equal(np.asarray(g)[[0, 4]], [0.0, 0.0])
    # an infinite partial behind the clipped side: sqrt at 0, log at 0
    ys = np.array([0.0, 1.0, 9.0])
    want = np.array([0.0, 0.5, 0.0])
    _same(fg.vmap(fg.grad(lambda x: fnp.clip(fnp.sqrt(x), 0.5, 2.0)))(ys), want)
    _same(fg.vmap(fg.grad(lambda x: lax.clamp(0.5, fnp.sqrt(x), 2.0)))(ys), want)
    _same(fg.vmap(fg.grad(lambda x: fnp.maximum(fnp.log(x), -1.0)))(ys),
          np.array([0.0, 1.0, 1 / 9]))
    _same(fg.vmap(fg.hessian(lambda x: fnp.clip(fnp.sqrt(x), 0.5, 2.0)))(ys),
          np.array([0.0, -0.25, 0.0]))


def test_max_min_ties_split_the_derivative_like_jax() -> None:
    a, b = np.array([1.0, 2.0, 1.0]), np.array([1.0, 1.0, 2.0])
    for fo, fj in ((fnp.maximum, jnp.maximum), (fnp.minimum, jnp.minimum)):
        for o, j in zip(fg.vmap(fg.grad(fo, argnums=(0, 1)))(a, b),
                        jax.jit(jax.vmap(jax.grad(fj, argnums=(0, 1))))(a, b), strict=True):
            _same(o, j)
        _same(fg.vmap(fg.hessian(lambda x, fo=fo: fo(x * x, 1.0)))(a),
              jax.jit(jax.vmap(jax.hessian(lambda x, fj=fj: fj(x * x, 1.0))))(a))


def test_cond_under_vmap_becomes_a_masked_select() -> None:
    def ours(x: Any) -> Any:
        return lax.cond(x > 0, fnp.sqrt, lambda v: 0.0 * v, x)

    xs = np.array(POINTS)
    want = jax.vmap(jax.grad(f_jax_safe))(xs)
    _same(fg.grad(lambda x: fg.vmap(ours)(x).sum())(xs), want)
    _same(fg.vmap(fg.grad(ours))(xs), want)

    def branches(i: Any, x: Any) -> Any:
        return lax.switch(i, [fnp.sqrt, fnp.log, lambda v: 0.0 * v], x)

    idx, ys = np.array([2, 2, 0, 1], np.int32), np.array([0.0, -1.0, 4.0, 1.0])
    g = fg.grad(lambda x: fg.vmap(branches)(idx, x).sum())(ys)
    _same(g, np.array([0.0, 0.0, 0.25, 1.0]))


# ---------------------------------------------------------------------------
# shapes and patterns

def test_broadcasting_predicates() -> None:
    c = np.array([1.0, -1.0, 0.0])
    x = np.array([[1.0, 4.0, 0.25, 9.0], [0.0, -1.0, 2.0, 0.0], [-3.0, 0.0, 1.0, 4.0]])

    def ours(x: Any) -> Any:
        return fnp.where(c[:, None] > 0, fnp.sqrt(x), fnp.log(x)).sum()

    def safe(x: Any) -> Any:
        p = c[:, None] > 0
        return jnp.where(p, jnp.sqrt(jnp.where(p, x, 1.0)), jnp.log(jnp.where(p, 1.0, x))).sum()

    g = np.asarray(fg.grad(ours)(x))
    gj = np.asarray(jax.grad(safe)(x))
    assert np.array_equal(np.isnan(g), np.isnan(gj))       # log(-1) is taken: NaN in both
    np.testing.assert_allclose(g[0], gj[0], rtol=1e-12)

    # a single predicate for a whole array, through a reduction
    def uniform(x: Any) -> Any:
        return fnp.where(x.sum() > 100, fnp.sqrt(x).sum(), 0.0)

    z = np.array([0.0, 1.0, 4.0])
    assert np.array_equal(np.asarray(fg.grad(uniform)(z)), np.zeros(3))
    assert np.array_equal(np.asarray(fg.jit(fg.grad(uniform))(z)), np.zeros(3))


def test_grad_with_respect_to_both_cases() -> None:
    def ours(a: Any, b: Any) -> Any:
        return fnp.where(a > 0, fnp.sqrt(a), fnp.log(b))

    def safe(a: Any, b: Any) -> Any:
        p = a > 0
        return jnp.where(p, jnp.sqrt(jnp.where(p, a, 1.0)), jnp.log(jnp.where(p, 1.0, b)))

    for a, b in ((1.0, 0.0), (0.0, 1.0), (-1.0, 2.0), (4.0, -1.0)):
        ga, gb = fg.grad(ours, argnums=(0, 1))(a, b)
        ja, jb = jax.grad(safe, argnums=(0, 1))(a, b)
        _same(ga, ja)
        _same(gb, jb)


def test_products_with_where() -> None:
    cases: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]] = [
        (lambda v: v * f_ours(v), lambda v: v * f_jax_safe(v)),
        (lambda v: fnp.where(v > 0, v * fnp.log(v), 0.0),
         lambda v: jnp.where(v > 0, v * jnp.log(jnp.where(v > 0, v, 1.0)), 0.0)),
        (lambda v: f_ours(v) / (1.0 + f_ours(v)), lambda v: f_jax_safe(v) / (1.0 + f_jax_safe(v))),
    ]
    xs = np.array(POINTS)
    for ours, safe in cases:
        _same(fg.vmap(fg.grad(ours))(xs), jax.jit(jax.vmap(jax.grad(safe)))(xs))
        _same(fg.vmap(fg.hessian(ours))(xs), jax.jit(jax.vmap(jax.hessian(safe)))(xs))


def test_where_inside_scan() -> None:
    def body(c: Any, x: Any) -> tuple[Any, Any]:
        return c + f_ours(x) * c, 2.0 * f_ours(x)

    def body_jax(c: Any, x: Any) -> tuple[Any, Any]:
        return c + f_jax_safe(x) * c, 2.0 * f_jax_safe(x)

    xs = np.array([0.0, 1.0, -1.0, 4.0, 0.0])

    def loss(xs: Any) -> Any:
        c, ys = lax.scan(body, 1.0, xs)
        return c + ys.sum()

    def loss_jax(xs: Any) -> Any:
        c, ys = jax.lax.scan(body_jax, 1.0, xs)
        return c + ys.sum()

    want = jax.grad(loss_jax)(xs)
    _same(fg.grad(loss)(xs), want)
    _same(fg.jit(fg.grad(loss))(xs), want)
    _same(fg.vmap(fg.grad(loss))(np.stack([xs, xs + 1])), jax.vmap(jax.grad(loss_jax))(
        np.stack([xs, xs + 1])))


# ---------------------------------------------------------------------------
# no cost where there is no select

def test_programs_without_select_transpose_exactly_as_before() -> None:
    def no_select(x: Any) -> Any:
        y = fnp.sin(x) * x + fnp.sqrt(fnp.abs(x) + 1.0)
        return (fnp.exp(y) / (1.0 + x * x)).sum() + fnp.tanh(x).mean()

    x = np.array([0.5, -1.0, 2.0])
    masked = str(fg.make_ir(fg.grad(no_select))(x))
    with plain_transpose():
        plain = str(fg.make_ir(fg.grad(lambda v: no_select(v)))(x))
    assert masked == plain

    # with a select the switch matters: one more select guards sqrt's partial
    masked = str(fg.make_ir(fg.grad(f_ours))(0.0))
    with plain_transpose():
        plain = str(fg.make_ir(fg.grad(lambda v: f_ours(v)))(0.0))
        assert np.isnan(np.asarray(fg.jit(fg.grad(lambda v: f_ours(v)))(0.0)))
    assert masked.count("select_n") == plain.count("select_n") + 1
