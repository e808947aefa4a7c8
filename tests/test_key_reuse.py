"""config check_key_reuse: consuming a random key twice (two samplers, or split
then a sampler) raises KeyReuseError naming both lines; eagerly by default,
under jit at trace time when set True. Split and fold_in results are fresh, and
fold_in consumes nothing, as in JAX's key-reuse checker (the oracle here)."""
from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

import funcgrad as fg
import funcgrad.errors
import funcgrad.random as fr

_LINES = Path(__file__).read_text().splitlines()


def line_of(marker: str) -> str:
    hits = [i + 1 for i, text in enumerate(_LINES) if text.endswith(f"# {marker}")]
    assert len(hits) == 1, marker
    return f"{__file__}:{hits[0]}"


def test_the_error_class() -> None:
    assert fr.KeyReuseError is funcgrad.errors.KeyReuseError
    assert issubclass(fr.KeyReuseError, TypeError)      # as JAX's
    assert issubclass(jax.errors.KeyReuseError, TypeError)
    assert fg.config.check_key_reuse is None            # the default: eager code only


def test_two_samplers_on_one_key_name_both_lines() -> None:
    k = fr.key(0)
    x = fr.normal(k, (3,))  # FIRST
    with pytest.raises(fr.KeyReuseError) as info:
        fr.uniform(k, (3,))  # SECOND
    text = str(info.value)
    assert text.startswith("funcgrad.random.uniform: this key was already consumed by normal")
    assert f"{line_of('FIRST')} (in test_two_samplers_on_one_key_name_both_lines)" in text
    assert f"using it again at {line_of('SECOND')}" in text
    assert x.shape == (3,)


def test_split_consumes_its_key() -> None:
    k = fr.key(1)
    k1, k2 = fr.split(k)  # SPLIT
    with pytest.raises(fr.KeyReuseError, match="consumed by split at " + line_of("SPLIT")):
        fr.bernoulli(k, 0.5, (2,))
    with pytest.raises(fr.KeyReuseError):
        fr.split(k)
    # the split keys are fresh, each usable once
    fr.normal(k1)
    fr.permutation(k2, 4)
    with pytest.raises(fr.KeyReuseError, match="consumed by permutation"):
        fr.randint(k2, (2,), 0, 3)


def test_fold_in_neither_consumes_nor_is_checked() -> None:
    k = fr.key(2)
    a, b = fr.fold_in(k, 1), fr.fold_in(k, 2)
    fr.normal(k)                # fold_in did not consume k
    fr.fold_in(k, 3)            # nor does a consumed key stop fold_in
    fr.normal(a)
    fr.normal(b)
    assert not np.array_equal(np.asarray(a), np.asarray(b))


def test_identity_rules() -> None:
    k = fr.key(3)
    fr.gumbel(k)
    with pytest.raises(fr.KeyReuseError):
        fr.gumbel(fr.key_data(k))          # key_data returns the same key
    fresh = fg.device_put(np.asarray(k))   # the same data in a new Array: a new key
    fr.gumbel(fresh)
    keys = fr.split(fr.key(4), 2)
    fr.normal(keys[0])
    fr.normal(keys[0])     # each indexing makes a new Array: not tracked (documented)


def test_a_rejected_call_leaves_the_key_fresh() -> None:
    k = fr.key(5)
    with pytest.raises(TypeError, match="dtype"):
        fr.uniform(k, (2,), dtype=np.int32)
    assert fr.uniform(k, (2,)).shape == (2,)


def test_samplers_built_on_others_consume_once() -> None:
    fr.rademacher(fr.key(6), (3,))       # built on bernoulli
    fr.choice(fr.key(7), 5, (2,))        # built on randint
    fr.choice(fr.key(8), 5, (2,), replace=False)


def test_off_under_jit_by_default() -> None:
    f = fg.jit(lambda k: fr.normal(k) + fr.uniform(k))
    assert np.isfinite(float(f(fr.key(9))))


@pytest.fixture
def checked() -> object:
    fg.config.update("check_key_reuse", True)
    try:
        yield
    finally:
        fg.config.update("check_key_reuse", None)


def test_traced_reuse_raises_at_trace_time(checked: None) -> None:
    def twice(k):
        a = fr.normal(k, (2,))  # JIT FIRST
        return a + fr.uniform(k, (2,))  # JIT SECOND

    with pytest.raises(fr.KeyReuseError) as info:
        fg.jit(twice).trace(fr.key(0))          # at trace time: nothing runs
    assert line_of("JIT FIRST") in str(info.value)
    assert line_of("JIT SECOND") in str(info.value)
    with pytest.raises(fr.KeyReuseError):
        fg.vmap(twice)(fr.split(fr.key(1), 3))

    def fine(k):
        k1, k2 = fr.split(k)
        return fr.normal(k1, (2,)) + fr.normal(k2, (2,)) + fr.normal(fr.fold_in(k, 1), (2,))

    out = fg.jit(fine)(fr.key(2))
    assert out.shape == (2,)
    # JAX's checker agrees on both (typed keys)
    with jax.debug_key_reuse(True):
        with pytest.raises(jax.errors.KeyReuseError):
            jax.jit(lambda k: jax.random.normal(k, (2,)) + jax.random.uniform(k, (2,)))(
                jax.random.key(0))
        k = jax.random.key(2)
        k1, k2 = jax.random.split(k)
        jax.random.normal(k1), jax.random.normal(k2), jax.random.normal(jax.random.fold_in(k, 1))


def test_off_entirely() -> None:
    fg.config.update("check_key_reuse", False)
    try:
        k = fr.key(10)
        np.testing.assert_array_equal(fr.normal(k, (2,)), fr.normal(k, (2,)))
    finally:
        fg.config.update("check_key_reuse", None)
