"""config debug_nans / debug_infs: a NaN (an inf) made by an operation raises
FloatingPointError naming the primitive, its operand types and the user's line,
eagerly and under jit, in forward and backward passes, inside cond, scan and
while; JAX (with its own switch) is the oracle for which programs raise."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import lax

_LINES = Path(__file__).read_text().splitlines()


def line_of(marker: str) -> str:
    """``file:line`` of the one line of this file that ends with ``# <marker>``."""
    hits = [i + 1 for i, text in enumerate(_LINES) if text.endswith(f"# {marker}")]
    assert len(hits) == 1, marker
    return f"{__file__}:{hits[0]}"


@pytest.fixture
def nans() -> Iterator[None]:
    fg.config.update("debug_nans", True)
    try:
        yield
    finally:
        fg.config.update("debug_nans", False)


@pytest.fixture
def infs() -> Iterator[None]:
    fg.config.update("debug_infs", True)
    try:
        yield
    finally:
        fg.config.update("debug_infs", False)


def deep_log(x):
    return fnp.log(x) + 1.0  # LOG


def model(x):
    return fnp.sum(deep_log(x * 2.0) ** 2)


def backward_nan(x):
    y = fnp.sqrt(x)  # SQRT
    return fnp.sum(y * 0.0)


def raises_at(fn, arg, message: str, marker: str) -> str:
    with pytest.raises(FloatingPointError) as info:
        fn(arg)
    text = str(info.value)
    assert text.startswith(message), text
    assert f"at {line_of(marker)} (in " in text, text
    return text


X_BAD = np.array([1.0, -1.0, 2.0])


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_forward_nan_names_the_line(nans: None, mode: str) -> None:
    fn = model if mode == "eager" else fg.jit(model)
    text = raises_at(fn, fnp.asarray(X_BAD),
                     "invalid value (nan) encountered in log (f64[3])", "LOG")
    assert "(in deep_log)" in text
    with jax.debug_nans(True), pytest.raises(FloatingPointError):   # JAX raises too
        jax.jit(lambda x: jnp.sum((jnp.log(x * 2.0) + 1.0) ** 2))(X_BAD)


@pytest.mark.parametrize("mode", ["eager grad", "jit(grad)", "grad(jit)"])
def test_backward_nan_names_the_forward_line(nans: None, mode: str) -> None:
    fn = {"eager grad": fg.grad(backward_nan), "jit(grad)": fg.jit(fg.grad(backward_nan)),
          "grad(jit)": fg.grad(fg.jit(backward_nan))}[mode]
    x = np.array([1.0, 0.0, 4.0])     # forward is finite: 0 * (1 / (2 sqrt(0))) is not
    raises_at(fn, fnp.asarray(x), "invalid value (nan) encountered in ", "SQRT")
    with jax.debug_nans(True), pytest.raises(FloatingPointError):
        jax.jit(jax.grad(lambda x: jnp.sum(jnp.sqrt(x) * 0.0)))(x)


def branchy(x):
    return lax.cond(x[0] > 0, lambda v: fnp.log(v - 5.0), lambda v: v, x)  # COND


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_nan_inside_cond(nans: None, mode: str) -> None:
    fn = branchy if mode == "eager" else fg.jit(branchy)
    raises_at(fn, fnp.asarray([1.0, 2.0]), "invalid value (nan) encountered in log (f64[2])",
              "COND")
    np.testing.assert_array_equal(fn(fnp.asarray([-1.0, 2.0])), [-1.0, 2.0])  # other branch


def scanned(xs):
    def body(c, x):
        return c + fnp.log(x), c  # SCAN BODY
    return lax.scan(body, 0.0, xs)[0]  # SCAN


def test_nan_in_a_scan_names_the_body_line_and_the_iteration(nans: None) -> None:
    for fn in (scanned, fg.jit(scanned)):
        text = raises_at(fn, fnp.asarray([1.0, 2.0, -1.0, 3.0]),
                         "invalid value (nan) encountered in log (f64[])", "SCAN BODY")
        assert f"iteration 2 of the scan at {line_of('SCAN')}" in text, text


def growing(x):
    return lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1e80), (0, x))[1]  # W


def test_inf_made_in_a_while_loop(infs: None) -> None:
    text = raises_at(fg.jit(growing), fnp.asarray(1.0),
                     "invalid value (inf) encountered in mul (f64[], f64[])", "W")
    assert "iteration 3 of the while loop" in text


def overflow(x):
    return fnp.exp(x) * 2.0  # EXP


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_inf(infs: None, mode: str) -> None:
    fn = overflow if mode == "eager" else fg.jit(overflow)
    raises_at(fn, fnp.asarray([1.0, 1000.0]), "invalid value (inf) encountered in exp (f64[2])",
              "EXP")
    with jax.debug_infs(True), pytest.raises(FloatingPointError):
        jax.jit(lambda x: jnp.exp(x) * 2.0)(np.array([1.0, 1000.0]))
    fg.config.update("debug_nans", True)      # debug_nans alone ignores infinities
    fg.config.update("debug_infs", False)
    try:
        assert np.isinf(np.asarray(fn(fnp.asarray([1000.0])))).all()
    finally:
        fg.config.update("debug_nans", False)


def test_finite_programs_run_unchanged(nans: None, infs: None) -> None:
    x = np.array([0.5, 1.5, 2.5])
    got = fg.jit(fg.value_and_grad(model))(fnp.asarray(x))
    want = jax.jit(jax.value_and_grad(lambda x: jnp.sum((jnp.log(x * 2.0) + 1.0) ** 2)))(x)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-13)
        assert np.asarray(g).dtype == np.float64
    assert float(scanned(fnp.asarray(x))) == pytest.approx(float(np.log(x).sum()))


def test_switch_off_leaves_nans_alone() -> None:
    assert not fg.config.debug_nans and not fg.config.debug_infs
    for fn in (model, fg.jit(model)):
        assert np.isnan(float(fn(fnp.asarray(X_BAD))))
    assert np.isnan(float(jax.jit(lambda x: jnp.sum(jnp.log(x)))(X_BAD)))


def test_nan_carried_in_from_the_arguments_is_not_reported(nans: None) -> None:
    """Policy (NB: JAX's eager check would raise): only NaNs an operation makes count."""
    x = fnp.asarray([np.nan, 1.0])
    for fn in (lambda v: v * 2.0 + 1.0, fg.jit(lambda v: fnp.sin(v) * 2.0)):
        assert np.isnan(np.asarray(fn(x))[0])
    # a NaN made beside one carried in is still found
    with pytest.raises(FloatingPointError, match=re.escape("encountered in log (f64[1])")):
        fg.jit(lambda v: fnp.log(v[1:] - 2.0) + v[:1])(x)


def test_donated_arguments_cannot_be_rerun(nans: None) -> None:
    f = fg.jit(lambda x: fnp.log(x), donate_argnums=0)
    with pytest.raises(FloatingPointError, match="donated"):
        f(fnp.asarray([-1.0, 2.0]))
