"""funcgrad.testing: property-based checks for your own functions and rules.

Checks (each returns quietly or raises AssertionError showing the inputs, the
two values compared and the tolerance):

- `check_grads(f, args, order=2, modes=("fwd", "rev"))`: forward and reverse
  mode against float64 central finite differences, and against each other
  (the dot-product test), up to `order`.
- `check_jit(f, args)`: `jit(f)` equals `f` run eagerly (structure, dtypes,
  shapes, values).
- `check_vmap(f, args, in_axes=0, out_axes=0)`: `vmap(f)` equals a Python loop
  over the batch.
- `check_custom_rules(f, args)`: a custom_jvp/custom_vjp rule agrees with
  finite differences of the function and with the other mode.
- `transform_properties(f, strategy)`: a Hypothesis test running all of them.

Hypothesis strategies (arrays, shapes, pytrees, dtypes, SPD matrices, random
keys) live in `funcgrad.testing.strategies`; `funcgrad.testing.pytest_plugin`
gives a test suite the project's Hypothesis profiles and IR checks.

Example::

    import numpy as np
    import funcgrad.numpy as fnp
    from hypothesis import given
    from funcgrad.testing import check_grads, check_vmap, strategies as fst

    @given(fst.arrays("float64", (3,), domain=(-2, 2)))
    def test_softplus(x):
        f = lambda x: fnp.logaddexp(x, 0.0)
        check_grads(f, (x,), order=2)
        check_vmap(f, (np.stack([x, 2 * x]),))
"""
from __future__ import annotations

from funcgrad.testing import strategies
from funcgrad.testing._checks import check_grads, check_jvp, check_vjp
from funcgrad.testing._custom import check_custom_rules
from funcgrad.testing._properties import transform_properties
from funcgrad.testing._transforms import check_jit, check_vmap

__all__ = ["check_custom_rules", "check_grads", "check_jit", "check_jvp", "check_vjp",
           "check_vmap", "strategies", "transform_properties"]
