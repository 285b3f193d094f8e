"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie note 025).

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across
customers. Only customers with at least one repeat transaction and a positive mean
repeat value inform the fit (the lifetimes convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from .fitting import FitError, FloatArray, compress_rows, minimize_log_params, subsample


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and the maximised log-likelihood."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    # Mean spend of the customers used in the fit: the fallback expectation when q <= 1
    # makes the model's population mean infinite.
    observed_mean: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Return the parameters as a plain dictionary."""
        return {
            "p": self.p,
            "q": self.q,
            "gamma": self.gamma,
            "log_likelihood": self.log_likelihood,
        }

    @property
    def population_mean(self) -> float:
        """Return E[value] for a customer without history (gamma p / (q - 1) when q > 1)."""
        if self.q > 1.0:
            return self.gamma * self.p / (self.q - 1.0)
        return self.observed_mean


class _Likelihood:
    """Mean negative log-likelihood of the Gamma-Gamma model with its analytic gradient."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.xs, inverse = np.unique(x, return_inverse=True)
        self.wx = np.bincount(inverse, weights=w)
        self.x, self.m, self.w = x, m, w
        self.mx = m * x
        self.total = float(w.sum())
        log_m, log_x = np.log(m), np.log(x)
        # Terms linear in p and constant terms are summed once, not per iteration.
        self.sum_x_log_mx = float(w @ (x * (log_m + log_x)))
        self.sum_log_m = float(w @ log_m)
        self.sum_wx = float(w @ x)

    def log_likelihood(self, p: float, q: float, gamma: float) -> float:
        """Return the summed log-likelihood at natural parameters."""
        return -self(np.log([p, q, gamma]))[0] * self.total

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the mean negative log-likelihood and its gradient in log-parameters."""
        p, q, gamma = np.exp(theta)
        xs, wx = self.xs, self.wx
        pxq = p * xs + q
        log_gmx = np.log(gamma + self.mx)
        ll = (
            wx @ (gammaln(pxq) - gammaln(p * xs))
            - self.total * (gammaln(q) - q * np.log(gamma))
            + p * self.sum_x_log_mx
            - self.sum_log_m
            - p * ((self.w * self.x) @ log_gmx)
            - q * (self.w @ log_gmx)
        )
        psi_pxq = digamma(pxq)
        d_p = wx @ (xs * (psi_pxq - digamma(p * xs))) + self.sum_x_log_mx
        d_p -= (self.w * self.x) @ log_gmx
        d_q = wx @ psi_pxq - self.total * digamma(q) + self.total * np.log(gamma)
        d_q -= self.w @ log_gmx
        d_gamma = self.total * q / gamma - (self.w * (p * self.x + q)) @ (1.0 / (gamma + self.mx))
        grad = np.array([d_p * p, d_q * q, d_gamma * gamma])
        return -ll / self.total, -grad / self.total


def fit_gamma_gamma(
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> GammaGammaParams:
    """Fit the Gamma-Gamma model on customers with repeat purchases and positive mean value."""
    x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    m = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(x) != len(m):
        raise FitError("frequency and monetary_value must have the same length")
    usable = (x > 0) & (m > 0) & np.isfinite(m) & np.isfinite(x)
    if np.count_nonzero(usable) < 2:
        raise FitError(
            "The spend model needs at least two customers with repeat purchases of positive value"
        )
    (x, m), w = compress_rows(x[usable], m[usable], weights=w[usable])
    # Money is rescaled to a mean of 1 so that gamma starts near its optimum whatever the
    # currency; gamma is scaled back afterwards (p and q are unit-free).
    scale = float(np.average(m, weights=w))
    rows = subsample(len(x))
    warm = None if rows is None else _Likelihood(x[rows], m[rows] / scale, w[rows])
    theta = minimize_log_params(_Likelihood(x, m / scale, w), np.zeros(3), warm)
    p, q, gamma = np.exp(theta)
    ll = _Likelihood(x, m, w).log_likelihood(p, q, gamma * scale)
    if not np.isfinite(ll):
        raise FitError("The Gamma-Gamma likelihood is not finite at the optimum")
    return GammaGammaParams(float(p), float(q), float(gamma * scale), float(ll), scale)


def conditional_expected_average_value(
    params: GammaGammaParams, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """Return E[average transaction value | x, mean repeat value] for every customer."""
    x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    m = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
    p, q, gamma = params.p, params.q, params.gamma
    denominator = p * x + q - 1.0
    # A weighted mean of the population mean and the customer's own mean; with q <= 1
    # the population mean is infinite, so the observed mean of fitted customers stands in.
    valid = (x > 0) & (m > 0) & (denominator > 0)
    own = np.where(valid, p * (gamma + np.where(valid, m, 0.0) * x), 0.0) / np.where(
        valid, denominator, 1.0
    )
    return np.where(valid, own, params.population_mean)
