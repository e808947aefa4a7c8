"""funcgrad.scipy.integrate: ODE solvers and quadrature with SciPy's (and JAX's) names.

- `odeint` (JAX's ``jax.experimental.ode.odeint``, also ``fg.odeint``):
  Dormand–Prince, differentiated by the sensitivity and adjoint equations;
- `solve_ivp` (SciPy's): "RK45" and the stiff "Rosenbrock23", one bounded
  loop, differentiated through its steps;
- `trapezoid`, `simpson`, `cumulative_trapezoid` over samples, and `quad`
  (one 21-point Gauss–Kronrod rule, infinite limits mapped to finite ones).

All of them are jittable, batchable with vmap and differentiable.
"""
from __future__ import annotations

from funcgrad.scipy.integrate._ivp import OdeResult, OdeSolution, solve_ivp
from funcgrad.scipy.integrate._odeint import odeint
from funcgrad.scipy.integrate._quadrature import cumulative_trapezoid, quad, simpson, trapezoid

__all__ = ["OdeResult", "OdeSolution", "cumulative_trapezoid", "odeint", "quad", "simpson",
           "solve_ivp", "trapezoid"]
