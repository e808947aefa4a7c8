"""Convolutions of funcgrad.lax against jax.lax (x64 on): values under jit for 1-3
spatial dimensions, strides, every padding form, both dilations, both kinds of
group, other layouts and dtypes; gradients against jax.grad (and a VJP-vs-JVP
dot-product test) for a representative subset; vmap over either operand or both
against a loop; conv_transpose, patches and the unshared convolution; the
precision attribute; errors."""
from __future__ import annotations

from typing import Any

import jax
import numpy as np
import pytest
from jax import lax as jlax

import funcgrad as fg
import funcgrad.lax as flax
from funcgrad.errors import DTypeError, ShapeError, UnsupportedError

jax.config.update("jax_enable_x64", True)

# name: (lhs shape, rhs shape, conv_general_dilated kwargs)
CASES: dict[str, tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = {
    "1d_strided": ((2, 3, 9), (4, 3, 3), dict(window_strides=(2,), padding=((1, 2),))),
    "1d_valid_rhs_dilated": ((2, 2, 9), (3, 2, 3),
                             dict(window_strides=(1,), padding="VALID", rhs_dilation=(3,))),
    "2d_same": ((2, 3, 7, 6), (4, 3, 3, 2), dict(window_strides=(1, 2), padding="SAME")),
    "2d_same_lower": ((1, 2, 6, 5), (2, 2, 2, 3),
                      dict(window_strides=(2, 1), padding="SAME_LOWER")),
    "2d_dilations_crop": ((2, 3, 7, 6), (4, 3, 3, 2),
                          dict(window_strides=(2, 1), padding=((2, -1), (0, 1)),
                               lhs_dilation=(2, 1), rhs_dilation=(1, 2))),
    "2d_feature_groups": ((2, 6, 5, 5), (4, 3, 3, 2),
                          dict(window_strides=(1, 1), padding="VALID", feature_group_count=2)),
    "2d_depthwise": ((1, 3, 5, 5), (6, 1, 3, 3),
                     dict(window_strides=(1, 1), padding="SAME", feature_group_count=3)),
    "2d_batch_groups": ((4, 3, 7, 6), (6, 3, 3, 2),
                        dict(window_strides=(2, 1), padding="SAME", batch_group_count=2)),
    "2d_nhwc_groups": ((2, 7, 6, 4), (3, 2, 2, 6),
                       dict(window_strides=(1, 2), padding="SAME",
                            dimension_numbers=("NHWC", "HWIO", "NHWC"),
                            feature_group_count=2)),
    "2d_odd_layout_batch_groups": ((7, 4, 2, 5), (2, 2, 3, 2),
                                   dict(window_strides=(1, 1), padding=((1, 0), (0, 1)),
                                        dimension_numbers=("HNCW", "WOHI", "CWNH"),
                                        batch_group_count=2)),
    "3d": ((1, 2, 5, 4, 3), (2, 2, 2, 2, 2),
           dict(window_strides=(1, 2, 1), padding="SAME", rhs_dilation=(1, 1, 2))),
    "3d_lhs_dilated": ((1, 2, 3, 3, 2), (2, 1, 2, 1, 2),
                       dict(window_strides=(1, 1, 2), padding=((1, 1), (0, 0), (1, 0)),
                            lhs_dilation=(2, 1, 2), feature_group_count=2)),
    "0d": ((2, 3), (4, 3), dict(window_strides=(), padding=())),
}
GRAD_CASES = ["2d_dilations_crop", "2d_batch_groups", "2d_nhwc_groups",
              "2d_odd_layout_batch_groups", "3d_lhs_dilated"]


def _operands(name: str, dtype: Any = np.float64, seed: int = 0) -> tuple[np.ndarray, ...]:
    lhs_shape, rhs_shape, _ = CASES[name]
    rng = np.random.default_rng(seed)

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        x = rng.standard_normal(shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(shape)
        return x.astype(dtype)
    return draw(lhs_shape), draw(rhs_shape)


def _close(got: Any, want: Any, rtol: float = 1e-12) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape,
                                                                 want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


# ---------------------------------------------------------------------------
# values


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_jax_under_jit(name: str) -> None:
    kw = CASES[name][2]
    x, w = _operands(name)
    got = fg.jit(lambda a, b: flax.conv_general_dilated(a, b, **kw))(x, w)
    _close(got, jlax.conv_general_dilated(x, w, **kw))


@pytest.mark.parametrize("dtype, preferred, rtol", [
    (np.float32, None, 1e-5), (np.float16, None, 2e-3), (np.complex128, None, 1e-12),
    (np.complex64, None, 1e-5), (np.int8, np.int32, 0), (np.int32, None, 0),
    (np.int8, np.float32, 0), (np.uint8, np.int32, 0), (np.float32, np.float64, 1e-6),
    (np.bool_, None, 0),
])
def test_dtypes_match_jax(dtype: Any, preferred: Any, rtol: float) -> None:
    if np.dtype(dtype).kind in "iub" and fg.devices()[0].platform != "cpu":
        pytest.skip("XLA on GPU convolves integers only in cuDNN's int8 idioms (JAX alike)")
    x, w = _operands("2d_feature_groups", np.complex128 if np.dtype(dtype).kind == "c"
                     else np.float64)
    if np.dtype(dtype).kind in "iub":
        x, w = (np.round(v * 3) for v in (x, w))
        if dtype is np.bool_:
            x, w = x > 0, w > 0
    x, w = x.astype(dtype), w.astype(dtype)
    kw = dict(CASES["2d_feature_groups"][2], preferred_element_type=preferred)
    got = flax.conv_general_dilated(x, w, **kw)         # eager
    _close(got, jlax.conv_general_dilated(x, w, **kw), rtol)


def test_wrappers_match_jax() -> None:
    x, w = _operands("2d_same")
    _close(flax.conv(x, w, (1, 2), "SAME"), jlax.conv(x, w, (1, 2), "SAME"))
    _close(flax.conv_with_general_padding(x, w, (2, 1), [(1, 0), (2, 1)], (1, 2), (2, 1)),
           jlax.conv_with_general_padding(x, w, (2, 1), [(1, 0), (2, 1)], (1, 2), (2, 1)))
    assert (flax.conv_dimension_numbers(x.shape, w.shape, ("NHWC", "OIHW", "NWHC"))
            == tuple(jlax.conv_dimension_numbers(x.shape, w.shape, ("NHWC", "OIHW", "NWHC"))))
    for pad in ("SAME", "SAME_LOWER", "VALID"):
        assert (flax.padtype_to_pads((7, 6, 1), (3, 2, 4), (2, 4, 1), pad)
                == jlax.padtype_to_pads((7, 6, 1), (3, 2, 4), (2, 4, 1), pad))


@pytest.mark.parametrize("padding", ["SAME", "VALID", [(1, 0), (2, -1)]])
def test_shape_helpers_match_jax(padding: Any) -> None:
    dn = ("NHWC", "HWIO", "NCHW")
    assert flax.conv_general_permutations(dn) == jlax.conv_general_permutations(dn)
    canonical = ((4, 3, 8, 7), (6, 3, 3, 2), (2, 3), padding)
    assert (flax.conv_shape_tuple(*canonical, batch_group_count=2)
            == jlax.conv_shape_tuple(*canonical, batch_group_count=2))
    laid_out = ((2, 8, 7, 3), (3, 2, 3, 4), (2, 1), padding, dn)
    assert flax.conv_general_shape_tuple(*laid_out) == tuple(
        jlax.conv_general_shape_tuple(*laid_out))
    assert flax.conv_transpose_shape_tuple(*laid_out) == tuple(
        jlax.conv_transpose_shape_tuple(*laid_out))


def test_window_wider_than_padded_lhs_is_empty_like_jax() -> None:
    x, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
    out = flax.conv_general_dilated(x, w, (1,), "VALID")
    assert out.shape == jlax.conv_general_dilated(x, w, (1,), "VALID").shape == (1, 1, 0)
    for lhs, rhs in ((x, w), (np.ones((0, 2, 5)), np.ones((3, 2, 2)))):   # nothing flows back
        grads = fg.grad(lambda a, b: flax.conv_general_dilated(a, b, (1,), "VALID").sum(),
                        argnums=(0, 1))(lhs, rhs)
        for g, v in zip(grads, (lhs, rhs), strict=True):
            _close(g, np.zeros_like(v))


def test_precision_reaches_the_lowering() -> None:
    x, w = _operands("2d_same", np.float32)

    def f(a: Any, b: Any) -> Any:
        return flax.conv(a, b, (1, 1), "SAME", precision=(flax.Precision.HIGHEST, "high"))
    text = fg.jit(f).lower(x, w).as_text()
    assert "precision_config = [#stablehlo<precision HIGHEST>, #stablehlo<precision HIGH>]" \
        in text
    _close(fg.jit(f)(x, w), jlax.conv(x, w, (1, 1), "SAME", precision="highest"), 1e-5)
    plain = fg.jit(lambda a, b: flax.conv(a, b, (1, 1), "SAME")).lower(x, w).as_text()
    assert "precision_config" not in plain


# ---------------------------------------------------------------------------
# derivatives


@pytest.mark.parametrize("name", GRAD_CASES)
def test_grads_match_jax(name: str) -> None:
    kw = CASES[name][2]
    x, w = _operands(name)
    ct = np.random.default_rng(1).standard_normal(jlax.conv_general_dilated(x, w, **kw).shape)

    def loss(conv: Any) -> Any:
        return lambda a, b: (conv(a, b, **kw) * ct).sum()
    got = fg.jit(fg.grad(loss(flax.conv_general_dilated), argnums=(0, 1)))(x, w)
    want = jax.jit(jax.grad(loss(jlax.conv_general_dilated), argnums=(0, 1)))(x, w)
    for g, h in zip(got, want, strict=True):
        _close(g, h)


@pytest.mark.parametrize("name", ["2d_dilations_crop", "2d_batch_groups", "3d_lhs_dilated"])
def test_vjp_is_the_transpose_of_jvp(name: str) -> None:
    kw = CASES[name][2]
    x, w = _operands(name)
    tx, tw = _operands(name, seed=2)

    def f(a: Any, b: Any) -> Any:
        return flax.conv_general_dilated(a, b, **kw)
    out, out_dot = fg.jvp(f, (x, w), (tx, tw))
    ct = np.random.default_rng(3).standard_normal(out.shape)
    _, vjp = fg.vjp(f, x, w)
    ct_x, ct_w = vjp(ct)
    lhs = np.sum(ct * np.asarray(out_dot))
    rhs = np.sum(np.asarray(ct_x) * tx) + np.sum(np.asarray(ct_w) * tw)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_complex_and_mixed_precision_grads_match_jax() -> None:
    x, w = _operands("2d_feature_groups", np.complex128)
    kw = CASES["2d_feature_groups"][2]

    def loss(conv: Any) -> Any:
        return lambda a, b: (conv(a, b, **kw) ** 2).sum().real
    got = fg.jit(fg.grad(loss(flax.conv_general_dilated), argnums=(0, 1)))(x, w)
    want = jax.jit(jax.grad(loss(jlax.conv_general_dilated), argnums=(0, 1)))(x, w)
    for g, h in zip(got, want, strict=True):
        _close(g, h)
    x32, w32 = (v.real.astype(np.float32) for v in (x, w))
    kw64 = dict(kw, preferred_element_type=np.float64)

    def loss64(conv: Any) -> Any:
        return lambda a, b: (conv(a, b, **kw64) ** 2).sum()
    got = fg.jit(fg.grad(loss64(flax.conv_general_dilated), argnums=(0, 1)))(x32, w32)
    want = jax.jit(jax.grad(loss64(jlax.conv_general_dilated), argnums=(0, 1)))(x32, w32)
    for g, h in zip(got, want, strict=True):
        _close(g, h, 1e-5)


@pytest.mark.parametrize("name", ["2d_feature_groups", "2d_batch_groups"])
def test_second_order_matches_jax(name: str) -> None:
    """grad of a gradient: the transposes' own convolutions are differentiated and
    transposed again."""
    kw = CASES[name][2]
    x, w = _operands(name)

    def outer(conv: Any, grad: Any) -> Any:
        def inner(a: Any, b: Any) -> Any:
            return (conv(a, b, **kw) ** 2).sum()
        return grad(lambda a, b: (grad(inner)(a, b) ** 2).sum(), argnums=1)
    _close(fg.jit(outer(flax.conv_general_dilated, fg.grad))(x, w),
           jax.jit(outer(jlax.conv_general_dilated, jax.grad))(x, w), 1e-10)


# ---------------------------------------------------------------------------
# vmap


@pytest.mark.parametrize("name", ["2d_feature_groups", "2d_batch_groups",
                                  "2d_odd_layout_batch_groups"])
@pytest.mark.parametrize("in_axes", [(0, None), (None, 1), (2, 0)])
def test_vmap_matches_a_loop(name: str, in_axes: tuple[int | None, int | None]) -> None:
    kw = CASES[name][2]
    lanes = 3
    ops = [np.stack([_operands(name, seed=k)[i] for k in range(lanes)], axis=ax)
           if ax is not None else _operands(name)[i] for i, ax in enumerate(in_axes)]

    def lane(k: int, i: int) -> np.ndarray:
        ax = in_axes[i]
        return ops[i] if ax is None else np.take(ops[i], k, axis=ax)
    got = fg.jit(fg.vmap(lambda a, b: flax.conv_general_dilated(a, b, **kw),
                         in_axes=in_axes))(*ops)
    want = np.stack([jlax.conv_general_dilated(lane(k, 0), lane(k, 1), **kw)
                     for k in range(lanes)])
    _close(got, want)


def test_vmap_of_grad_and_empty_lanes() -> None:
    kw = CASES["2d_batch_groups"][2]
    x, w = _operands("2d_batch_groups")
    xs = np.stack([x, 2 * x])

    def g(conv: Any, grad: Any) -> Any:
        return grad(lambda a, b: (conv(a, b, **kw) ** 2).sum(), argnums=1)
    _close(fg.jit(fg.vmap(g(flax.conv_general_dilated, fg.grad), in_axes=(0, None)))(xs, w),
           jax.jit(jax.vmap(g(jlax.conv_general_dilated, jax.grad), in_axes=(0, None)))(xs, w))
    out = fg.vmap(lambda a, b: flax.conv_general_dilated(a, b, **kw))(xs[:0], w[None][:0])
    assert out.shape == (0, 2, 6, 4, 6)


# ---------------------------------------------------------------------------
# conv_transpose, patches, unshared convolutions


@pytest.mark.parametrize("lhs_shape, rhs_shape, strides, padding, extra", [
    ((2, 5, 3), (3, 3, 4), (2,), "SAME", {}),
    ((2, 5, 3), (3, 3, 4), (3,), "VALID", {"rhs_dilation": (2,)}),
    ((1, 4, 5, 2), (3, 2, 2, 3), (2, 1), [(1, 2), (0, 1)], {}),
    ((1, 4, 5, 2), (3, 2, 3, 2), (2, 2), "SAME", {"transpose_kernel": True}),
    ((1, 4, 5, 2), (3, 2, 2, 3), (2, 3), [(1, 0), (2, 1)],
     {"use_consistent_padding": True}),
    ((1, 2, 4, 3), (2, 3, 2, 4), (1, 2), "VALID",
     {"dimension_numbers": ("NCHW", "OIHW", "NCHW"), "transpose_kernel": True}),
])
def test_conv_transpose_matches_jax(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...],
                                    strides: tuple[int, ...], padding: Any,
                                    extra: dict[str, Any]) -> None:
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(lhs_shape), rng.standard_normal(rhs_shape)
    _close(flax.conv_transpose(x, w, strides, padding, **extra),
           jlax.conv_transpose(x, w, strides, padding, **extra))


def test_patches_and_local_match_jax() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 5, 6, 3))
    dn = ("NHWC", "OIHW", "NCWH")
    args = ((2, 3), (1, 2), "SAME")
    _close(fg.jit(lambda a: flax.conv_general_dilated_patches(a, *args, rhs_dilation=(2, 1),
                                                              dimension_numbers=dn))(x),
           jlax.conv_general_dilated_patches(x, *args, rhs_dilation=(2, 1),
                                             dimension_numbers=dn))
    dn_local = ("NHWC", "HIWO", "NCWH")
    w = rng.standard_normal((5, 3 * 2 * 3, 3, 4))      # output H, patch, output W, O
    _close(flax.conv_general_dilated_local(x, w, (1, 2), "SAME", (2, 3),
                                           dimension_numbers=dn_local),
           jlax.conv_general_dilated_local(x, w, (1, 2), "SAME", (2, 3),
                                           dimension_numbers=dn_local))


