"""Collectives under ``vmap(axis_name=...)``: every collective against a NumPy
reference computed lane by lane, over one named axis, over either of two nested
ones and over both (in both orders); with jit in every nesting; forward and
reverse mode (against JAX with x64 as an oracle, and finite differences);
unbound names and bad params raising before anything runs."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad import primitives as P
from funcgrad.errors import ShapeError, UnboundAxisError

jax.config.update("jax_enable_x64", True)

rng = np.random.default_rng(0)
NI, NJ = 2, 3                          # the outer ("i") and inner ("j") axis sizes


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def close(got: Any, want: Any, tol: float = 1e-12) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------
# The reference: each lane (i, j) of X[i, j] computes from the lanes of its
# group (those differing only along the named axes), numbered row-major.


def lanes_ref(X: np.ndarray, names: tuple[str, ...],
              op: Callable[[list[np.ndarray], int], np.ndarray]) -> np.ndarray:
    sizes = {"i": X.shape[0], "j": X.shape[1]}
    rows = []
    for i in range(sizes["i"]):
        row = []
        for j in range(sizes["j"]):
            here = {"i": i, "j": j}
            members = []
            for combo in itertools.product(*(range(sizes[n]) for n in names)):
                c = {**here, **dict(zip(names, combo, strict=True))}
                members.append(X[c["i"], c["j"]])
            me = 0
            for n in names:
                me = me * sizes[n] + here[n]
            row.append(op(members, me))
        rows.append(np.stack(row))
    return np.stack(rows)


def ref_psum(ms: list[np.ndarray], me: int) -> np.ndarray:
    return np.sum(np.stack(ms), axis=0)


def ref_pmax(ms: list[np.ndarray], me: int) -> np.ndarray:
    return np.max(np.stack(ms), axis=0)


def ref_pmin(ms: list[np.ndarray], me: int) -> np.ndarray:
    return np.min(np.stack(ms), axis=0)


def ref_all_gather(axis: int, tiled: bool) -> Callable[..., np.ndarray]:
    def op(ms: list[np.ndarray], me: int) -> np.ndarray:
        return np.concatenate(ms, axis) if tiled else np.stack(ms, axis)
    return op


def ref_psum_scatter(sd: int, tiled: bool) -> Callable[..., np.ndarray]:
    def op(ms: list[np.ndarray], me: int) -> np.ndarray:
        s = np.sum(np.stack(ms), axis=0)
        return np.split(s, len(ms), axis=sd)[me] if tiled else np.take(s, me, axis=sd)
    return op


def ref_all_to_all(split: int, concat: int, tiled: bool) -> Callable[..., np.ndarray]:
    def op(ms: list[np.ndarray], me: int) -> np.ndarray:
        if tiled:
            return np.concatenate([np.split(m, len(ms), axis=split)[me] for m in ms], concat)
        return np.stack([np.take(m, me, axis=split) for m in ms], concat)
    return op


def ref_ppermute(perm: list[tuple[int, int]]) -> Callable[..., np.ndarray]:
    src = {d: s for s, d in perm}

    def op(ms: list[np.ndarray], me: int) -> np.ndarray:
        return ms[src[me]] if me in src else np.zeros_like(ms[0])
    return op


def ref_axis_index(ms: list[np.ndarray], me: int) -> np.ndarray:
    return np.asarray(me, np.int32)


NAMES = [("i",), ("j",), ("i", "j"), ("j", "i")]


def nested(f: Callable[[Any], Any], how: str = "plain") -> Callable[[Any], Any]:
    """vmap over "i" (axis 0) of vmap over "j" (axis 1), with jit somewhere."""
    if how == "jit_inside":
        f = fg.jit(f)
    inner = fg.vmap(f, axis_name="j")
    if how == "jit_middle":
        inner = fg.jit(inner)
    outer = fg.vmap(inner, axis_name="i")
    return fg.jit(outer) if how == "jit_outside" else outer


HOWS = ["plain", "jit_inside", "jit_middle", "jit_outside"]


def lane_count(names: tuple[str, ...]) -> int:
    return int(np.prod([{"i": NI, "j": NJ}[n] for n in names]))


# ---------------------------------------------------------------------------
# values and dtypes, nested and jitted


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_reductions(names: tuple[str, ...], how: str) -> None:
    X = randn(NI, NJ, 4, 2)
    for fn, ref in ((lax.psum, ref_psum), (lax.pmax, ref_pmax), (lax.pmin, ref_pmin)):
        close(nested(lambda x, fn=fn: fn(x, names), how)(X), lanes_ref(X, names, ref))
    Xi = rng.integers(-5, 5, (NI, NJ, 3))
    close(nested(lambda x: lax.psum(x, names), how)(Xi), lanes_ref(Xi, names, ref_psum))
    close(nested(lambda x: lax.pmax(x, names), how)(Xi), lanes_ref(Xi, names, ref_pmax))
    want = lanes_ref(X, names, ref_psum) / lane_count(names)
    close(nested(lambda x: lax.pmean(x, names), how)(X), want)
    # integers average to floats, as NumPy's mean
    got = nested(lambda x: lax.pmean(x, names), how)(Xi)
    close(got, lanes_ref(Xi, names, ref_psum) / lane_count(names))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_all_gather(names: tuple[str, ...], how: str) -> None:
    X = randn(NI, NJ, 4, 2)
    for axis, tiled in ((0, False), (1, False), (2, False), (-1, False), (0, True), (1, True)):
        got = nested(lambda x, a=axis, t=tiled: lax.all_gather(x, names, axis=a, tiled=t),
                     how)(X)
        pos = axis % (2 if tiled else 3)
        close(got, lanes_ref(X, names, ref_all_gather(pos, tiled)))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_psum_scatter(names: tuple[str, ...], how: str) -> None:
    n = lane_count(names)
    for sd, tiled in ((0, False), (1, False), (0, True), (1, True)):
        shape = [3, 2]
        shape[sd] = n * (2 if tiled else 1)
        X = randn(NI, NJ, *shape)
        got = nested(lambda x, s=sd, t=tiled: lax.psum_scatter(
            x, names, scatter_dimension=s, tiled=t), how)(X)
        close(got, lanes_ref(X, names, ref_psum_scatter(sd, tiled)))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_all_to_all(names: tuple[str, ...], how: str) -> None:
    n = lane_count(names)
    for split, concat, tiled in itertools.product((0, 1, 2), (0, 1, 2), (False, True)):
        shape = [2, 3, 2]
        shape[split] = n * (2 if tiled else 1)
        X = randn(NI, NJ, *shape)
        got = nested(lambda x, s=split, c=concat, t=tiled: lax.all_to_all(x, names, s, c,
                                                                          tiled=t), how)(X)
        close(got, lanes_ref(X, names, ref_all_to_all(split, concat, tiled)))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_ppermute(names: tuple[str, ...], how: str) -> None:
    n = lane_count(names)
    X = randn(NI, NJ, 3)
    shift = [(k, (k + 1) % n) for k in range(n)]
    partial = [(k, n - 1 - k) for k in range(n - 1)]     # lane 0 receives nothing
    for perm in (shift, partial):
        got = nested(lambda x, p=perm: lax.ppermute(x, names, p), how)(X)
        close(got, lanes_ref(X, names, ref_ppermute(perm)))


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("names", NAMES, ids=lambda n: "+".join(n))
def test_axis_index(names: tuple[str, ...], how: str) -> None:
    X = randn(NI, NJ)
    got = nested(lambda x: lax.axis_index(names), how)(X)
    close(got, lanes_ref(X, names, ref_axis_index))
    assert got.dtype == np.int32


def test_single_axis_against_jax() -> None:
    xs = randn(4, 3, 2)
    cases = [
        (lambda x: lax.psum(x, "i"), lambda x: jax.lax.psum(x, "i")),
        (lambda x: lax.pmean(x, "i"), lambda x: jax.lax.pmean(x, "i")),
        (lambda x: lax.pmax(x, "i"), lambda x: jax.lax.pmax(x, "i")),
        (lambda x: lax.all_gather(x, "i", axis=1), lambda x: jax.lax.all_gather(x, "i", axis=1)),
        (lambda x: lax.all_gather(x, "i", axis=1, tiled=True),
         lambda x: jax.lax.all_gather(x, "i", axis=1, tiled=True)),
        (lambda x: lax.ppermute(x, "i", [(0, 2), (2, 1), (1, 3), (3, 0)]),
         lambda x: jax.lax.ppermute(x, "i", [(0, 2), (2, 1), (1, 3), (3, 0)])),
        (lambda x: x * lax.axis_index("i"), lambda x: x * jax.lax.axis_index("i")),
    ]
    for f, jf in cases:
        close(fg.vmap(f, axis_name="i")(xs), jax.vmap(jf, axis_name="i")(xs))
    ys = randn(4, 8, 3)
    close(fg.vmap(lambda y: lax.psum_scatter(y, "i", scatter_dimension=0, tiled=True),
                  axis_name="i")(ys),
          jax.vmap(lambda y: jax.lax.psum_scatter(y, "i", scatter_dimension=0, tiled=True),
                   axis_name="i")(ys))
    zs = randn(4, 3, 4)
    close(fg.vmap(lambda z: lax.all_to_all(z, "i", 1, 0), axis_name="i")(zs),
          jax.vmap(lambda z: jax.lax.all_to_all(z, "i", 1, 0), axis_name="i")(zs))


def test_unbatched_operands_are_the_same_in_every_lane() -> None:
    xs, c = randn(3, 2), fnp.asarray(randn(2))
    n = 3

    def f(x: Any, c: Any) -> Any:
        return (lax.psum(c, "i"), lax.pmax(c, "i"), lax.all_gather(c, "i"),
                lax.ppermute(c, "i", [(0, 1), (1, 0)]),
                lax.ppermute(c, "i", [(0, 1), (1, 2), (2, 0)]),
                lax.psum_scatter(fnp.stack([c] * n), "i"), x)

    s, m, g, p, full, sc, _ = fg.vmap(f, in_axes=(0, None), axis_name="i")(xs, c)
    c = np.asarray(c)
    close(s, np.broadcast_to(n * c, (n, 2)))
    close(m, np.broadcast_to(c, (n, 2)))
    close(g, np.broadcast_to(c, (n, n, 2)))
    close(p, np.stack([c, c, np.zeros(2)]))
    close(full, np.broadcast_to(c, (n, 2)))
    close(sc, np.broadcast_to(n * c, (n, 2)))
    # a traced value unbatched by this vmap (an outer vmap's) is also shared
    got = fg.vmap(lambda y: fg.vmap(lambda x: lax.psum(y, "j"), axis_name="j")(xs),
                  axis_name="i")(xs)
    close(got, np.broadcast_to(n * xs[:, None, :], (3, 3, 2)))


def test_psum_of_constants_is_size_times_value() -> None:
    xs = randn(5, 2)
    got = fg.vmap(lambda x: x * 0 + lax.psum(1.0, "i"), axis_name="i")(xs)
    close(got, np.full((5, 2), 5.0))
    assert fg.vmap(lambda x: lax.psum(2, "i"), axis_name="i")(xs).tolist() == [10] * 5
    got = fg.vmap(lambda x: lax.psum(True, "i") + lax.pmean(3, "i"), axis_name="i")(xs)
    close(got, np.full(5, 8.0))
    got = jax.vmap(lambda x: jax.lax.psum(2.0, "i"), axis_name="i")(xs)
    close(fg.vmap(lambda x: lax.psum(2.0, "i"), axis_name="i")(xs), np.asarray(got))


def test_pytrees_and_booleans() -> None:
    xs = {"a": randn(3, 2), "b": [randn(3), rng.random(3) > 0.5]}
    got = fg.vmap(lambda t: lax.psum(t, "i"), axis_name="i")(xs)
    close(got["a"], np.broadcast_to(xs["a"].sum(0), (3, 2)))
    close(got["b"][0], np.broadcast_to(xs["b"][0].sum(), (3,)))
    close(got["b"][1], np.broadcast_to(xs["b"][1].sum(), (3,)))      # bools sum to int64
    got = fg.vmap(lambda t: lax.all_gather(t, "i"), axis_name="i")(xs)
    close(got["b"][1], np.broadcast_to(xs["b"][1], (3, 3)))


def test_vmap_of_vmap_with_the_same_name_shadows() -> None:
    X = randn(2, 3)
    got = fg.vmap(fg.vmap(lambda x: lax.psum(x, "i"), axis_name="i"), axis_name="i")(X)
    close(got, np.broadcast_to(X.sum(1, keepdims=True), (2, 3)))


def test_unnamed_inner_vmap_passes_collectives_through() -> None:
    X = randn(2, 3)
    got = fg.vmap(fg.vmap(lambda x: lax.psum(x, "i")), axis_name="i")(X)
    close(got, np.broadcast_to(X.sum(0), (2, 3)))
    got = fg.vmap(fg.vmap(lambda x: x + lax.axis_index("i")), axis_name="i")(X)
    close(got, X + np.arange(2)[:, None])


def test_control_flow_and_checkpoint_bodies() -> None:
    xs = randn(4, 3)

    def f(x: Any) -> Any:
        y = lax.cond(True, lambda v: lax.psum(v, "i"), lambda v: v, x)
        y = fg.checkpoint(lambda v: lax.pmax(v, "i") * v)(y)

        def body(c: Any, _: Any) -> Any:
            return c + lax.pmean(c, "i"), lax.axis_index("i")
        c, ks = lax.scan(body, y, None, length=2)
        return c, ks

    c, ks = fg.vmap(f, axis_name="i")(xs)
    jc, jks = jax.vmap(lambda x: _jax_f(x), axis_name="i")(xs)
    close(c, jc)
    close(ks, jks)
    # a body using the axis with nothing batched at all still sees the lanes
    got = fg.vmap(lambda x: fg.jit(lambda: lax.axis_index("i"))(), in_axes=None,
                  axis_size=3, axis_name="i")(1.0)
    close(got, np.arange(3, dtype=np.int32))

    def pick(c: Any) -> Any:
        return lax.cond(c > 0, lambda: lax.axis_index("i") * 2, lambda: lax.axis_index("i"))

    def count(c: Any) -> Any:
        return lax.while_loop(lambda k: k < lax.axis_index("i") + c, lambda k: k + 1, 0)

    close(fg.vmap(pick, in_axes=None, axis_size=3, axis_name="i")(1.0),
          np.arange(3, dtype=np.int32) * 2)
    close(fg.vmap(count, in_axes=None, axis_size=4, axis_name="i")(1), np.arange(1, 5))


def test_custom_jvp_with_a_collective() -> None:
    @fg.custom_jvp
    def total(x: Any) -> Any:
        return lax.psum(x, "i")

    @total.defjvp
    def total_jvp(p: Any, t: Any) -> Any:
        return total(p[0]), lax.psum(t[0], "i") * 2

    xs = np.arange(3.0)
    close(fg.vmap(total, axis_name="i")(xs), np.full(3, 3.0))
    close(fg.vmap(lambda x: fg.jvp(total, (x,), (1.0,))[1], axis_name="i")(xs), np.full(3, 6.0))


def _jax_f(x: Any) -> Any:
    y = jax.lax.cond(True, lambda v: jax.lax.psum(v, "i"), lambda v: v, x)
    y = jax.checkpoint(lambda v: jax.lax.pmax(v, "i") * v)(y)

    def body(c: Any, _: Any) -> Any:
        return c + jax.lax.pmean(c, "i"), jax.lax.axis_index("i")
    return jax.lax.scan(body, y, None, length=2)


# ---------------------------------------------------------------------------
# derivatives: every lane's value is its own


def test_grad_of_centring_matches_jax() -> None:
    xs = randn(5, 3)

    def loss(xs: Any) -> Any:
        c = fg.vmap(lambda v: v - lax.pmean(v, "i"), axis_name="i")(xs)
        return (fnp.sin(c) * xs).sum()

    def jloss(xs: Any) -> Any:
        c = jax.vmap(lambda v: v - jax.lax.pmean(v, "i"), axis_name="i")(xs)
        return (jnp.sin(c) * xs).sum()

    close(fg.grad(loss)(xs), jax.grad(jloss)(xs))
    close(fg.jit(fg.grad(loss))(xs), jax.grad(jloss)(xs))
    # summed, v - pmean(v) is zero whatever xs: its gradient too
    close(fg.grad(lambda xs: fg.vmap(lambda v: v - lax.pmean(v, "i"),
                                     axis_name="i")(xs).sum())(xs), np.zeros((5, 3)))


def _per_lane_grad_cases() -> list[tuple[str, Callable[..., Any], Callable[..., Any]]]:
    perm = [(0, 1), (1, 2), (2, 3), (3, 0)]
    return [
        ("psum", lambda x: fnp.sin(lax.psum(x * x, "i")).sum(),
         lambda x: jnp.sin(jax.lax.psum(x * x, "i")).sum()),
        ("pmean", lambda x: (fnp.cos(x) * lax.pmean(x, "i")).sum(),
         lambda x: (jnp.cos(x) * jax.lax.pmean(x, "i")).sum()),
        # JAX does not differentiate pmax/pmin: its max of the gathered lanes stands in
        ("pmax", lambda x: (lax.pmax(x, "i") * x).sum(),
         lambda x: (jax.lax.all_gather(x, "i").max(0) * x).sum()),
        ("pmin", lambda x: (lax.pmin(fnp.sin(x), "i") ** 2).sum(),
         lambda x: (jax.lax.all_gather(jnp.sin(x), "i").min(0) ** 2).sum()),
        ("all_gather", lambda x: (fnp.tanh(lax.all_gather(x, "i", axis=1)) * 1.5).sum(),
         lambda x: (jnp.tanh(jax.lax.all_gather(x, "i", axis=1)) * 1.5).sum()),
        ("all_gather_tiled",
         lambda x: (lax.all_gather(x, "i", tiled=True) ** 3).sum(),
         lambda x: (jax.lax.all_gather(x, "i", tiled=True) ** 3).sum()),
        ("psum_scatter",
         lambda x: fnp.exp(lax.psum_scatter(fnp.stack([x, 2 * x, x * x, -x]), "i")).sum(),
         lambda x: jnp.exp(jax.lax.psum_scatter(jnp.stack([x, 2 * x, x * x, -x]), "i")).sum()),
        ("ppermute", lambda x: (lax.ppermute(x, "i", perm) * fnp.sin(x)).sum(),
         lambda x: (jax.lax.ppermute(x, "i", perm) * jnp.sin(x)).sum()),
        ("axis_index", lambda x: (x * lax.axis_index("i")).sum(),
         lambda x: (x * jax.lax.axis_index("i")).sum()),
    ]


@pytest.mark.parametrize("name, f, jf", _per_lane_grad_cases(),
                         ids=[c[0] for c in _per_lane_grad_cases()])
def test_per_lane_grad_matches_jax(name: str, f: Callable[..., Any],
                                   jf: Callable[..., Any]) -> None:
    xs = randn(4, 3)
    # grad inside vmap: each lane differentiates its own loss (the collective's
    # transpose runs inside the vmap)
    close(fg.vmap(fg.grad(f), axis_name="i")(xs), jax.vmap(jax.grad(jf), axis_name="i")(xs))
    close(fg.jit(fg.vmap(fg.grad(f), axis_name="i"))(xs),
          jax.vmap(jax.grad(jf), axis_name="i")(xs))
    # grad outside vmap, of the lanes' total
    close(fg.grad(lambda xs: fg.vmap(f, axis_name="i")(xs).sum())(xs),
          jax.grad(lambda xs: jax.vmap(jf, axis_name="i")(xs).sum())(xs))


@pytest.mark.parametrize("name, f, jf", _per_lane_grad_cases(),
                         ids=[c[0] for c in _per_lane_grad_cases()])
def test_per_lane_jvp_matches_jax(name: str, f: Callable[..., Any],
                                  jf: Callable[..., Any]) -> None:
    xs, ts = randn(4, 3), randn(4, 3)
    got = fg.vmap(lambda x, t: fg.jvp(f, (x,), (t,)), axis_name="i")(xs, ts)
    want = jax.vmap(lambda x, t: jax.jvp(jf, (x,), (t,)), axis_name="i")(xs, ts)
    close(got[0], want[0])
    close(got[1], want[1])
    got = fg.jvp(fg.vmap(f, axis_name="i"), (xs,), (ts,))
    close(got[1], jax.jvp(jax.vmap(jf, axis_name="i"), (xs,), (ts,))[1])


@pytest.mark.parametrize("tiled", [True, False])
@pytest.mark.parametrize("inside", [True, False], ids=["grad_in_vmap", "grad_of_vmap"])
def test_all_to_all_grad_against_finite_differences(tiled: bool, inside: bool) -> None:
    xs = randn(3, 6 if tiled else 3, 2)
    w = randn(3, *fg.vmap(lambda x: lax.all_to_all(x, "i", 0, 1, tiled=tiled),
                          axis_name="i")(xs).shape[1:])

    def lane_loss(x: Any, w: Any) -> Any:
        return (fnp.sin(lax.all_to_all(x, "i", 0, 1, tiled=tiled)) * w).sum()

    def loss(xs: Any) -> Any:
        return fg.vmap(lane_loss, axis_name="i")(xs, w).sum()

    if inside:
        # each lane differentiates its own loss, and the transposed all_to_all sends
        # each lane's cotangent back to the lanes it came from: together, the
        # gradient of the lanes' total
        g = np.asarray(fg.vmap(fg.grad(lane_loss), in_axes=(0, 0), axis_name="i")(xs, w))
    else:
        g = np.asarray(fg.grad(loss)(xs))
    v = randn(*xs.shape)
    eps = 1e-6
    fd = (float(loss(xs + eps * v)) - float(loss(xs - eps * v))) / (2 * eps)
    np.testing.assert_allclose(np.vdot(g, v), fd, rtol=1e-7)


def test_pmax_ties_share_the_tangent() -> None:
    xs = np.array([1.0, 3.0, 3.0, 2.0])
    _, t = fg.jvp(fg.vmap(lambda x: lax.pmax(x, "i"), axis_name="i"), (xs,),
                  (np.array([10.0, 20.0, 40.0, 80.0]),))
    close(t, np.full(4, 30.0))


def test_vjp_and_linear_transpose_inside_and_around_vmap() -> None:
    x = randn(3, 2)
    ct = randn(3, 3, 2)

    def vjp_lane(x: Any, c: Any) -> Any:
        return fg.vjp(lambda v: lax.all_gather(v, "i"), x)[1](c)[0]

    # all_gather transposes to psum_scatter: lane j gets the sum of the lanes' slot j
    close(fg.vmap(vjp_lane, axis_name="i")(x, ct), ct.sum(0))
    transposed = fg.linear_transpose(fg.vmap(lambda v: lax.ppermute(v, "i", [(0, 1), (1, 2)]),
                                             axis_name="i"), x)
    (back,) = transposed(ct[0])
    close(back, np.stack([ct[0][1], ct[0][2], np.zeros(2)]))


def test_batched_away_before_lowering() -> None:
    xs = randn(3, 2)
    program = fg.make_ir(fg.vmap(fg.jit(lambda v: v - lax.pmean(v, "i")), axis_name="i"))(xs)
    names = str(program)
    assert "reduce_sum" in names and "psum" not in names and "pmean" not in names


# ---------------------------------------------------------------------------
# errors


def test_unbound_axis_names_the_axes_in_scope() -> None:
    xs = randn(3, 2)
    msg = r"unbound axis name 'j': the axis names in scope are \('i',\)"
    with pytest.raises(UnboundAxisError, match=msg):
        fg.vmap(lambda x: lax.psum(x, "j"), axis_name="i")(xs)
    with pytest.raises(NameError, match=msg + ".*vmap\\(axis_name=...\\) or shard_map"):
        fg.vmap(fg.jit(lambda x: lax.all_gather(x, "j")), axis_name="i")(xs)
    with pytest.raises(NameError, match="there are no axis names in scope"):
        lax.psum(fnp.ones(3), "i")
    with pytest.raises(NameError, match="axis_index: unbound axis name 'i'"):
        lax.axis_index("i")
    with pytest.raises(NameError, match="unbound axis name 'i'"):
        fg.jit(lambda x: lax.psum(x, "i"))(xs)
    with pytest.raises(NameError, match="(?s)psum: unbound axis name 'j'.*At .*test_collectives"):
        fg.jit(lambda x: lax.psum(x, ("j", "i")))(xs)
    with pytest.raises(NameError, match="pmean: unbound axis name 'k'"):
        fg.vmap(lambda x: lax.pmean(x, ("i", "k")), axis_name="i")(xs)
    # a vmap without a name binds none
    with pytest.raises(NameError, match="there are no axis names in scope"):
        fg.vmap(lambda x: lax.psum(x, "i"))(xs)


def test_bad_params_raise_before_tracing_further() -> None:
    xs = randn(3, 2)
    calls = []

    def after(x: Any) -> Any:
        calls.append(1)
        return x

    def run(f: Callable[[Any], Any]) -> Any:
        return fg.vmap(lambda x: after(f(x)), axis_name="i")(xs)

    with pytest.raises(ValueError, match="not a permutation: lane\\(s\\) \\[0\\] appear more "
                                         "than once as a source"):
        run(lambda x: lax.ppermute(x, "i", [(0, 1), (0, 2)]))
    with pytest.raises(ValueError, match="more than once as a destination"):
        run(lambda x: lax.ppermute(x, "i", [(0, 1), (2, 1)]))
    with pytest.raises(ValueError, match=r"the pair \(0, 3\) of perm names a lane outside the "
                                         "3 lanes"):
        run(lambda x: lax.ppermute(x, "i", [(0, 3)]))
    with pytest.raises(TypeError, match="perm must be a sequence of"):
        run(lambda x: lax.ppermute(x, "i", [0, 1]))
    with pytest.raises(ShapeError, match=r"all_gather: axis 3 is out of range: expected an int "
                                         r"in \[-2, 2\)"):
        run(lambda x: lax.all_gather(x, "i", axis=3))
    with pytest.raises(ShapeError, match=r"axis 1 is out of range.*\[-1, 1\)"):
        run(lambda x: lax.all_gather(x, "i", axis=1, tiled=True))
    with pytest.raises(ShapeError, match="psum_scatter: scatter_dimension 0 of the operand "
                                         r"\(2,\) has size 2, but it must equal 3"):
        run(lambda x: lax.psum_scatter(x, "i"))
    with pytest.raises(ShapeError, match="does not split into 3 equal blocks"):
        run(lambda x: lax.psum_scatter(x, "i", tiled=True))
    with pytest.raises(ShapeError, match="all_to_all: split_axis 0 .* must equal 3"):
        run(lambda x: lax.all_to_all(x, "i", 0, 0))
    with pytest.raises(ValueError, match="repeated axis name"):
        run(lambda x: lax.psum(x, ("i", "i")))
    with pytest.raises(TypeError, match="psum needs a numeric operand"):
        fg.vmap(lambda x: P.psum_p.bind(x > 0, axis_name=("i",)), axis_name="i")(xs)
    with pytest.raises(TypeError, match="vmap: axis_name must be one name"):
        fg.vmap(lambda x: x, axis_name=("i", "j"))
    assert not calls


def test_stale_axis_size_raises() -> None:
    """A collective traced for an axis of one size, bound where it has another."""
    with pytest.raises(ValueError, match="have size 3 in scope, but this all_gather was traced "
                                         "where they had size 2"):
        fg.vmap(lambda x: P.all_gather_p.bind(x, axis_name=("i",), axis=0, tiled=False,
                                              axis_size=2), axis_name="i")(randn(3, 2))


def test_axis_env_api() -> None:
    from funcgrad import core
    assert core.axis_frames() == ()
    with core.extend_axis_env([("data", 4), ("model", 2)]):
        assert core.axis_size("data") == 4
        assert core.axis_size(("data", "model")) == 8
        assert core.axis_names_in_scope() == ("data", "model")
        with core.extend_axis_env([("data", 3)]):
            assert core.axis_size("data") == 3
        assert core.axis_size("data") == 4
    assert core.axis_frames() == ()
    with pytest.raises(TypeError, match="hashable"):
        core.extend_axis_env([([1], 2)])
    seen = []
    fg.vmap(lambda x: seen.append(core.axis_frames()) or x, axis_name="b")(randn(5))
    assert seen == [(core.AxisFrame("b", 5),)]
