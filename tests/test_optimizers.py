"""funcgrad.example_libraries.optimizers against jax.example_libraries.optimizers
(x64): every optimizer on the same gradients, the schedules, the utilities, the
state as a pytree through jit, and a small jitted training loop."""
from __future__ import annotations

import jax
import jax.example_libraries.optimizers as jo
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.example_libraries import optimizers as fo

RNG = np.random.default_rng(0)
PARAMS = {"w": RNG.normal(size=(3, 2)), "b": RNG.normal(size=(2,)), "s": np.array(0.5)}
GRADS = [{"w": RNG.normal(size=(3, 2)), "b": RNG.normal(size=(2,)) * (i % 2),
          "s": np.array(0.1 * i)} for i in range(4)]


def _close(a, b, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


def test_public_names_match_jax():
    ours = {n for n in dir(fo) if not n.startswith("_")}
    # JAX's module also exposes its imports (jax, jnp, partial, safe_map, ...)
    theirs = {n for n in dir(jo) if not n.startswith("_") and n not in (
        "Any", "Callable", "NamedTuple", "annotations", "functools", "jax", "jnp", "map",
        "namedtuple", "partial", "safe_map", "safe_zip", "unzip2", "zip")}
    assert theirs <= ours, sorted(theirs - ours)


OPTIMIZERS = [("sgd", (0.1,)), ("momentum", (0.1, 0.9)), ("nesterov", (0.1, 0.8)),
              ("adagrad", (0.1,)), ("adagrad", (0.2, 0.5)), ("rmsprop", (0.1,)),
              ("rmsprop_momentum", (0.1, 0.8, 1e-6, 0.7)), ("adam", (0.1,)),
              ("adam", (0.05, 0.5, 0.9, 1e-4)), ("adamax", (0.1,)), ("sm3", (0.1,)),
              # schedules, made by each library from its module
              ("sgd", (lambda m: m.exponential_decay(0.1, 2, 0.5),)),
              ("adam", (lambda m: m.piecewise_constant([1, 2], [0.1, 0.05, 0.01]),))]


@pytest.mark.parametrize("name,args", OPTIMIZERS,
                         ids=[f"{n}{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_matches_jax(name, args):
    j_init, j_update, j_params = getattr(jo, name)(*(a(jo) if callable(a) else a for a in args))
    f_init, f_update, f_params = getattr(fo, name)(*(a(fo) if callable(a) else a for a in args))
    j_state = j_init(jax.tree.map(jnp.asarray, PARAMS))
    f_state = f_init(fg.tree.map(fnp.asarray, PARAMS))
    f_update = fg.jit(f_update)                        # the state crosses jit
    for i, g in enumerate(GRADS):
        j_state = j_update(i, jax.tree.map(jnp.asarray, g), j_state)
        f_state = f_update(i, fg.tree.map(fnp.asarray, g), f_state)
    ours, theirs = f_params(f_state), j_params(j_state)
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        assert ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype
        _close(ours[k], theirs[k])


@pytest.mark.parametrize("make", [
    lambda m: m.constant(0.3), lambda m: m.exponential_decay(0.5, 3, 0.1),
    lambda m: m.inverse_time_decay(0.5, 2, 0.3), lambda m: m.inverse_time_decay(0.5, 2, 0.3, True),
    lambda m: m.polynomial_decay(1.0, 5, 0.1), lambda m: m.polynomial_decay(1.0, 4, 0.0, 2.0),
    lambda m: m.piecewise_constant([2, 5], [1.0, 0.5, 0.1]), lambda m: m.make_schedule(0.2)],
    ids=["constant", "exponential", "inverse_time", "inverse_time_staircase", "polynomial",
         "polynomial_power", "piecewise", "make_schedule"])
def test_schedules_match_jax(make):
    ours, theirs = make(fo), make(jo)
    steps = np.arange(8)
    _close([float(ours(int(i))) for i in steps], [float(theirs(int(i))) for i in steps])
    traced = fg.jit(fg.vmap(lambda i: fnp.asarray(ours(i), dtype=float)))(fnp.asarray(steps))
    _close(traced, [float(theirs(int(i))) for i in steps])


def test_schedule_errors():
    with pytest.raises(ValueError, match="one more value than boundaries"):
        fo.piecewise_constant([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="must be sequences"):
        fo.piecewise_constant(1, [0.1])
    with pytest.raises(TypeError, match="expected a number or a function of the step"):
        fo.make_schedule(np.ones(2))
    assert fo.make_schedule(fo.constant(2.0))(7) == 2.0


def test_l2_norm_and_clip_grads():
    tree = fg.tree.map(fnp.asarray, GRADS[1])
    jtree = jax.tree.map(jnp.asarray, GRADS[1])
    _close(fo.l2_norm(tree), jo.l2_norm(jtree))
    for max_norm in (0.5, 100.0):
        clipped = fo.clip_grads(tree, max_norm)
        ref = jo.clip_grads(jtree, max_norm)
        for k in ref:
            _close(clipped[k], ref[k])
    _close(fo.l2_norm(fo.clip_grads(tree, 0.5)), 0.5)


def test_update_rejects_a_mismatched_gradient_tree():
    opt_init, opt_update, _ = fo.sgd(0.1)
    state = opt_init(fg.tree.map(fnp.asarray, PARAMS))
    with pytest.raises(TypeError, match="does not match the parameter tree"):
        opt_update(0, {"w": fnp.ones((3, 2))}, state)


def test_pack_and_unpack_optimizer_state():
    opt_init, opt_update, get_params = fo.momentum(0.1, 0.9)
    state = opt_update(0, fg.tree.map(fnp.asarray, GRADS[0]),
                       opt_init(fg.tree.map(fnp.asarray, PARAMS)))
    unpacked = fo.unpack_optimizer_state(state)
    assert sorted(unpacked) == ["b", "s", "w"]
    assert all(isinstance(j, fo.JoinPoint) for j in unpacked.values())
    x, velocity = unpacked["w"].subtree
    _close(x, get_params(state)["w"])
    repacked = fo.pack_optimizer_state(unpacked)
    assert repacked.tree_def == state.tree_def and repacked.subtree_defs == state.subtree_defs
    _close(get_params(repacked)["b"], get_params(state)["b"])
    with pytest.raises(TypeError, match="every leaf must be a JoinPoint"):
        fo.pack_optimizer_state({"w": 1.0})


def test_state_is_a_pytree_with_static_structure():
    opt_init, _, _ = fo.sm3(0.1)
    state = opt_init(fg.tree.map(fnp.asarray, PARAMS))
    leaves, treedef = fg.tree.flatten(state)
    assert all(hasattr(x, "shape") for x in leaves)       # shapes and structures are static
    assert fg.tree.unflatten(treedef, leaves).tree_def == state.tree_def


def test_jitted_training_loop():
    """Fit y = x @ w_true with adam under one jitted step; the loss falls by 100x."""
    x = RNG.normal(size=(32, 3))
    y = x @ np.array([1.0, -2.0, 0.5])

    def loss(params, x, y):
        return fnp.mean((x @ params["w"] + params["b"] - y) ** 2)

    opt_init, opt_update, get_params = fo.adam(0.1)

    @fg.jit
    def step(i, state, x, y):
        value, grads = fg.value_and_grad(loss)(get_params(state), x, y)
        return value, opt_update(i, grads, state)

    state = opt_init({"w": fnp.zeros(3), "b": fnp.asarray(0.0)})
    first = None
    for i in range(60):
        value, state = step(i, state, fnp.asarray(x), fnp.asarray(y))
        first = float(value) if first is None else first
    assert float(loss(get_params(state), fnp.asarray(x), fnp.asarray(y))) < first / 100
