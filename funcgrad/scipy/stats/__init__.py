"""funcgrad.scipy.stats: distributions as modules of functions (``stats.norm.logpdf``)."""
from __future__ import annotations

from funcgrad.scipy.stats import norm

__all__ = ["norm"]
