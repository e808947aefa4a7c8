"""Windowed reductions, general reductions, scans, sorting and top-k of funcgrad.lax
against jax.lax (x64 on), eager and under jit, grad and vmap."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.errors import DTypeError, ShapeError, UnsupportedError

# JAX's own max-pool second derivative on GPU warns that it loses precision (funcgrad's
# does not); the comparisons below allow for it
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using reduced precision for gradient of reduce-window:UserWarning")

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(0)


def _close(got, want, tol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _images(dtype=np.float64, shape=(2, 7, 6, 3)):
    return RNG.permutation(np.arange(np.prod(shape))).reshape(shape).astype(dtype) / 10


# (window, strides, padding, base_dilation, window_dilation): pooling cases over NHWC
POOLS = [
    ((1, 2, 2, 1), (1, 2, 2, 1), "VALID", None, None),
    ((1, 2, 2, 1), (1, 2, 2, 1), "SAME", None, None),
    ((1, 3, 3, 1), (1, 2, 1, 1), "SAME_LOWER", None, None),
    ((1, 3, 2, 1), (1, 1, 2, 1), ((0, 0), (1, 2), (0, 1), (0, 0)), None, None),
    ((1, 2, 2, 1), (1, 1, 1, 1), "SAME", (1, 2, 1, 1), None),
    ((1, 2, 3, 1), (1, 2, 1, 1), ((0, 0), (1, 0), (2, 2), (0, 0)), (1, 1, 2, 1), (1, 2, 1, 1)),
]
MONOIDS = [(lax.add, jax.lax.add, 0.0), (lax.max, jax.lax.max, -np.inf),
           (lax.min, jax.lax.min, np.inf)]


@pytest.mark.parametrize("case", range(len(POOLS)))
def test_pooling_values_match_jax(case):
    win, strides, pad, base, wdil = POOLS[case]
    # eager in float64, jitted in float32 (alternating by case)
    dtype, tol = ((np.float64, 1e-12), (np.float32, 1e-5))[case % 2]
    x = _images(dtype)
    for fop, jop, init in MONOIDS:
        def f(x, fop=fop, init=init):
            return lax.reduce_window(x, init, fop, win, strides, pad, base, wdil)
        want = jax.lax.reduce_window(x, dtype(init), jop, win, strides, pad, base, wdil)
        _close((f if dtype == np.float64 else fg.jit(f))(x), want, tol)


def _pool_loss(lib, op, init, win, strides, pad, base, wdil):
    def loss(x):
        y = lib.reduce_window(x, init, op, win, strides, pad, base, wdil)
        return (y * y).sum() if lib is lax else jnp.sum(y * y)
    return loss


@pytest.mark.parametrize("case", range(len(POOLS)))
def test_pooling_grads_match_jax(case):
    win, strides, pad, base, wdil = POOLS[case]
    x = _images()
    for (fop, jop, init) in MONOIDS:
        f = _pool_loss(lax, fop, init, win, strides, pad, base, wdil)
        g = _pool_loss(jax.lax, jop, init, win, strides, pad, base, wdil)
        # JAX has no reverse mode for max/min pooling with window dilation
        want = jax.jit(jax.jacfwd(g) if wdil and fop is not lax.add else jax.grad(g))(x)
        _close((fg.grad(f) if case == 0 else fg.jit(fg.grad(f)))(x), want)


def test_max_pool_second_order_and_jvp_match_jax():
    x, v = _images(shape=(2, 6, 6, 2)), RNG.normal(size=(2, 6, 6, 2))
    args = ((1, 2, 2, 1), (1, 2, 2, 1), "SAME", None, None)
    f = _pool_loss(lax, lax.max, -np.inf, *args)
    g = _pool_loss(jax.lax, jax.lax.max, -np.inf, *args)

    def cube(lib, h):   # a loss whose Hessian depends on which element wins
        return lambda x: h(x * x * x)
    hvp = fg.jvp(fg.grad(cube(lax, f)), (x,), (v,))[1]
    want = jax.jvp(jax.grad(cube(jax.lax, g)), (x,), (v,))[1]
    # JAX's own second derivative of max-pooling drops to single precision on GPU
    _close(hvp, want, 1e-10 if jax.devices()[0].platform == "cpu" else 1e-6)
    _close(fg.jvp(f, (x,), (v,))[1], jax.jvp(g, (x,), (v,))[1])


def test_pooling_under_vmap_matches_a_loop_and_jax():
    xs = _images(shape=(3, 2, 5, 4, 2))
    args = ((1, 2, 2, 1), (1, 1, 2, 1), "SAME", (1, 2, 1, 1), None)

    def f(x):
        return lax.reduce_window(x, -np.inf, lax.max, *args)
    loop = np.stack([np.asarray(f(x)) for x in xs])
    _close(fg.vmap(f)(xs), loop)
    _close(fg.vmap(f, in_axes=3, out_axes=1)(np.moveaxis(xs, 0, 3)), np.moveaxis(loop, 0, 1))
    loss = _pool_loss(lax, lax.add, 0.0, *args)
    want = jax.vmap(jax.grad(_pool_loss(jax.lax, jax.lax.add, 0.0, *args)))(xs)
    _close(fg.jit(fg.vmap(fg.grad(loss)))(xs), want)
    mloss = _pool_loss(lax, lax.max, -np.inf, *args)
    want = jax.vmap(jax.grad(_pool_loss(jax.lax, jax.lax.max, -np.inf, *args)))(xs)
    _close(fg.vmap(fg.grad(mloss))(xs), want)


def test_generic_reduce_window_with_a_lambda_jit_and_vmap():
    x = RNG.uniform(0.5, 1.5, size=(4, 6))
    win, strides, pad = (2, 3), (1, 2), ((1, 0), (0, 2))

    def f(x):
        return lax.reduce_window(x, 1.0, lambda a, b: a * b, win, strides, pad)
    want = jax.lax.reduce_window(x, 1.0, lambda a, b: a * b, win, strides, pad)
    _close(f(x), want)
    _close(fg.jit(f)(x), want)
    xs = np.stack([x, 2 * x])
    _close(fg.vmap(f)(xs), jax.vmap(lambda x: jax.lax.reduce_window(
        x, 1.0, lambda a, b: a * b, win, strides, pad))(xs))
    # lax.add with a non-zero init: padding holds the init too
    _close(lax.reduce_window(x, 2.0, lax.add, win, strides, pad),
           jax.lax.reduce_window(x, 2.0, jax.lax.add, win, strides, pad))
    # a pytree of operands reduced together
    y = RNG.normal(size=(4, 6))

    def both(a, b):
        return {"s": a["s"] + b["s"], "m": lax.max(a["m"], b["m"])}
    got = lax.reduce_window({"s": x, "m": y}, {"s": 0.0, "m": -np.inf}, both, win, strides, pad)
    _close(got["s"], jax.lax.reduce_window(x, 0.0, jax.lax.add, win, strides, pad))
    _close(got["m"], jax.lax.reduce_window(y, -np.inf, jax.lax.max, win, strides, pad))
    ints = np.arange(24, dtype=np.int32).reshape(4, 6)
    _close(lax.reduce_window(ints, np.int32(0), lambda a, b: a ^ b, (2, 2), (2, 2)),
           jax.lax.reduce_window(ints, np.int32(0), jax.lax.bitwise_xor, (2, 2), (2, 2)))


def test_reduce_over_value_index_pairs_is_argmax():
    x = RNG.normal(size=(5, 7))
    idx = np.broadcast_to(np.arange(7), (5, 7)).astype(np.int64)

    def pick(a, b):
        first = lax.ge(a[0], b[0])
        return lax.select(first, a[0], b[0]), lax.select(first, a[1], b[1])

    def argmax(x):
        return lax.reduce((x, idx), (-np.inf, np.int64(0)), pick, (1,))
    vals, arg = argmax(x)
    _close(vals, x.max(axis=1))
    _close(arg, np.argmax(x, axis=1))
    _close(fg.jit(argmax)(x)[1], np.argmax(x, axis=1))
    xs = np.stack([x, -x])
    _close(fg.vmap(lambda x: argmax(x)[1])(xs), np.argmax(xs, axis=2))


def test_reduce_with_monoids_matches_jax():
    x = RNG.normal(size=(3, 4, 5))
    for fop, jop, init in ((lax.add, jax.lax.add, 0.0), (lax.mul, jax.lax.mul, 1.0),
                           (lax.max, jax.lax.max, -np.inf)):
        want = jax.lax.reduce(x, init, jop, (0, 2))
        _close(lax.reduce(x, init, fop, (0, 2)), want)
    # an init value that is no identity counts once (XLA leaves it to the backend: JAX's
    # GPU result counts it once per partial reduction)
    _close(lax.reduce(x, 1.5, lax.add, (0, 2)), x.sum(axis=(0, 2)) + 1.5)
    _close(lax.reduce(x, 0.25, lax.min, (0, 2)), np.minimum(x.min(axis=(0, 2)), 0.25))
    g = fg.grad(lambda x: lax.reduce(x, 0.5, lax.max, (1,)).sum())(x)
    # NB: not jax.lax.reduce's gradient, which credits the row's maximum even where the
    # init value wins
    _close(g, jax.grad(lambda x: jnp.maximum(x.max(axis=1), 0.5).sum())(x))
    b = RNG.integers(0, 4, size=(3, 5)).astype(np.int32)
    for fname, jname in (("reduce_and", "reduce_and"), ("reduce_or", "reduce_or"),
                         ("reduce_xor", "reduce_xor")):
        for v in (b, b > 1):
            _close(getattr(lax, fname)(v, (1,)), getattr(jax.lax, jname)(v, (1,)))
    _close(lax.reduce(np.zeros((0, 3)), 7.0, lambda a, b: a - b, (0,)), np.full(3, 7.0))


def _affine(a, b):
    """Composition of affine maps x -> m x + c (non-commutative, associative)."""
    return (a[0] * b[0], b[0] * a[1] + b[1])


def _jaffine(a, b):
    return (a[0] * b[0], b[0] * a[1] + b[1])


@pytest.mark.parametrize("n", [1, 7, 8])
def test_associative_scan_non_commutative_and_reverse(n):
    m, c = RNG.normal(size=(3, n)), RNG.normal(size=(3, n))
    for reverse in (False, True):
        got = fg.jit(lambda m, c, r=reverse: lax.associative_scan(_affine, (m, c), r, axis=1))(
            m, c)
        want = jax.jit(lambda m, c, r=reverse: jax.lax.associative_scan(
            _jaffine, (m, c), reverse=r, axis=1))(m, c)
        for g, w in zip(got, want, strict=True):
            _close(g, w)
    if n == 1:      # eagerly, on a list, over a negative axis
        got = lax.associative_scan(_affine, [m, c], axis=-1)
        _close(got[1], jax.lax.associative_scan(_jaffine, [m, c], axis=-1)[1])
    loss = lambda lib, fn: lambda m: lib.associative_scan(fn, (m, c), reverse=True, axis=1)[1].sum()  # noqa: E731
    _close(fg.jit(fg.grad(loss(lax, _affine)))(m), jax.jit(jax.grad(loss(jax.lax, _jaffine)))(m))


def test_cumulative_ops_and_cumlogsumexp_match_jax():
    x = RNG.normal(size=(4, 5)) * 3
    for name in ("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"):
        for axis, reverse in ((0, False), (1, True), (0, True)):
            got = getattr(lax, name)(x, axis=axis, reverse=reverse)
            want = jax.jit(getattr(jax.lax, name), static_argnums=(1, 2))(x, axis, reverse)
            _close(got, want, 1e-12)
    big = np.array([[-np.inf, -np.inf, 0.0, 1000.0, -1000.0, np.inf]])
    _close(lax.cumlogsumexp(big, axis=1), jax.lax.cumlogsumexp(big, axis=1))
    _close(lax.cumlogsumexp(x.astype(np.float32), axis=1),
           jax.lax.cumlogsumexp(x.astype(np.float32), axis=1), 1e-5)
    loss = lambda lib: lambda x: (lib.cumlogsumexp(x, axis=1, reverse=True) ** 2).sum()  # noqa: E731
    _close(fg.grad(loss(lax))(x), jax.jit(jax.grad(loss(jax.lax)))(x), 1e-12)
    g = fg.grad(lambda x: lax.cumlogsumexp(x).sum())(np.array([-np.inf, -np.inf, 0.0]))
    assert np.all(np.isfinite(np.asarray(g)))


def test_top_k_values_indices_and_grad():
    x = RNG.normal(size=(3, 8))
    x[0, 2] = x[0, 5] = x[0].max() + 1      # a tie: the lower index first
    for axis in (-1, 0):
        got_v, got_i = lax.top_k(x, 3 if axis == -1 else 2, axis=axis)
        want_v, want_i = jax.lax.top_k(x, 3 if axis == -1 else 2, axis=axis)
        _close(got_v, want_v)
        _close(got_i, want_i)
    loss = lambda lib: lambda x: (lib.top_k(x, 3)[0] ** 2).sum()  # noqa: E731
    x = RNG.normal(size=(3, 8))
    _close(fg.grad(loss(lax))(x), jax.grad(loss(jax.lax))(x))
    _close(fg.jit(fg.vmap(lambda x: lax.top_k(x, 2)[1]))(x), jax.lax.top_k(x, 2)[1])
    mv, mi = lax.approx_max_k(x, 3)
    _close(mv, jax.lax.top_k(x, 3)[0])
    _close(mi, jax.lax.top_k(x, 3)[1])
    nv, ni = lax.approx_min_k(x, 2, reduction_dimension=0, recall_target=0.9)
    wv, wi = jax.lax.top_k(-x.T, 2)
    _close(nv, -wv.T)
    _close(ni, wi.T)


def test_sort_and_sort_key_val_match_jax():
    k = RNG.integers(0, 3, size=(4, 6)).astype(np.float64)
    v = RNG.normal(size=(4, 6))
    _close(lax.sort(v), jax.lax.sort(v))
    for got, want in zip(lax.sort((k, v), dimension=0, num_keys=2),
                         jax.lax.sort((k, v), dimension=0, num_keys=2), strict=True):
        _close(got, want)
    for got, want in zip(lax.sort_key_val(k, v), jax.lax.sort_key_val(k, v), strict=True):
        _close(got, want)
    loss = lambda lib: lambda v: (lib.sort_key_val(k, v)[1] * np.arange(6)).sum()  # noqa: E731
    _close(fg.grad(loss(lax))(v), jax.grad(loss(jax.lax))(v))


def test_reduce_precision_rounds_like_bfloat16():
    x = np.concatenate([RNG.normal(size=50) * 10.0 ** RNG.integers(-5, 5, size=50),
                        [3.4028235e38, -0.0, np.inf, np.nan, 1.0 + 2.0 ** -8]]).astype(np.float32)
    got = lax.reduce_precision(x, exponent_bits=8, mantissa_bits=7)
    _close(got, jax.lax.reduce_precision(x, 8, 7))
    _close(got, x.astype(ml_dtypes.bfloat16).astype(np.float32))
    _close(fg.jit(lambda x: lax.reduce_precision(x, 5, 10))(x.astype(np.float64)),
           jax.lax.reduce_precision(x.astype(np.float64), 5, 10))
    y = np.array([0.3, 1.7])
    loss = lambda lib: lambda y: (lib.reduce_precision(y * 3, 8, 7) ** 2).sum()  # noqa: E731
    _close(fg.grad(loss(lax))(y), jax.grad(loss(jax.lax))(y))


def test_edge_cases_match_jax():
    x0 = np.float64(3.0)
    for fop, jop in ((lax.max, jax.lax.max), (lambda a, b: a - b, lambda a, b: a - b)):
        _close(lax.reduce_window(x0, 1.0, fop, ()), jax.lax.reduce_window(x0, 1.0, jop, ()))
    _close(lax.reduce(np.arange(3.0), 1.0, lambda a, b: a - b, ()), np.arange(3.0))
    _close(fg.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, ()))(x0), 1.0)
    empty = np.zeros((0, 3))
    _close(lax.reduce_window(empty, 0.0, lax.add, (1, 2)), np.zeros((0, 2)))
    _close(fg.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (1, 2)).sum())(empty), empty)
    # windows wholly in the padding: -inf, and no cotangent reaches the operand
    x, ct = np.arange(4.0).reshape(1, 4), RNG.normal(size=(1, 9))
    args = ((1, 2), (1, 1), ((0, 0), (3, 3)))
    _close(fg.vjp(lambda x: lax.reduce_window(x, -np.inf, lax.max, *args), x)[1](ct)[0],
           jax.vjp(lambda x: jax.lax.reduce_window(x, -np.inf, jax.lax.max, *args), x)[1](ct)[0])
    for v in (np.arange(5.0), np.array([1.0, np.nan, 3.0])):
        for k in (0, 2):
            for got, want in zip(lax.top_k(v, k), jax.lax.top_k(v, k), strict=True):
                _close(got, want)


def test_errors_are_clear():
    x = np.ones((4, 4))
    with pytest.raises(ValueError, match="window_dimensions .* one entry per dimension"):
        lax.reduce_window(x, 0.0, lax.add, (2,))
    with pytest.raises(ShapeError, match="window_strides must all be positive"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (0, 1))
    with pytest.raises(ShapeError, match="non-negative"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), None, ((-1, 0), (0, 0)))
    with pytest.raises(ValueError, match="padding must be 'VALID', 'SAME'"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), None, "FULL")
    with pytest.raises(ValueError, match="init_values must have the structure"):
        lax.reduce_window((x, x), 0.0, lambda a, b: a, (2, 2))
    with pytest.raises(TypeError, match="init value of dtype int32"):
        lax.reduce_window(x, np.int32(0), lax.add, (2, 2))
    w = fnp.ones(())
    with pytest.raises(TypeError, match="closes over 1 array"):
        lax.reduce_window(x, 0.0, lambda a, b: a + b * w, (2, 2))
    with pytest.raises(TypeError, match="must return scalars of dtypes"):
        lax.reduce(x, 0.0, lambda a, b: (a + b).astype(np.float32), (0,))
    with pytest.raises(ValueError, match="dimensions .* distinct axes"):
        lax.reduce(x, 0.0, lax.add, (2,))
    with pytest.raises(UnsupportedError, match="reduce_window"):
        fg.grad(lambda x: lax.reduce_window(x, 1.0, lambda a, b: a * b, (2, 2)).sum())(x)
    with pytest.raises(UnsupportedError, match="init_value"):
        fg.vmap(lambda i: lax.reduce_window(x, i, lambda a, b: a * b, (2, 2)))(np.ones(3))
    with pytest.raises(ValueError, match="k must be between 0 and the size 4"):
        lax.top_k(x, 5)
    with pytest.raises(ValueError, match="recall_target must be in"):
        lax.approx_max_k(x, 2, recall_target=0.0)
    with pytest.raises(DTypeError, match="real floating"):
        lax.cumlogsumexp(np.arange(3))
    with pytest.raises(DTypeError, match="reduce_precision needs a real floating"):
        lax.reduce_precision(np.arange(3), 8, 7)
    with pytest.raises(ValueError, match="exponent_bits >= 1"):
        lax.reduce_precision(x, 0, 7)
    with pytest.raises(ValueError, match="needs length 3 along axis 0"):
        lax.associative_scan(lax.add, (np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="num_keys must be between 1"):
        lax.sort((x, x), num_keys=3)
