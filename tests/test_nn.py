"""funcgrad.nn against jax.nn (x64): values, dtypes, gradients, vmap and jit, edge
values, masks, errors; funcgrad.nn.initializers against jax.nn.initializers (the
same keys give the same draws) and by their statistics."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.nn as nn
import funcgrad.numpy as fnp
import funcgrad.random as fr

# jax.nn names funcgrad.nn does not provide, with the reason
MISSING = {
    "get_scaled_dot_general_config": "builds nvfp4/mxfp8 quantization configs, i.e. float4/"
                                     "float8 arrays, which funcgrad does not hold",
}
MISSING_INITIALIZERS: dict[str, str] = {}


def test_every_jax_nn_name_exists_or_is_listed_missing():
    for names, ns, missing in [(dir(jax.nn), nn, MISSING),
                               (dir(jax.nn.initializers), nn.initializers, MISSING_INITIALIZERS)]:
        public = {n for n in names if not n.startswith("_")}
        absent = sorted(n for n in public if not hasattr(ns, n) and n not in missing)
        assert not absent, f"{ns.__name__} lacks {absent}: add them or list them with a reason"
        stale = sorted(n for n in missing if hasattr(ns, n) or n not in public)
        assert not stale, f"listed as missing but present (or not in JAX): {stale}"


X = np.array([-40.0, -7.0, -3.0, -1.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.0, 6.0, 7.0, 40.0])
BIG = np.array([-800.0, -60.0, 60.0, 800.0])
POS = np.array([1e-10, 0.1, np.log(2.0), 0.9, 5.0, 40.0])

ELEMENTWISE = [  # (name, kwargs, inputs)
    ("relu", {}, X), ("relu6", {}, X), ("sigmoid", {}, np.r_[X, BIG]),
    ("softplus", {}, np.r_[X, BIG]), ("sparse_plus", {}, X), ("sparse_sigmoid", {}, X),
    ("soft_sign", {}, X), ("silu", {}, np.r_[X, BIG]), ("log_sigmoid", {}, np.r_[X, BIG]),
    ("leaky_relu", {}, X), ("leaky_relu", {"negative_slope": 0.2}, X),
    ("hard_sigmoid", {}, X), ("hard_silu", {}, X), ("hard_tanh", {}, X), ("elu", {}, X),
    ("celu", {}, X), ("celu", {"alpha": 2.0}, X), ("selu", {}, X), ("gelu", {}, X),
    ("gelu", {"approximate": False}, X), ("squareplus", {}, X), ("squareplus", {"b": 1.0}, X),
    ("mish", {}, np.r_[X, BIG]), ("identity", {}, X), ("tanh", {}, X), ("log1mexp", {}, POS),
]


def _ids(case):
    name, kw, _ = case
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


def _close(a, b, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", ELEMENTWISE, ids=[_ids(c) for c in ELEMENTWISE])
def test_elementwise_matches_jax(case):
    name, kw, x = case
    f = functools.partial(getattr(nn, name), **kw)
    jf = jax.jit(functools.partial(getattr(jax.nn, name), **kw))
    out, ref = f(fnp.asarray(x)), jf(jnp.asarray(x))
    assert out.dtype == np.float64 and out.shape == x.shape
    _close(out, ref)
    out32 = f(fnp.asarray(x.astype(np.float32)))
    assert out32.dtype == np.float32
    _close(out32, ref.astype(np.float32), rtol=2e-6, atol=1e-6)
    # derivatives at every input (kinks included), under jit and vmap
    g = fg.jit(fg.vmap(fg.grad(f)))(fnp.asarray(x))
    _close(g, jax.jit(jax.vmap(jax.grad(jf)))(jnp.asarray(x)))
    assert np.all(np.isfinite(np.asarray(g)))


def test_aliases():
    assert nn.swish is nn.silu and nn.hard_swish is nn.hard_silu
    assert nn.initializers.xavier_normal is nn.initializers.glorot_normal
    assert nn.initializers.kaiming_uniform is nn.initializers.he_uniform


def test_kink_derivatives_are_jax_conventions():
    grad_relu = fg.grad(nn.relu)
    assert float(grad_relu(0.0)) == 0.0 and float(grad_relu(1e-300)) == 1.0
    grad_relu6 = fg.grad(nn.relu6)
    assert [float(grad_relu6(v)) for v in (0.0, 3.0, 6.0)] == [0.0, 1.0, 0.0]
    # second derivatives through the custom rules
    _close(fg.grad(fg.grad(nn.log1mexp))(0.5), jax.grad(jax.grad(jax.nn.log1mexp))(0.5))
    _close(fg.grad(fg.grad(nn.softplus))(30.0), jax.grad(jax.grad(jax.nn.softplus))(30.0))


def test_integer_inputs_become_float():
    assert nn.sigmoid(fnp.arange(3)).dtype == np.float64
    assert nn.gelu(fnp.arange(3)).dtype == np.float64
    assert nn.relu(fnp.arange(-1, 2)).dtype == np.int64           # like JAX: max(x, 0)
    assert nn.relu(fnp.arange(-1, 2)).tolist() == [0, 0, 1]


def test_glu():
    x = np.linspace(-2, 2, 24).reshape(2, 3, 4)
    for axis in (-1, 0):
        _close(nn.glu(fnp.asarray(x), axis=axis), jax.nn.glu(jnp.asarray(x), axis=axis))
    g = fg.grad(lambda v: nn.glu(v, axis=0).sum())(fnp.asarray(x))
    _close(g, jax.grad(lambda v: jax.nn.glu(v, axis=0).sum())(jnp.asarray(x)))
    with pytest.raises(ValueError, match="axis 1 must be even"):
        nn.glu(fnp.asarray(x), axis=1)


# ---------------------------------------------------------------------------
# softmax and friends

RNG = np.random.default_rng(0)
M = RNG.normal(size=(3, 4)) * 3
W = RNG.normal(size=(3, 4))
MASK = np.array([[True, False, True, True], [False, False, False, False],
                 [True, True, True, False]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, (0, 1), None])
def test_softmax_family_matches_jax(name, axis):
    f, jf = getattr(nn, name), getattr(jax.nn, name)
    _close(f(fnp.asarray(M), axis=axis), jf(jnp.asarray(M), axis=axis))

    def loss(fun, x):
        y = fun(x, axis=axis)
        return (y * W).sum()
    _close(fg.grad(functools.partial(loss, f))(fnp.asarray(M)),
           jax.grad(functools.partial(loss, jf))(jnp.asarray(M)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_where_and_infinities(name):
    f, jf = getattr(nn, name), getattr(jax.nn, name)
    out = f(fnp.asarray(M), where=MASK)
    ref = jf(jnp.asarray(M), where=jnp.asarray(MASK))
    _close(out, ref)                              # the all-masked row included
    masked = M.copy()
    masked[0, 1] = -np.inf                       # -inf entries drop out
    _close(f(fnp.asarray(masked)), jf(jnp.asarray(masked)))
    # gradients with a mask: masked entries get none (nan-free where JAX's are)
    ref_g = jax.grad(lambda x: (jnp.where(MASK, jf(x, where=MASK), 0) * W).sum())(
        jnp.asarray(M))
    g = fg.grad(lambda x: (fnp.where(MASK, f(x, where=MASK), 0) * W).sum())(fnp.asarray(M))
    _close(g, ref_g)
    # vmap over rows, jit, float32
    _close(fg.jit(fg.vmap(f))(fnp.asarray(M)), jf(jnp.asarray(M)))
    assert f(fnp.asarray(M, dtype=np.float32)).dtype == np.float32


def test_softmax_is_stable_and_its_jvp_is_the_custom_one():
    big = np.array([1000.0, 1000.0, -1000.0])
    _close(nn.softmax(fnp.asarray(big)), [0.5, 0.5, 0.0])
    _close(nn.log_softmax(fnp.asarray(big)), jax.nn.log_softmax(jnp.asarray(big)))
    t = np.array([1.0, -2.0, 0.5])
    _, tan = fg.jvp(nn.softmax, (fnp.asarray(big),), (fnp.asarray(t),))
    _, jtan = jax.jit(lambda x, t: jax.jvp(jax.nn.softmax, (x,), (t,)))(jnp.asarray(big),
                                                                         jnp.asarray(t))
    _close(tan, jtan)
    _close(fg.hessian(lambda v: nn.softmax(v)[0])(fnp.asarray(M[0])),
           jax.jit(jax.hessian(lambda v: jax.nn.softmax(v)[0]))(jnp.asarray(M[0])))


@pytest.mark.parametrize("kw", [{}, {"axis": 0, "keepdims": True}, {"axis": 1, "where": MASK},
                                {"axis": 1, "b": W, "return_sign": True},
                                {"axis": None, "b": np.abs(W), "where": MASK}],
                         ids=lambda kw: ",".join(sorted(kw)) or "plain")
def test_logsumexp_matches_jax(kw):
    fkw = {k: fnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    out, ref = nn.logsumexp(fnp.asarray(M), **fkw), jax.nn.logsumexp(jnp.asarray(M), **jkw)
    for a, b in zip(out if isinstance(out, tuple) else (out,),
                    ref if isinstance(ref, tuple) else (ref,), strict=True):
        _close(a, b)
    if "return_sign" not in kw:
        _close(fg.grad(lambda x: nn.logsumexp(x, **fkw).sum())(fnp.asarray(M)),
               jax.grad(lambda x: jax.nn.logsumexp(x, **jkw).sum())(jnp.asarray(M)))


@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": 0, "keepdims": True},
                                {"axis": 1, "where": MASK}],
                         ids=lambda kw: ",".join(sorted(kw)) or "plain")
def test_logmeanexp_matches_jax(kw):
    fkw = {k: fnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    _close(nn.logmeanexp(fnp.asarray(M), **fkw), jax.nn.logmeanexp(jnp.asarray(M), **jkw))


@pytest.mark.parametrize("kw", [{}, {"algorithm": "stable", "axis": (0, 1)},
                                {"where": MASK[[0, 2]], "axis": 0},
                                {"mean": 0.5, "variance": 2.0, "epsilon": 0.1, "axis": None}],
                         ids=lambda kw: ",".join(sorted(kw)) or "plain")
def test_standardize_matches_jax(kw):
    x = M[[0, 2]]
    fkw = {k: fnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    _close(nn.standardize(fnp.asarray(x), **fkw), jax.nn.standardize(jnp.asarray(x), **jkw),
           rtol=1e-10)
    _close(fg.grad(lambda v: (nn.standardize(v, **fkw) * W[:2]).sum())(fnp.asarray(x)),
           jax.grad(lambda v: (jax.nn.standardize(v, **jkw) * W[:2]).sum())(jnp.asarray(x)),
           rtol=1e-9, atol=1e-12)


def test_standardize_rejects_an_unknown_algorithm():
    with pytest.raises(ValueError, match="unknown algorithm 'exact'"):
        nn.standardize(fnp.asarray(M), algorithm="exact")


def test_one_hot():
    idx = np.array([[0, 2, 5], [-1, 1, 3]])
    for kw in [{}, {"axis": 0}, {"axis": 1}, {"dtype": np.float32}, {"dtype": np.int32}]:
        out = nn.one_hot(fnp.asarray(idx), 4, **kw)
        ref = jax.nn.one_hot(jnp.asarray(idx), 4, **kw)
        assert out.dtype == ref.dtype and out.shape == ref.shape, kw
        np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
    # under jit and vmap; over a named vmap axis
    np.testing.assert_array_equal(np.asarray(fg.jit(fg.vmap(lambda i: nn.one_hot(i, 4)))(
        fnp.asarray(idx))), np.asarray(jax.nn.one_hot(jnp.asarray(idx), 4)))
    named = fg.vmap(lambda i: nn.one_hot(i, 3, axis="b"), axis_name="b")(fnp.asarray([2, 0, 1]))
    np.testing.assert_array_equal(np.asarray(named), np.asarray(
        jax.vmap(lambda i: jax.nn.one_hot(i, 3, axis="b"), axis_name="b")(jnp.array([2, 0, 1]))))
    with pytest.raises(ValueError, match="num_classes=4 must equal the size of the named axis"):
        fg.vmap(lambda i: nn.one_hot(i, 4, axis="b"), axis_name="b")(fnp.asarray([2, 0, 1]))
    with pytest.raises(TypeError, match="indices must be integers"):
        nn.one_hot(fnp.asarray([1.0]), 3)
    with pytest.raises(TypeError, match="num_classes must be a Python int"):
        nn.one_hot(fnp.asarray([1]), 3.0)


# ---------------------------------------------------------------------------
# attention

QKV = {"q": RNG.normal(size=(2, 3, 4, 5)), "k": RNG.normal(size=(2, 6, 2, 5)),
       "v": RNG.normal(size=(2, 6, 2, 5))}
ATTENTION_CASES = {
    "plain": {},
    "bias_mask": {"bias": RNG.normal(size=(1, 4, 3, 6)),
                  "mask": RNG.random(size=(2, 1, 3, 6)) > 0.3},
    "all": {"bias": RNG.normal(size=(2, 1, 3, 6)), "mask": RNG.random(size=(1, 4, 1, 6)) > 0.2,
            "is_causal": True, "local_window_size": (1, 2), "scale": 0.7,
            "query_seq_lengths": np.array([2, 3], np.int32),
            "key_value_seq_lengths": np.array([5, 1], np.int32)},
}


@pytest.mark.parametrize("case", list(ATTENTION_CASES))
def test_dot_product_attention_matches_jax(case):
    kw = ATTENTION_CASES[case]
    fkw = {k: fnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    jkw = {k: jnp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    q, k, v = (QKV[n] for n in "qkv")
    out, res = nn.dot_product_attention(fnp.asarray(q), fnp.asarray(k), fnp.asarray(v),
                                        return_residual=True, **fkw)
    ref, ref_res = jax.jit(functools.partial(jax.nn.dot_product_attention, return_residual=True,
                                             **jkw))(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v))
    # NB: JAX's softmax runs in float32 even for float64 inputs
    assert out.dtype == np.float64 and out.shape == q.shape and res.shape == q.shape[:-1]
    _close(out, ref, rtol=1e-6, atol=1e-6)
    _close(res, ref_res, rtol=1e-6, atol=1e-6)

    def loss(attn, mod, q, k, v):
        return (attn(q, k, v, **(fkw if mod is fnp else jkw)) ** 2).sum()
    g = fg.grad(functools.partial(loss, nn.dot_product_attention, fnp), argnums=(0, 1, 2))(
        fnp.asarray(q), fnp.asarray(k), fnp.asarray(v))
    jg = jax.jit(jax.grad(functools.partial(loss, jax.nn.dot_product_attention, jnp),
                          argnums=(0, 1, 2)))(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v))
    for a, b in zip(g, jg, strict=True):
        _close(a, b, rtol=1e-5, atol=1e-5)


def test_dot_product_attention_unbatched_jit_vmap_float32():
    q, k, v = (QKV[n][0] for n in "qkv")
    ref = jax.jit(jax.nn.dot_product_attention)(jnp.asarray(q), jnp.asarray(k), jnp.asarray(v))
    out = fg.jit(nn.dot_product_attention)(fnp.asarray(q), fnp.asarray(k), fnp.asarray(v))
    assert out.shape == q.shape
    _close(out, ref, rtol=1e-6, atol=1e-6)
    batched = fg.vmap(nn.dot_product_attention)(*(fnp.asarray(QKV[n]) for n in "qkv"))
    _close(batched, jax.jit(jax.nn.dot_product_attention)(*(jnp.asarray(QKV[n]) for n in "qkv")),
           rtol=1e-6, atol=1e-6)
    q32, k32, v32 = (fnp.asarray(a, dtype=np.float32) for a in (q, k, v))
    assert nn.dot_product_attention(q32, k32, v32).dtype == np.float32


def test_dot_product_attention_errors():
    q, k, v = (fnp.asarray(QKV[n]) for n in "qkv")
    with pytest.raises(ValueError, match="implementation='cudnn' is not available"):
        nn.dot_product_attention(q, k, v, implementation="cudnn")
    with pytest.raises(ValueError, match=r"value must have shape \(2, 6, 2, 5\)"):
        nn.dot_product_attention(q, k, v[:, :5])
    with pytest.raises(ValueError, match="mask must have dtype bool"):
        nn.dot_product_attention(q, k, v, mask=fnp.ones((1, 1, 3, 6)))
    with pytest.raises(ValueError, match=r"query heads \(3\) must be a multiple"):
        nn.dot_product_attention(q[:, :, :3], k, v)
    with pytest.raises(ValueError, match="query_seq_lengths must have dtype int32"):
        nn.dot_product_attention(q, k, v, query_seq_lengths=fnp.asarray([1, 2]))


def test_scaled_matmul_and_dot_general():
    a, b = RNG.normal(size=(2, 3, 8)), RNG.normal(size=(2, 4, 8))
    sa, sb = RNG.random(size=(2, 3, 2)) + 0.5, RNG.random(size=(2, 4, 2)) + 0.5
    ref = jnp.einsum("bmk,bnk->bmn", jnp.asarray(a) * jnp.repeat(sa, 4, axis=-1),
                     jnp.asarray(b) * jnp.repeat(sb, 4, axis=-1))
    out = nn.scaled_matmul(*(fnp.asarray(t) for t in (a, b, sa, sb)),
                           preferred_element_type=np.float64)
    assert out.dtype == np.float64
    _close(out, ref)
    assert nn.scaled_matmul(*(fnp.asarray(t) for t in (a, b, sa, sb))).dtype == np.float32
    with pytest.raises(ValueError, match="must divide the contraction size K=8"):
        nn.scaled_matmul(*(fnp.asarray(t) for t in (a, b, sa[..., :1].repeat(3, -1),
                                                    sb[..., :1].repeat(3, -1))))
    dn = (((2,), (2,)), ((0,), (0,)))
    out = nn.scaled_dot_general(fnp.asarray(a), fnp.asarray(b), dn)
    jref = jax.nn.scaled_dot_general(jnp.asarray(a), jnp.asarray(b), dn)
    assert out.dtype == jref.dtype == np.float32
    _close(out, jref, rtol=1e-6, atol=1e-6)
    with pytest.raises(NotImplementedError, match="float8/float4"):
        nn.scaled_dot_general(fnp.asarray(a), fnp.asarray(b), dn, configs=[object()] * 3)


# ---------------------------------------------------------------------------
# initializers

INIT = nn.initializers
JINIT = jax.nn.initializers
INIT_CASES = [  # (name, factory args, shape): a few shapes, so executables are shared
    ("zeros", None, (4, 6)), ("ones", None, (4, 6)), ("constant", (-0.5,), (4, 6)),
    ("uniform", (3.0,), (4, 6)), ("normal", (2.0,), (4, 6)),
    ("truncated_normal", (1.5,), (4, 6)), ("truncated_normal", (1.0, None, -1.0, 0.5), (4, 6)),
    ("glorot_uniform", (), (4, 6)), ("glorot_normal", (), (4, 6)),
    ("lecun_uniform", (), (4, 6)), ("lecun_normal", (), (4, 6)), ("he_uniform", (), (4, 6)),
    ("he_normal", (), (4, 6)),
    ("variance_scaling", (0.5, "fan_out", "normal"), (4, 6)),
    ("variance_scaling", (2.0, "fan_geo_avg", "uniform", 0, (1, 2)), (2, 3, 4)),
    ("variance_scaling", (1.0, "fan_avg", "uniform", -2, -1, 0), (2, 3, 4)),   # the same draws
    ("orthogonal", (), (4, 6)), ("orthogonal", (), (2, 2, 6)), ("orthogonal", (2.0, 0), (6, 2, 2)),
    ("delta_orthogonal", (), (3, 4, 6)),
]


def test_initializer_draws_match_jax():
    """The same key gives JAX's draws: funcgrad's samplers reproduce its streams."""
    jkey = jax.random.PRNGKey(1)
    for name, args, shape in INIT_CASES:
        init = getattr(INIT, name) if args is None else getattr(INIT, name)(*args)
        jinit = getattr(JINIT, name) if args is None else getattr(JINIT, name)(*args)
        out, ref = init(fr.key(1), shape), jinit(jkey, shape)    # one key per draw
        assert out.dtype == np.float64 and out.shape == shape, name
        _close(out, ref, rtol=1e-12, atol=1e-12)
    # dtype given when calling, or when making the initializer
    out32 = INIT.he_uniform()(fr.key(1), (4, 6), np.float32)
    assert out32.dtype == np.float32
    _close(out32, JINIT.he_uniform()(jkey, (4, 6), np.float32), rtol=1e-6)
    out32 = INIT.uniform(dtype=np.float32)(fr.key(1), (4, 6))
    assert out32.dtype == np.float32
    _close(out32, JINIT.uniform(dtype=np.float32)(jkey, (4, 6)), rtol=1e-6)


def test_initializers_under_jit_and_vmap():
    init = INIT.he_uniform()
    keys = fr.split(fr.key(3), 4)
    out = fg.jit(fg.vmap(lambda k: init(k, (4, 6))))(keys)
    ref = jax.jit(jax.vmap(lambda k: JINIT.he_uniform()(k, (4, 6))))(
        jax.random.split(jax.random.PRNGKey(3), 4))
    _close(out, ref)


def test_variance_scaling_statistics():
    """Mean 0 and variance scale / fan on 200,000 draws; the truncated draws stay
    within two standard deviations of the untruncated normal they are cut from."""
    fans = {"fan_in": 400, "fan_out": 500, "fan_avg": 450, "fan_geo_avg": np.sqrt(400 * 500)}
    for mode, distribution, dtype in [("fan_in", "normal", np.float64),
                                      ("fan_out", "uniform", np.float64),
                                      ("fan_avg", "truncated_normal", np.float64),
                                      ("fan_geo_avg", "truncated_normal", np.complex128),
                                      ("fan_in", "uniform", np.complex128)]:
        var = 2.0 / fans[mode]
        w = np.asarray(INIT.variance_scaling(2.0, mode, distribution)(fr.key(0), (400, 500), dtype))
        assert w.dtype == dtype
        assert abs(w.mean()) < 5 * np.sqrt(var / w.size), (mode, distribution, dtype)
        np.testing.assert_allclose(np.mean(np.abs(w) ** 2), var, rtol=0.02)
        if distribution == "truncated_normal":
            cut = 0.87962566103423978 if dtype == np.float64 else 0.96196
            assert np.abs(w).max() <= 2 * np.sqrt(var) / cut * (1 + 1e-12)
        elif distribution == "uniform":        # on [-a, a], or the disk |z| < a
            assert np.abs(w).max() <= np.sqrt((3 if dtype == np.float64 else 2) * var)


def test_truncated_normal_and_orthogonal_properties():
    w = np.asarray(INIT.truncated_normal(0.5, lower=-1.0, upper=2.0)(fr.key(5), (400, 500)))
    assert w.min() >= -0.5 and w.max() <= 1.0
    for shape, axis in [((4, 6), -1), ((6, 4), -1), ((6, 2, 2), 0)]:
        q = np.asarray(INIT.orthogonal(column_axis=axis)(fr.key(2), shape))
        mat = np.moveaxis(q, axis, -1).reshape(-1, shape[axis])
        gram = mat.T @ mat if mat.shape[0] >= mat.shape[1] else mat @ mat.T
        np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-12)
    d = np.asarray(INIT.delta_orthogonal()(fr.key(4), (3, 4, 6)))
    assert np.count_nonzero(d[[0, 2]]) == 0
    np.testing.assert_allclose(d[1] @ d[1].T, np.eye(4), atol=1e-12)
    with pytest.raises(ValueError, match="needs a 3-, 4- or 5-d shape"):
        INIT.delta_orthogonal()(fr.key(4), (3, 3))
    assert INIT.orthogonal()(fr.key(0), (0, 3)).shape == (0, 3)


def test_initializer_errors_and_protocol():
    assert isinstance(INIT.glorot_normal(), INIT.Initializer)
    with pytest.raises(ValueError, match="invalid mode 'fan_max'"):
        INIT.variance_scaling(1.0, "fan_max", "normal")
    with pytest.raises(ValueError, match="invalid distribution 'cauchy'"):
        INIT.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="give in_axis and out_axis explicitly"):
        INIT.lecun_normal()(fr.key(0), (5,))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        INIT.orthogonal()(fr.key(0), (5,))
    with pytest.raises(ValueError, match=r"input size \(5\) must not exceed the output size"):
        INIT.delta_orthogonal()(fr.key(0), (3, 5, 4))
    with pytest.raises(TypeError, match="out_sharding must be a NamedSharding"):
        INIT.zeros(fr.key(0), (2,), out_sharding="data")


def test_initializer_out_sharding():
    from conftest import mesh_devices
    mesh_devices(2)
    mesh = fg.make_mesh((2,), ("data",))
    sharding = fg.sharding.NamedSharding(mesh, fg.sharding.PartitionSpec("data"))
    w = INIT.normal(1.0)(fr.key(0), (4, 3), out_sharding=sharding)
    assert w.sharding == sharding
    _close(w, JINIT.normal(1.0)(jax.random.PRNGKey(0), (4, 3)))
