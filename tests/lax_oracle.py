"""Comparing funcgrad.lax against jax.lax (x64) in the lax tests: the same values,
shapes and dtypes, eagerly, under jit, grad and vmap."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import funcgrad as fg
import funcgrad.numpy as fnp


def same(got: Any, want: Any, tol: float = 1e-12) -> None:
    got_l, want_l = jax.tree.leaves(got), jax.tree.leaves(want)
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def check(f: Callable[..., Any], jf: Callable[..., Any], *args: Any, grad: bool = True,
          vmap: bool = True) -> None:
    """f against jf eagerly, under jit, grad (of the sum of squares of the first
    float output) and vmap over the first argument."""
    want = jf(*args)
    same(f(*args), want)
    same(fg.jit(f)(*args), want)
    if grad:
        def loss(fn: Callable[..., Any], sum_: Callable[..., Any]) -> Callable[..., Any]:
            return lambda x, *rest: sum_(jax.tree.leaves(fn(x, *rest))[0] ** 2)
        same(fg.grad(loss(f, fnp.sum))(*args), jax.grad(loss(jf, jnp.sum))(*args), 1e-10)
    if vmap:
        batch = np.stack([args[0], args[0] * 2 + 1])
        same(fg.vmap(lambda x: f(x, *args[1:]))(batch),
             jax.vmap(lambda x: jf(x, *args[1:]))(batch))
