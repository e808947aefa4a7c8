"""`gaussian_kde`: kernel density estimation with Gaussian kernels, as a pytree.

The estimator holds arrays only (the data, weights, effective sample size and
the kernel covariance with its inverse), so it can be passed through `jit`,
`vmap` and `grad` like any pytree and differentiated with respect to its data.
Densities are evaluated by whitening points and data with the Cholesky factor
of the kernel covariance and summing exp(-|difference|**2 / 2) over the data
(in log space, with `logsumexp`, for `logpdf`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import funcgrad.numpy as fnp
from funcgrad import dtypes, random, tree
from funcgrad.errors import UnsupportedError
from funcgrad.lax import linalg as lax_linalg
from funcgrad.numpy._eager import eager_jit
from funcgrad.scipy.special import logsumexp, ndtr
from funcgrad.scipy.stats import multivariate_normal
from funcgrad.scipy.stats._common import dtype_of, promote

_LOG_2PI = math.log(2 * math.pi)
_FIELDS = ("neff", "dataset", "weights", "covariance", "inv_cov")


def _no_complex(fname: str, x: Any) -> None:
    if dtypes.is_complex(dtype_of(x)):
        raise UnsupportedError(f"funcgrad.scipy.stats.gaussian_kde.{fname}: complex data is not "
                               "supported; pass real arrays")


@eager_jit(static_argnames=("in_log",))
def _kernel_sum(in_log: bool, data: Any, weights: Any, points: Any, cov: Any) -> Any:
    """sum_j w_j N(points_i; data_j, cov) for each point (its log when `in_log`)."""
    chol = lax_linalg.cholesky(cov)
    d = cov.shape[0]
    log_norm = fnp.negative(fnp.add(fnp.sum(fnp.log(fnp.diagonal(chol))), 0.5 * d * _LOG_2PI))

    def whiten(v: Any) -> Any:          # v (d, k) -> (k, d) with rows L^-1 v_i
        return lax_linalg.triangular_solve(chol, fnp.transpose(v), left_side=False, lower=True,
                                           transpose_a=True)

    diff = fnp.subtract(whiten(points)[:, None, :], whiten(data)[None, :, :])
    log_k = fnp.add(fnp.multiply(fnp.sum(fnp.multiply(diff, diff), axis=-1), -0.5), log_norm)
    if in_log:
        return logsumexp(fnp.add(log_k, fnp.log(weights)), axis=1)
    return fnp.sum(fnp.multiply(fnp.exp(log_k), weights), axis=1)


@eager_jit()
def _data_covariance(data: Any, weights: Any) -> tuple[Any, Any, Any]:
    """(weights normalized, the effective sample size, the weighted data covariance)."""
    w = fnp.divide(weights, fnp.sum(weights))
    neff = fnp.divide(1.0, fnp.sum(fnp.multiply(w, w)))
    return w, neff, fnp.atleast_2d(fnp.cov(data, rowvar=True, bias=False, aweights=w))


@eager_jit()
def _kernel_covariance(data_cov: Any, factor: Any) -> tuple[Any, Any]:
    """The kernel covariance (the data's times factor**2) and its inverse."""
    f2 = fnp.square(factor)
    return fnp.multiply(data_cov, f2), fnp.divide(fnp.linalg.inv(data_cov), f2)


def _rule_factor(rule: str, neff: Any, d: int) -> Any:
    """Scott's factor neff**(-1/(d+4)), or Silverman's (neff (d+2)/4)**(-1/(d+4))."""
    base = neff if rule == "scott" else fnp.multiply(neff, (d + 2) / 4.0)
    return fnp.power(base, -1.0 / (d + 4))


@eager_jit(static_argnames=("rule",))
def _fit(data: Any, weights: Any, rule: str) -> tuple[Any, Any, Any, Any]:
    """(weights, neff, covariance, inverse covariance) for a named bandwidth rule, in one
    compiled call."""
    w, neff, data_cov = _data_covariance(data, weights)
    return (w, neff, *_kernel_covariance(data_cov, _rule_factor(rule, neff, data.shape[0])))


@eager_jit()
def _integrate_gaussian(data: Any, weights: Any, cov: Any, mean: Any, other_cov: Any) -> Any:
    dens = multivariate_normal.pdf(fnp.transpose(data), mean, fnp.add(cov, other_cov))
    return fnp.sum(fnp.multiply(dens, weights))


@eager_jit()
def _integrate_kde(data: Any, weights: Any, cov: Any, other_data: Any, other_weights: Any,
                   other_cov: Any) -> Any:
    diff = fnp.subtract(fnp.transpose(data)[:, None, :], fnp.transpose(other_data)[None, :, :])
    dens = multivariate_normal.pdf(diff, fnp.zeros(diff.shape[-1:], diff.dtype),
                                   fnp.add(cov, other_cov))
    return fnp.sum(fnp.multiply(fnp.multiply(dens, weights[:, None]), other_weights[None, :]))


@eager_jit()
def _integrate_box_1d(data: Any, weights: Any, cov: Any, low: Any, high: Any) -> Any:
    sigma = fnp.sqrt(cov[0, 0])
    mass = fnp.subtract(ndtr(fnp.divide(fnp.subtract(high, data[0]), sigma)),
                        ndtr(fnp.divide(fnp.subtract(low, data[0]), sigma)))
    return fnp.sum(fnp.multiply(weights, mass))


@eager_jit(static_argnames=("shape",))
def _resample(key: Any, data: Any, weights: Any, cov: Any, shape: tuple[int, ...]) -> Any:
    ind_key, eps_key = random.split(key)
    ind = random.choice(ind_key, data.shape[1], shape=shape, p=weights)
    eps = random.multivariate_normal(eps_key, fnp.zeros(data.shape[:1], cov.dtype), cov,
                                     shape=shape)
    return fnp.add(data[:, ind], fnp.moveaxis(eps, -1, 0))


class gaussian_kde:  # noqa: N801 (SciPy's and JAX's name)
    """A Gaussian kernel density estimate of `dataset`, like ``scipy.stats.gaussian_kde``.

    Args:
        dataset: (n,) or (d, n) real data points.
        bw_method: "scott" (default), "silverman", a scalar factor, or a callable
            taking the estimator and returning the factor.
        weights: optional (n,) non-negative weights (normalized here).

    Raises:
        ValueError: fewer than two values, bad weights, or an unknown `bw_method`.

    >>> kde = gaussian_kde(fnp.array([0.0, 1.0, 3.0]))
    >>> kde([0.5, 2.0])            # the density at two points
    """

    neff: Any
    dataset: Any
    weights: Any
    covariance: Any
    inv_cov: Any

    def __init__(self, dataset: Any, bw_method: str | float | Callable[[Any], Any] | None = None,
                 weights: Any = None) -> None:
        _no_complex("__init__", dataset)
        data = fnp.atleast_2d(fnp.asarray(dataset))
        if data.size <= 1:
            raise ValueError("funcgrad.scipy.stats.gaussian_kde: `dataset` must have more than "
                             f"one element, got shape {fnp.shape(dataset)}")
        d, n = data.shape
        if weights is None:
            (data,) = (fnp.asarray(v) for v in promote("gaussian_kde", data))
            w = fnp.ones((n,), dtype=data.dtype)
        else:
            data, w = (fnp.asarray(v) for v in promote("gaussian_kde", data, weights))
            w = fnp.atleast_1d(w)
            if w.ndim != 1 or w.shape[0] != n:
                raise ValueError("funcgrad.scipy.stats.gaussian_kde: `weights` must be "
                                 f"one-dimensional with one weight per point ({n}), got shape "
                                 f"{w.shape}")
        self.dataset = data
        rule = "scott" if bw_method is None else bw_method
        if isinstance(rule, str) and rule in ("scott", "silverman"):
            self.weights, self.neff, self.covariance, self.inv_cov = _fit(data, w, rule)
            return
        if isinstance(rule, str) or not (callable(rule) or fnp.ndim(rule) == 0):
            raise ValueError("funcgrad.scipy.stats.gaussian_kde: `bw_method` must be 'scott', "
                             f"'silverman', a scalar or a callable, got {bw_method!r}")
        self.weights, self.neff, data_cov = _data_covariance(data, w)
        factor = rule(self) if callable(rule) else rule    # a callable sees weights and neff
        self.covariance, self.inv_cov = _kernel_covariance(data_cov, factor)

    @property
    def d(self) -> int:
        """The number of dimensions."""
        return int(self.dataset.shape[0])

    @property
    def n(self) -> int:
        """The number of data points."""
        return int(self.dataset.shape[1])

    def _points(self, fname: str, points: Any) -> Any:
        _no_complex(fname, points)
        pts = fnp.atleast_2d(fnp.asarray(points))
        if pts.ndim != 2:
            raise ValueError(f"funcgrad.scipy.stats.gaussian_kde.{fname}: points must be (m,) or "
                             f"(d, m), got shape {pts.shape}")
        d, m = pts.shape
        if d != self.d:
            if d == 1 and m == self.d:
                return fnp.reshape(pts, (self.d, 1))
            raise ValueError(f"funcgrad.scipy.stats.gaussian_kde.{fname}: points have dimension "
                             f"{d}, the dataset has dimension {self.d}")
        return pts

    def evaluate(self, points: Any) -> Any:
        """The estimated density at `points` ((m,) or (d, m)), shape (m,)."""
        pts = self._points("evaluate", points)
        return _kernel_sum(False, self.dataset, self.weights, pts, self.covariance)

    __call__ = evaluate
    pdf = evaluate

    def logpdf(self, points: Any) -> Any:
        """The log of the estimated density, computed in log space (no underflow)."""
        pts = self._points("logpdf", points)
        return _kernel_sum(True, self.dataset, self.weights, pts, self.covariance)

    def integrate_gaussian(self, mean: Any, cov: Any) -> Any:
        """The integral of the estimate times the density of N(mean, cov)."""
        mean = fnp.atleast_1d(fnp.squeeze(fnp.asarray(mean)))
        cov = fnp.atleast_2d(fnp.asarray(cov))
        if mean.shape != (self.d,) or cov.shape != (self.d, self.d):
            raise ValueError("funcgrad.scipy.stats.gaussian_kde.integrate_gaussian: `mean` must "
                             f"be ({self.d},) and `cov` ({self.d}, {self.d}), got {mean.shape} "
                             f"and {cov.shape}")
        return _integrate_gaussian(self.dataset, self.weights, self.covariance, mean, cov)

    def integrate_box_1d(self, low: Any, high: Any) -> Any:
        """The estimate's mass between the scalars `low` and `high` (one-dimensional data)."""
        if self.d != 1:
            raise ValueError("funcgrad.scipy.stats.gaussian_kde.integrate_box_1d: only for "
                             f"one-dimensional data, this estimate has d={self.d}")
        if fnp.ndim(low) != 0 or fnp.ndim(high) != 0:
            raise ValueError("funcgrad.scipy.stats.gaussian_kde.integrate_box_1d: `low` and "
                             "`high` must be scalars")
        return _integrate_box_1d(self.dataset, self.weights, self.covariance, low, high)

    def integrate_kde(self, other: gaussian_kde) -> Any:
        """The integral of the product of this estimate and `other`."""
        if other.d != self.d:
            raise ValueError("funcgrad.scipy.stats.gaussian_kde.integrate_kde: the estimates "
                             f"have dimensions {self.d} and {other.d}")
        return _integrate_kde(self.dataset, self.weights, self.covariance, other.dataset,
                              other.weights, other.covariance)

    def resample(self, key: Any, shape: tuple[int, ...] = ()) -> Any:
        """Draws from the estimate, shape (d, *shape): a data point chosen by weight plus
        kernel noise."""
        return _resample(key, self.dataset, self.weights, self.covariance, tuple(shape))


def _flatten(kde: gaussian_kde) -> tuple[list[Any], None]:
    return [getattr(kde, f) for f in _FIELDS], None


def _unflatten(aux: None, children: Any) -> gaussian_kde:
    kde = gaussian_kde.__new__(gaussian_kde)
    for f, v in zip(_FIELDS, children, strict=True):
        setattr(kde, f, v)
    return kde


tree.register_pytree_node(gaussian_kde, _flatten, _unflatten)
