"""Every primitive, driven by the spec table: eager vs NumPy (values, dtype,
shape) and jit vs eager (`funcgrad.testing.check_jit`: the same structure,
dtype and shape, values up to tolerance)."""
from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcgrad as fg
import funcgrad.numpy as fnp
from funcgrad import primitives as P
from funcgrad.testing import check_jit
from primitive_specs import SPECS, UNTESTED, PrimSpec, draw_args, spec_ids


def assert_matches(got: Any, want: np.ndarray, tol: float, what: str) -> None:
    """`got` (an Array) equals `want` in shape and dtype exactly, values within tol."""
    assert isinstance(got, fg.Array), f"{what}: got {type(got).__name__}, not an Array"
    want = np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy gives {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy gives {want.shape}"
    g = np.asarray(got)
    assert g.dtype == want.dtype and g.shape == want.shape
    if want.dtype.kind in "fcV" or want.dtype == ml_dtypes.bfloat16:
        wide = np.complex128 if want.dtype.kind == "c" else np.float64
        np.testing.assert_allclose(g.astype(wide), want.astype(wide), rtol=tol, atol=tol,
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, want, err_msg=what)


def test_every_primitive_has_a_spec() -> None:
    covered = {s.prim.name for s in SPECS} | set(UNTESTED)
    missing = [p.name for p in P.all_primitives() if p.name not in covered]
    assert not missing, (f"primitives without a row in tests/primitive_specs.py (add rows, or "
                         f"an entry with the reason to its UNTESTED): {missing}")


def test_untested_entries_are_primitives_without_rows() -> None:
    names = {p.name for p in P.all_primitives()}
    rows = {s.prim.name for s in SPECS}
    stale = sorted(n for n in UNTESTED if n not in names or n in rows)
    assert not stale, f"UNTESTED entries for unknown primitives or ones with rows: {stale}"
    assert all(isinstance(r, str) and r for r in UNTESTED.values())


def test_spec_names_unique() -> None:
    assert len(set(spec_ids(SPECS))) == len(SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
@given(data=st.data())
def test_eager_and_jit_match_numpy(spec: PrimSpec, data: st.DataObject) -> None:
    args = draw_args(spec, data)
    want = spec.ref(*args)
    xs = [fnp.asarray(a) for a in args]
    for x, a in zip(xs, args, strict=True):
        assert x.dtype == a.dtype and x.shape == a.shape
    eager = spec.fun(*xs)
    what = f"eager {spec.name}{[a.shape for a in args]}"
    if isinstance(want, tuple):     # a multiple-result primitive: a list of outputs
        assert isinstance(eager, list) and len(eager) == len(want), f"{what}: got {eager}"
        for i, (e, w) in enumerate(zip(eager, want, strict=True)):
            assert_matches(e, w, spec.tolerance(np.asarray(w).dtype), f"{what} output {i}")
        tol: Any = {np.asarray(w).dtype: spec.tolerance(np.asarray(w).dtype) for w in want}
    else:
        tol = spec.tolerance(np.asarray(want).dtype)
        assert_matches(eager, want, tol, what)
    # jit vs eager: structure, dtypes, shapes, values (the check users get)
    check_jit(spec.fun, xs, atol=tol, rtol=tol)
