"""BG/NBD model (Fader, Hardie & Lee 2005): maximum-likelihood fit and per-customer predictions.

Inputs per customer are the lifetimes-style summary: ``x`` repeat transactions, recency
``t_x`` and age ``T`` in any fixed time unit (``alpha`` is expressed in that unit).
Everything is computed in log space; terms that depend only on ``x`` are evaluated once
per distinct ``x``, and identical (x, t_x, T) rows are compressed into weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, hyp2f1

from .fitting import (
    FitError,
    FloatArray,
    compress_rows,
    minimize_log_params,
    subsample,
    unique_rows,
)


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters and the maximised log-likelihood (summed over customers)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        """Return the parameters as a plain dictionary."""
        return {
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "log_likelihood": self.log_likelihood,
        }


def _as_float(values: npt.ArrayLike) -> FloatArray:
    """Return values as a 1-D float64 array."""
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


def validate_summary(frequency: FloatArray, recency: FloatArray, T: FloatArray) -> None:
    """Raise FitError unless 0 <= recency <= T, frequency >= 0 and integral, all finite."""
    if not (len(frequency) == len(recency) == len(T)):
        raise FitError("frequency, recency and T must have the same length")
    if len(frequency) == 0:
        raise FitError("There are no customers to fit")
    for name, arr in (("frequency", frequency), ("recency", recency), ("T", T)):
        if not np.all(np.isfinite(arr)):
            raise FitError(f"{name} must be finite")
    if np.any(frequency < 0) or np.any(frequency != np.round(frequency)):
        raise FitError("frequency must be a non-negative integer")
    if np.any(recency < 0) or np.any(recency > T * (1 + 1e-12) + 1e-12):
        raise FitError("recency must be between 0 and T")
    if np.any((frequency > 0) & (recency <= 0)):
        raise FitError("customers with repeat purchases must have a positive recency")


class _Likelihood:
    """Mean negative log-likelihood of BG/NBD data and its analytic gradient.

    Per customer, ln L = f(x) + l3 + softplus(d) where f depends on x only,
    l3 = -(r + x) ln(alpha + T) and d = ln a - ln(b + x - 1) + (r + x) ln((alpha + T) /
    (alpha + t_x)) for repeat customers (d = -inf otherwise). f and l3 are summed over
    distinct x and T values; only softplus(d) and its derivative touch every row, and
    every logarithm inside d is looked up from the distinct values of x, t_x and T.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
        self.total = float(w.sum())
        self.xs, ix = np.unique(x, return_inverse=True)
        self.Ts, iT = np.unique(T, return_inverse=True)
        self.wx = np.bincount(ix, weights=w, minlength=len(self.xs))
        self.w_T = np.bincount(iT, weights=w, minlength=len(self.Ts))
        self.wx_T = np.bincount(iT, weights=w * x, minlength=len(self.Ts))
        self.x_floor = np.maximum(self.xs, 1.0) - 1.0
        repeat = x > 0
        self.tx_s, itx = np.unique(t_x[repeat], return_inverse=True)
        self.ix, self.iT, self.itx = ix[repeat], iT[repeat], itx
        self.x_rep, self.w_rep = x[repeat], w[repeat]

    def log_likelihood(self, r: float, alpha: float, a: float, b: float) -> float:
        """Return the summed log-likelihood at natural parameters."""
        return -self(np.log([r, alpha, a, b]))[0] * self.total

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the mean negative log-likelihood and its gradient in log-parameters."""
        r, alpha, a, b = np.exp(theta)
        xs, wx = self.xs, self.wx
        per_x = (
            gammaln(r + xs)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs)
        )
        log_T = np.log(alpha + self.Ts)
        ll = wx @ per_x + self.total * r * np.log(alpha) - (r * self.w_T + self.wx_T) @ log_T

        log_tx = np.log(alpha + self.tx_s)
        c_x = np.log(a) - np.log(b + self.x_floor)
        rx = r + self.x_rep
        d = c_x[self.ix] + rx * (log_T[self.iT] - log_tx[self.itx])
        # softplus(d) = max(d, 0) + log1p(e) and sigmoid(d) share e = exp(-|d|): one exp.
        e = np.exp(-np.abs(d))
        ll += self.w_rep @ (np.maximum(d, 0.0) + np.log1p(e))
        ws = self.w_rep * np.where(d >= 0, 1.0, e) / (1.0 + e)
        ws_rx = ws * rx
        n_T, n_tx = len(self.Ts), len(self.tx_s)
        ws_T = np.bincount(self.iT, weights=ws, minlength=n_T)
        ws_tx = np.bincount(self.itx, weights=ws, minlength=n_tx)
        wsrx_T = np.bincount(self.iT, weights=ws_rx, minlength=n_T)
        wsrx_tx = np.bincount(self.itx, weights=ws_rx, minlength=n_tx)
        ws_x = np.bincount(self.ix, weights=ws, minlength=len(xs))

        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xs)
        d_r = (
            wx @ (digamma(r + xs) - digamma(r))
            + self.total * np.log(alpha)
            - self.w_T @ log_T
            + ws_T @ log_T
            - ws_tx @ log_tx
        )
        d_alpha = (
            self.total * r / alpha
            - (r * self.w_T + self.wx_T) @ (1.0 / (alpha + self.Ts))
            + wsrx_T @ (1.0 / (alpha + self.Ts))
            - wsrx_tx @ (1.0 / (alpha + self.tx_s))
        )
        d_a = wx @ (psi_ab - psi_abx) + ws.sum() / a
        d_b = wx @ (psi_ab + digamma(b + xs) - digamma(b) - psi_abx)
        d_b -= ws_x @ (1.0 / (b + self.x_floor))
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / self.total, -grad / self.total


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> BgNbdParams:
    """Fit the BG/NBD model by maximum likelihood and return its parameters."""
    x, t_x, age = _as_float(frequency), _as_float(recency), _as_float(T)
    validate_summary(x, t_x, age)
    if len(x) < 2 and weights is None:
        raise FitError("Fitting needs at least two customers")
    (x, t_x, age), w = compress_rows(x, t_x, age, weights=weights)
    # Rescaling time so that the oldest customer has T = 1 keeps alpha near 1 whatever
    # the unit; alpha is scaled back afterwards (the other parameters are unit-free).
    scale = float(age.max()) or 1.0
    likelihood = _Likelihood(x, t_x / scale, age / scale, w)
    rows = subsample(len(x))
    warm = None
    if rows is not None:
        warm = _Likelihood(x[rows], t_x[rows] / scale, age[rows] / scale, w[rows])
    theta = minimize_log_params(likelihood, np.zeros(4), warm)
    r, alpha, a, b = np.exp(theta)
    # Rescaling time multiplies each customer's likelihood by scale^-x (a Jacobian).
    ll = likelihood.log_likelihood(r, alpha, a, b) - np.log(scale) * float(w @ x)
    if not np.isfinite(ll):
        raise FitError("The BG/NBD likelihood is not finite at the optimum")
    return BgNbdParams(float(r), float(alpha * scale), float(a), float(b), float(ll))


def probability_alive(
    params: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return P(alive at T | x, t_x, T); 1 for customers without repeat purchases."""
    x, t_x, age = _as_float(frequency), _as_float(recency), _as_float(T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dead = (
        np.log(a)
        - np.log(b + np.maximum(x, 1.0) - 1.0)
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    # expit never overflows, so the probability stays in [0, 1] for any history.
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def _near_one(a: float) -> float:
    """Nudge a away from 1, where the closed form is 0/0 (the limit is continuous)."""
    if abs(a - 1.0) < 1e-7:
        return 1.0 + 1e-7 if a >= 1.0 else 1.0 - 1e-7
    return a


def expected_purchases_if_alive(
    params: BgNbdParams, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return E[purchases in (T, T+t] | alive at T, x, T]: a new customer with posterior parameters."""
    x, age, horizon = _as_float(frequency), _as_float(T), _as_float(t)
    r, alpha, b = params.r, params.alpha, params.b
    a = _near_one(params.a)
    z = horizon / (alpha + age + horizon)
    # Euler's transformation turns 2F1(r+x, b+x; a+b+x-1; z), which explodes for large x,
    # into (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z) whose series tends to 1.
    hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    log_rest = (a - 1.0) * np.log1p(-z)
    safe = hyp > 0
    bracket = np.where(
        safe,
        -np.expm1(log_rest + np.log(np.where(safe, hyp, 1.0))),
        1.0 - np.exp(log_rest) * hyp,
    )
    value = (a + b + x - 1.0) / (a - 1.0) * bracket
    return np.where(horizon > 0, np.maximum(value, 0.0), 0.0)


def conditional_expected_purchases(
    params: BgNbdParams,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Return expected repeat purchases in the next t time units given each customer's history."""
    alive = probability_alive(params, frequency, recency, T)
    return alive * expected_purchases_if_alive(params, t, frequency, T)


def expected_purchases(params: BgNbdParams, t: npt.ArrayLike) -> FloatArray:
    """Return E[X(t)], repeat purchases by a new customer within t of the first purchase."""
    horizon = _as_float(t)
    return expected_purchases_if_alive(params, horizon, np.zeros_like(horizon), 0.0)


def discounted_purchases_if_alive(
    params: BgNbdParams,
    frequency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    horizon: float,
    period: float,
    discount_rate: float,
) -> FloatArray:
    """Return the discounted sum over periods of expected purchases per period, if alive."""
    x, age = _as_float(frequency), _as_float(T)
    if horizon <= 0:
        return np.zeros(len(x))
    (ux, uT), inverse = unique_rows(x, age)
    # Only (x, T) matter, and there are far fewer distinct pairs than customers.
    steps = int(np.ceil(horizon / period - 1e-9))
    ends = np.minimum(np.arange(1, steps + 1) * period, horizon)
    cumulative = expected_purchases_if_alive(
        params, np.tile(ends, len(ux)), np.repeat(ux, steps), np.repeat(uT, steps)
    ).reshape(len(ux), steps)
    increments = np.maximum(np.diff(cumulative, axis=1, prepend=0.0), 0.0)
    discount = (1.0 + discount_rate) ** (-ends / period)
    return (increments @ discount)[inverse]