# ---------------------------------------------------------------------------
# errors


def _raises(kind: type[Exception], match: str, **kw: Any) -> None:
    params: dict[str, Any] = dict(window_strides=(1,), padding="VALID")
    params.update(kw)
    lhs = params.pop("lhs", np.ones((2, 4, 5)))
    rhs = params.pop("rhs", np.ones((6, 4, 3)))
    with pytest.raises(kind, match=match):
        flax.conv_general_dilated(lhs, rhs, **params)


def test_shape_errors() -> None:
    _raises(ShapeError, "4 features: split into feature_group_count=1 groups they must "
                        "match the rhs's 2 input features", rhs=np.ones((6, 2, 3)))
    _raises(ShapeError, "lhs's 4 features must split evenly into feature_group_count=3",
            feature_group_count=3, rhs=np.ones((6, 1, 3)))
    _raises(ShapeError, "output features must split evenly into feature_group_count=4",
            feature_group_count=4, rhs=np.ones((6, 1, 3)))
    _raises(ShapeError, "lhs batch of 2 must split evenly into batch_group_count=3",
            batch_group_count=3)
    _raises(ShapeError, "at most one of feature_group_count", feature_group_count=2,
            batch_group_count=2, rhs=np.ones((4, 2, 3)))
    _raises(ShapeError, "crops more than the 5 elements", padding=[(-3, -3)])
    _raises(ShapeError, "kernel's spatial dimensions", rhs=np.ones((6, 4, 0)))
    _raises(ShapeError, "feature_group_count must be a positive int", feature_group_count=0)
    _raises(ShapeError, "window_strides must all be positive", window_strides=(0,))


