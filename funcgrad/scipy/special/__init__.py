"""funcgrad.scipy.special: SciPy's special functions over funcgrad arrays.

Every function is a composition of primitives, so it runs eagerly and under
jit, grad and vmap; results have SciPy's dtypes (integers and bools compute in
the default float, float32 stays float32). The parts live in private modules
by family: `_basic` (error functions, log-gamma, logistic, log-sum-exp),
`_gamma`, `_bessel`, `_integrals` (exponential integrals, Dawson, erfcx,
Owen's T, Spence) and `_elementary` (Box-Cox, KL divergence). JAX's
hyp1f1, hyp2f1, fresnel, sici, wofz and sph_harm_y are not here yet.
"""
from __future__ import annotations

from funcgrad.scipy.special._basic import (
    betaln, digamma, entr, erf, erfc, erfcinv, erfinv, expit,
    gammaln, log_expit, log_ndtr, log_softmax, logit, logsumexp, ndtr, ndtri, psi, rel_entr,
    softmax, xlog1py, xlogy,
)
from funcgrad.scipy.special._bessel import bessel_jn, i0, i0e, i1, i1e
from funcgrad.scipy.special._elementary import boxcox, boxcox1p, kl_div
from funcgrad.scipy.special._integrals import (
    dawsn, erfcx, exp1, expi, expn, owens_t, spence,
)
from funcgrad.scipy.special._gamma import (
    bernoulli, beta, betainc, comb, factorial, gamma, gammainc, gammaincc, gammasgn, loggamma,
    multigammaln, poch, polygamma, zeta,
)

__all__ = ["bernoulli", "bessel_jn", "beta", "betainc", "betaln", "boxcox", "boxcox1p", "comb",
           "dawsn", "digamma", "entr", "erf", "erfc", "erfcinv", "erfcx", "erfinv", "exp1",
           "expi", "expit", "expn", "factorial",
           "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e", "i1", "i1e",
           "kl_div", "log_expit", "log_ndtr", "log_softmax", "loggamma", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "owens_t", "poch", "polygamma", "psi", "rel_entr",
           "softmax", "spence", "xlog1py", "xlogy", "zeta"]
