"""funcgrad.scipy.stats: distributions as modules of functions (``stats.norm.logpdf``),
`gaussian_kde`, and the sample summaries `mode`, `rankdata`, `sem`, `zscore`.

The names and signatures are JAX's (``jax.scipy.stats``); values follow SciPy's
conventions: -inf log-density (0 density) outside the support, nan for invalid
parameters, integer inputs computed in the default float. Everything is built
from funcgrad primitives, so it runs under jit, vmap and grad.
"""
from __future__ import annotations

from funcgrad.scipy.stats import (
    bernoulli,
    beta,
    betabinom,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    gennorm,
    geom,
    gumbel_l,
    gumbel_r,
    laplace,
    logistic,
    multinomial,
    multivariate_normal,
    nbinom,
    norm,
    pareto,
    poisson,
    t,
    truncnorm,
    uniform,
    vonmises,
    wrapcauchy,
)
from funcgrad.scipy.stats._descriptive import ModeResult, mode, rankdata, sem, zscore
from funcgrad.scipy.stats._kde import gaussian_kde

__all__ = ["ModeResult", "bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2",
           "dirichlet", "expon", "gamma", "gaussian_kde", "gennorm", "geom", "gumbel_l",
           "gumbel_r", "laplace", "logistic", "mode", "multinomial", "multivariate_normal",
           "nbinom", "norm", "pareto", "poisson", "rankdata", "sem", "t", "truncnorm", "uniform",
           "vonmises", "wrapcauchy", "zscore"]
