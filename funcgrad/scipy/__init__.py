"""funcgrad.scipy: the parts of SciPy that scientific code reaches for, over funcgrad arrays.

``funcgrad.scipy.special`` (logsumexp, erf, gammaln, digamma, expit, ...) and
``funcgrad.scipy.stats.norm``; everything is differentiable and batchable.
"""
from __future__ import annotations

from funcgrad.scipy import special, stats

__all__ = ["special", "stats"]
