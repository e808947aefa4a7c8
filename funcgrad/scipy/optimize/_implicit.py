"""Implicit differentiation shared by every solver here: a solution is the root
of an optimality residual, and `lax.custom_root` differentiates that root in the
values the residual closes over (the objective's parameters, whether reached
through a closure or ``args=``), never through the solver's iterations.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import lax
from funcgrad.vmap import vmap


def _dense_tangent_solve(g: Callable[[Any], Any], y: Any) -> Any:
    """Solve ``g(v) == y`` for the linear map g on vectors by forming its matrix:
    the problems here are small and dense, and an exact solve keeps the
    implicit derivative as accurate as the solution itself."""
    if fnp.ndim(y) == 0:
        return y / g(fnp.ones_like(y))
    n = y.shape[0]
    columns = vmap(g)(fnp.eye(n, dtype=y.dtype))
    return fnp.linalg.solve(fnp.transpose(columns), y)


def implicit_solution(residual: Callable[[Any], Any], guess: Any,
                      solve: Callable[[Any], tuple[Any, Any]]) -> tuple[Any, Any]:
    """``solve(guess) -> (x, aux)`` with ``residual(x) == 0`` at the solution;
    x is differentiated by the implicit function theorem, aux has zero derivative.
    """
    return lax.custom_root(residual, guess, lambda _f, x: solve(x), _dense_tangent_solve,
                           has_aux=True)
