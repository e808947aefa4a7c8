"""funcgrad.testing: checks for derivatives and Hypothesis strategies for tests.

`check_grads(f, args, order=2, modes=("fwd", "rev"))` compares forward and
reverse mode with float64 finite differences and with each other (the
dot-product test). Strategies live in `funcgrad.testing.strategies`.
"""
from __future__ import annotations

from funcgrad.testing._checks import check_grads, check_jvp, check_vjp

__all__ = ["check_grads", "check_jvp", "check_vjp"]
