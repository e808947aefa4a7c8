"""checkpoint policies: reverse mode saves exactly the residuals a policy allows
(the same number and shapes as JAX's print_saved_residuals), recomputes the
rest with the same values and gradients, and the compiled backward pass
holds less memory when less is saved."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.ad_checkpoint import checkpoint_name as j_checkpoint_name
from jax.ad_checkpoint import print_saved_residuals as j_print_saved_residuals

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad.ad_checkpoint import checkpoint_name, print_saved_residuals, saved_residuals
from funcgrad.errors import UnsupportedError

jax.config.update("jax_enable_x64", True)

RNG = np.random.default_rng(0)
WS = [RNG.standard_normal((4, 4)) * 0.5 for _ in range(3)]
V = RNG.standard_normal((1, 4, 4)) * 0.5
X = RNG.standard_normal((3, 4))
NAMES = ("everything_saveable", "nothing_saveable", "dots_saveable", "checkpoint_dots",
         "dots_with_no_batch_dims_saveable", "checkpoint_dots_with_no_batch_dims")


def _policies(cp: Any) -> dict[str, Any]:
    out = {n: getattr(cp, n) for n in NAMES}
    out["save_only_these_names(pre)"] = cp.save_only_these_names("pre")
    out["save_any_names_but_these(pre)"] = cp.save_any_names_but_these("pre")
    out["save_any_names_but_these(other)"] = cp.save_any_names_but_these("other")
    out["save_anything_except_these_names(pre)"] = cp.save_anything_except_these_names("pre")
    out["save_from_both_policies"] = cp.save_from_both_policies(
        cp.save_only_these_names("pre"), cp.dots_with_no_batch_dims_saveable)
    return out


def _mlp(t: Any, np_: Any, name: Callable[..., Any]) -> Callable[..., Any]:
    def mlp(ws: Any, v: Any, x: Any) -> Any:
        for w in ws:
            x = np_.sin(name(x @ w, "pre"))
        # a batched product: dots_with_no_batch_dims_saveable does not save it
        xb = x.reshape(1, *x.shape)
        return np_.sum(np_.sin(t.lax.dot_general(xb, v, (((2,), (1,)), ((0,), (0,))))))
    return mlp


def _shapes(printed: str) -> list[str]:
    """The types of the printed residuals, sorted (the rest of a line is where
    the value comes from, in each library's words)."""
    return sorted(line.split()[0] for line in printed.splitlines() if re.match(r"\w+\[", line))


def _fg_shapes(capsys: Any, f: Callable[..., Any], *args: Any) -> list[str]:
    print_saved_residuals(f, *args)
    return _shapes(capsys.readouterr().out)


def _jax_shapes(capsys: Any, f: Callable[..., Any], *args: Any) -> list[str]:
    j_print_saved_residuals(f, *args)
    return _shapes(capsys.readouterr().out)


def test_mlp_saves_what_each_policy_allows_like_jax(capsys: Any) -> None:
    fm, jm = _mlp(fg, fnp, checkpoint_name), _mlp(jax, jnp, j_checkpoint_name)
    assert _fg_shapes(capsys, fm, WS, V, X) == _jax_shapes(capsys, jm, WS, V, X)
    fpol, jpol = _policies(fg.checkpoint_policies), _policies(jax.checkpoint_policies)
    counts = {}
    for name in fpol:
        got = _fg_shapes(capsys, fg.checkpoint(fm, policy=fpol[name]), WS, V, X)
        want = _jax_shapes(capsys, jax.checkpoint(jm, policy=jpol[name]), WS, V, X)
        assert got == want, name
        counts[name] = len(got)
    # the default saves nothing but the inputs
    assert _fg_shapes(capsys, fg.checkpoint(fm), WS, V, X) == \
        _jax_shapes(capsys, jax.checkpoint(jm), WS, V, X)
    assert counts["nothing_saveable"] == 5          # the weights, v and x
    assert counts["save_only_these_names(pre)"] == 5 + 3
    assert counts["nothing_saveable"] < counts["dots_saveable"] < \
        counts["everything_saveable"]
    assert counts["dots_with_no_batch_dims_saveable"] < counts["dots_saveable"]


def _scan_loss(t: Any, np_: Any, policy: Any) -> Callable[..., Any]:
    def layer(x: Any, w: Any) -> Any:
        return np_.sin(np_.sin(x @ w)), None

    body = layer if policy is None else t.checkpoint(layer, policy=policy)

    def loss(ws: Any, x: Any) -> Any:
        x, _ = t.lax.scan(body, x, ws)
        return np_.sum(x ** 2)
    return loss


def test_scan_of_layers_saves_what_each_policy_allows_like_jax(capsys: Any) -> None:
    ws, x = np.stack(WS), X
    fpol, jpol = _policies(fg.checkpoint_policies), _policies(jax.checkpoint_policies)
    for name in (None, "everything_saveable", "nothing_saveable", "dots_saveable"):
        fl = _scan_loss(fg, fnp, None if name is None else fpol[name])
        jl = _scan_loss(jax, jnp, None if name is None else jpol[name])
        assert _fg_shapes(capsys, fl, ws, x) == _jax_shapes(capsys, jl, ws, x), name
        want = jax.jit(jax.value_and_grad(jl, (0, 1)))(ws, x)
        for got in (fg.jit(fg.value_and_grad(fl, (0, 1)))(ws, x),):
            for a, b in zip(fg.tree.leaves(got), jax.tree_util.tree_leaves(want), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-11)


def test_values_and_gradients_do_not_depend_on_the_policy() -> None:
    fm, jm = _mlp(fg, fnp, checkpoint_name), _mlp(jax, jnp, j_checkpoint_name)
    want_v, want_g = jax.value_and_grad(jm, (0, 1, 2))(WS, V, X)
    policies = _policies(fg.checkpoint_policies)
    for name in ("everything_saveable", "nothing_saveable", "dots_saveable",
                 "dots_with_no_batch_dims_saveable", "save_only_these_names(pre)",
                 "save_from_both_policies"):
        f = fg.checkpoint(fm, policy=policies[name])
        vgs = [fg.jit(fg.value_and_grad(f, (0, 1, 2)))]
        if name in ("dots_saveable", "save_only_these_names(pre)"):   # eagerly too
            vgs.append(fg.value_and_grad(f, (0, 1, 2)))
        for vg in vgs:
            v, g = vg(WS, V, X)
            np.testing.assert_allclose(v, want_v, rtol=1e-12)
            for a, b in zip(fg.tree.leaves(g), jax.tree_util.tree_leaves(want_g), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-11)
    # per example, under vmap, and as a decorator
    per_x = fg.vmap(fg.grad(fg.checkpoint(policy=fg.checkpoint_policies.dots_saveable)(
        lambda x, w: fnp.sum(fnp.sin(x @ w)))), (0, None))(X, WS[0])
    np.testing.assert_allclose(per_x, jax.vmap(jax.grad(
        lambda x, w: jnp.sum(jnp.sin(x @ w))), (0, None))(X, WS[0]), rtol=1e-12)


def test_checkpoint_name_and_saved_residual_sources() -> None:
    x = fnp.asarray(X)
    assert checkpoint_name(x, "h") is x              # eagerly, the value itself
    tree_in = {"a": X, "b": (X[0],)}
    out = fg.jit(lambda t: checkpoint_name(t, "h"))(tree_in)
    np.testing.assert_array_equal(out["b"][0], X[0])
    assert "name" in str(fg.make_ir(lambda v: checkpoint_name(v, "h") * 2.0)(X))
    f = fg.checkpoint(lambda ws, x: fnp.sum(fnp.sin(checkpoint_name(x @ ws[0], "pre"))),
                      policy=fg.checkpoint_policies.save_only_these_names("pre"))
    res = saved_residuals(f, WS, X)
    assert [(a.shape, a.dtype) for a, _ in res] == [((3, 4), np.dtype("float64")),
                                                    ((4, 4), np.dtype("float64")),
                                                    ((3, 4), np.dtype("float64"))]
    assert [src.split(" from")[0] for _, src in res if src.startswith("named")] == \
        ["named 'pre'"]
    assert {src for _, src in res if src.startswith("from")} == {"from the argument ws[0]",
                                                                 "from the argument x"}
    with pytest.raises(TypeError, match="hashable"):
        checkpoint_name(x, ["h"])


def test_policy_errors() -> None:
    with pytest.raises(TypeError, match="policy must be a function"):
        fg.checkpoint(lambda x: x, policy=3)
    cp = fg.checkpoint_policies
    with pytest.raises(UnsupportedError, match="does not offload"):
        cp.save_and_offload_only_these_names(names_which_can_be_saved=["a"],
                                             names_which_can_be_offloaded=["b"],
                                             offload_src="device", offload_dst="pinned_host")
    with pytest.raises(NotImplementedError, match="offload"):
        cp.offload_dot_with_no_batch_dims("device", "pinned_host")


def test_saving_less_uses_less_compiled_memory() -> None:
    ws = [RNG.standard_normal((64, 64)) * 0.1 for _ in range(8)]
    x = RNG.standard_normal((512, 64))

    def loss(policy: Any) -> Callable[..., Any]:
        layer = fg.checkpoint(lambda w, x: fnp.tanh(fnp.sin(x @ w) * 2.0), policy=policy)

        def f(ws: Any, x: Any) -> Any:
            for w in ws:
                x = layer(w, x)
            return fnp.sum(x ** 2)
        return f

    def temp(policy: Any) -> int:
        compiled = fg.jit(fg.grad(loss(policy))).lower(ws, x).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    cp = fg.checkpoint_policies
    activation = 512 * 64 * 8
    every, nothing = temp(cp.everything_saveable), temp(cp.nothing_saveable)
    # everything: several values per layer stay alive for the backward pass;
    # nothing: only each layer's input
    assert nothing < every - 4 * activation, (nothing, every)
