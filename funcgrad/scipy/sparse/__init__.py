"""funcgrad.scipy.sparse: ``linalg``, the Krylov solvers `cg`, `gmres` and `bicgstab`
(JAX's ``jax.scipy.sparse.linalg``), differentiable through implicit solves."""
from __future__ import annotations

from funcgrad.scipy.sparse import linalg

__all__ = ["linalg"]
