"""funcgrad.scipy.optimize: SciPy's (and JAX's) optimizers and root finders.

- `minimize`: "BFGS" (JAX's semantics and `OptimizeResults`), "L-BFGS-B"
  (projected L-BFGS with bounds) and "Nelder-Mead";
- `root` ("hybr": a dogleg trust region; "newton": Newton with a line search)
  and `least_squares` (Levenberg–Marquardt for "trf" and "lm");
- `root_scalar` ("brentq", "bisect", "newton") and `minimize_scalar`
  ("brent", "bounded", "golden");
- `line_search` (strong Wolfe, JAX's).

Every solver is one compiled `while_loop` under jit, batches under vmap, and
is differentiated implicitly at its solution (the implicit function theorem on
its optimality condition), never through its iterations.
"""
from __future__ import annotations

from funcgrad.scipy.optimize._least_squares import LeastSquaresResult, least_squares
from funcgrad.scipy.optimize._line_search import LineSearchResults, line_search
from funcgrad.scipy.optimize._minimize import OptimizeResults, minimize
from funcgrad.scipy.optimize._minimize_scalar import OptimizeScalarResult, minimize_scalar
from funcgrad.scipy.optimize._root import RootResult, root
from funcgrad.scipy.optimize._root_scalar import RootResults, root_scalar

__all__ = ["LeastSquaresResult", "LineSearchResults", "OptimizeResults", "OptimizeScalarResult",
           "RootResult", "RootResults", "least_squares", "line_search", "minimize",
           "minimize_scalar", "root", "root_scalar"]
