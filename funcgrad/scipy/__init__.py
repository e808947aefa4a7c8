"""funcgrad.scipy: the parts of SciPy that scientific code reaches for, over funcgrad arrays.

``funcgrad.scipy.special`` (logsumexp, erf, gammaln, digamma, expit, ...),
``funcgrad.scipy.stats.norm``, ``funcgrad.scipy.linalg`` (solve, lu, qr, svd,
eigh, expm, ...) and ``funcgrad.scipy.sparse.linalg`` (cg, gmres, bicgstab,
differentiated implicitly); everything is differentiable and batchable.
"""
from __future__ import annotations

from funcgrad.scipy import linalg, sparse, special, stats

__all__ = ["linalg", "sparse", "special", "stats"]

from funcgrad.scipy import integrate  # noqa: E402
__all__ += ["integrate"]

from funcgrad.scipy import fft, interpolate, ndimage, signal  # noqa: E402
__all__ += ["fft", "interpolate", "ndimage", "signal"]

from funcgrad.scipy import optimize  # noqa: E402
__all__ += ["optimize"]