def test_argument_errors() -> None:
    _raises(ValueError, r"window_strides \(1, 1\) needs one entry per spatial dimension",
            window_strides=(1, 1))
    _raises(ValueError, "padding must be 'VALID', 'SAME' or 'SAME_LOWER'", padding="FULL")
    _raises(ValueError, "needs one \\(low, high\\) pair", padding=[(0, 0), (0, 0)])
    _raises(ValueError, "string padding", padding="SAME", lhs_dilation=(2,))
    _raises(TypeError, "one rank", rhs=np.ones((6, 4, 3, 3)))
    _raises(TypeError, "must hold 'O' and 'I' once each",
            dimension_numbers=("NCH", "OOH", "NCH"))
    _raises(TypeError, "same spatial letters", dimension_numbers=("NCH", "OIW", "NCH"))
    _raises(DTypeError, "operands must have one dtype", rhs=np.ones((6, 4, 3), np.float32))
    _raises(DTypeError, "preferred_element_type float32 does not fit operands of float64",
            preferred_element_type=np.float32)
    _raises(DTypeError, "preferred_element_type", lhs=np.ones((2, 4, 5), np.int32),
            rhs=np.ones((6, 4, 3), np.int32), preferred_element_type=np.uint32)
    _raises(ValueError, "precision must be None, a lax.Precision", precision="fast")
    _raises(UnsupportedError, "dot algorithms",
            precision=flax.DotAlgorithmPreset.F32_F32_F32)
    _raises(UnsupportedError, "out_sharding", out_sharding=object())
    with pytest.raises(ValueError, match="'SAME_LOWER' has no transposed form"):
        flax.conv_transpose(np.ones((1, 4, 2)), np.ones((2, 2, 3)), (2,), "SAME_LOWER",
                            use_consistent_padding=True)
    with pytest.raises(UnsupportedError, match="cannot be honoured"):
        flax.conv_general_dilated_local(np.ones((1, 1, 4)), np.ones((3, 2, 5)), (1,),
                                        "VALID", (2,), precision="highest")
