"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie note 025).

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across
customers. Only customers with at least one repeat transaction and a positive mean
repeat value inform the fit (the lifetimes convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln, polygamma

from .fitting import (
    Coded,
    FitError,
    FloatArray,
    dot,
    minimize_log_params,
    subsample,
    to_log_hessian,
)


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
    """Mean negative log-likelihood of the Gamma-Gamma model with its gradient and Hessian.

    Per customer, ln L = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + px ln(mx) - ln m
    - (px+q) ln(gamma + mx). The gamma-function terms are evaluated once per distinct x
    and the terms linear in p are summed once; only ln(gamma + mx) and its powers of
    1/(gamma + mx) touch every customer. Rows are not compressed: the mean spend m is
    continuous, so identical (x, m) rows are rare and finding them costs more than it saves.
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.xs, self.wx = _group_by_value(x, w)
        self.mx = m * x
        self.w = w
        self.wx_row = w * x
        self.total = float(w.sum())
        log_m = np.log(m)
        self.sum_x_log_mx = dot(self.wx_row, log_m + np.log(x))
        self.sum_log_m = dot(w, log_m)

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the mean negative log-likelihood and its gradient in log-parameters."""
        f, grad, _ = self._evaluate(theta, hessian=False)
        return f, grad

    def with_hessian(self, theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Return the mean negative log-likelihood, its gradient and Hessian (log-parameters)."""
        f, grad, hess = self._evaluate(theta, hessian=True)
        assert hess is not None
        return f, grad, hess

    def _evaluate(
        self, theta: FloatArray, *, hessian: bool
    ) -> tuple[float, FloatArray, FloatArray | None]:
        p, q, gamma = np.exp(theta)
        xs, wx, total = self.xs, self.wx, self.total
        pxq, px = p * xs + q, p * xs
        y = gamma + self.mx
        log_y = np.log(y)
        inv_y = 1.0 / y
        # Row sums shared by the value, gradient and Hessian: sum w x^k / y^j and logs.
        wx_log, w_log = dot(self.wx_row, log_y), dot(self.w, log_y)
        wx_inv, w_inv = dot(self.wx_row, inv_y), dot(self.w, inv_y)
        ll = (
            dot(wx, gammaln(pxq) - gammaln(px))
            - total * (gammaln(q) - q * np.log(gamma))
            + p * self.sum_x_log_mx
            - self.sum_log_m
            - p * wx_log
            - q * w_log
        )
        psi_pxq = digamma(pxq)
        d_p = dot(wx, xs * (psi_pxq - digamma(px))) + self.sum_x_log_mx - wx_log
        d_q = dot(wx, psi_pxq) - total * digamma(q) + total * np.log(gamma) - w_log
        d_gamma = total * q / gamma - p * wx_inv - q * w_inv
        natural = np.array([p, q, gamma])
        grad_natural = np.array([d_p, d_q, d_gamma])
        f, grad = -ll / total, -grad_natural * natural / total
        if not hessian:
            return f, grad, None
        inv_y2 = inv_y * inv_y
        wx_inv2, w_inv2 = dot(self.wx_row, inv_y2), dot(self.w, inv_y2)
        tri_pxq = polygamma(1, pxq)
        h = np.empty((3, 3))
        h[0, 0] = dot(wx, xs * xs * (tri_pxq - polygamma(1, px)))
        h[0, 1] = h[1, 0] = dot(wx, xs * tri_pxq)
        h[0, 2] = h[2, 0] = -wx_inv
        h[1, 1] = dot(wx, tri_pxq) - total * polygamma(1, q)
        h[1, 2] = h[2, 1] = total / gamma - w_inv
        h[2, 2] = -total * q / gamma**2 + p * wx_inv2 + q * w_inv2
        return f, grad, -to_log_hessian(natural, grad_natural, h) / total


def _group_by_value(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the distinct values of x and their summed weights."""
    coded = Coded.of(x)  # counts lie on a grid: coded in linear time
    summed = np.bincount(coded.codes, weights=w, minlength=len(coded.values))
    return coded.values, summed.astype(np.float64)


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
    x, m, w = x[usable], m[usable], w[usable]
    # Money is rescaled to a mean of 1 so that gamma starts near its optimum whatever the
    # currency; gamma is scaled back afterwards (p and q are unit-free).
    scale = float(np.average(m, weights=w))
    likelihood = _Likelihood(x, m / scale, w)
    rows = subsample(len(x))
    warm = None if rows is None else _Likelihood(x[rows], m[rows] / scale, w[rows])
    theta, mean_nll = minimize_log_params(likelihood, np.zeros(3), warm)
    p, q, gamma = np.exp(theta)
    # m is a density variable: rescaling it by 1/scale adds ln(scale) per customer.
    ll = -mean_nll * likelihood.total - likelihood.total * np.log(scale)
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
