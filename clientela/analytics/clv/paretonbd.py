"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): maximum likelihood and predictions.

A customer buys at Poisson rate lambda ~ Gamma(r, alpha) while alive, and lives an
exponential lifetime of rate mu ~ Gamma(s, beta). Fader & Hardie's "A Note on Deriving the
Pareto/NBD Model and Related Expressions" (2005) gives per customer

L = G(r+x) alpha^r beta^s / G(r) * [F(T) + s/(r+s+x) (H(t_x) - H(T))],

with F(tau) = (alpha+tau)^-(r+x) (beta+tau)^-s and H(tau) = (alpha+tau)^-(r+s+x)
2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+tau)) when alpha >= beta, or
(beta+tau)^-(r+s+x) 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+tau)) when alpha < beta;
s/(r+s+x) (H(t_x) - H(T)) is the chance of having died at some tau in (t_x, T].

Numerical care: Euler's transformation writes both branches as H(tau) = F(tau) K(tau), with
K = 2F1(1, r+x; r+s+x+1; z) (alpha >= beta) or (alpha+tau)/(beta+tau) 2F1(1, s+1;
r+s+x+1; z) (alpha < beta). Those series start at 1 and stay moderate where the
textbook ones overflow (large x, z near 1), so the bracket is

ln F(t_x) + ln[s/(r+s+x) K(t_x) + F(T)/F(t_x) (1 - s/(r+s+x) K(T))],

a sum of terms of order one in log space (F(T)/F(t_x) <= 1, s K(T) <= r+s+x): no overflow,
no catastrophic cancellation, for any history. The hypergeometric function has no
closed-form derivative in its parameters, so the gradient is a central difference of the
exact log-likelihood (the other models' gradients are analytic); K is evaluated once per
distinct (x, t_x) and (x, T) pair and identical rows are compressed into weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, hyp2f1

from .bgnbd import _as_float, validate_summary
from .fitting import (
    LOG_BOUND,
    Coded,
    FitError,
    FloatArray,
    IntArray,
    compress_coded,
    dot,
    lbfgsb,
    row_key,
    subsample,
    unique_rows,
)


@dataclass(frozen=True)
class ParetoNbdParams:
    """Fitted Pareto/NBD parameters and the maximised log-likelihood (summed over customers)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float

    def as_dict(self) -> dict[str, float]:
        """Return the parameters as a plain dictionary."""
        return {
            "r": self.r,
            "alpha": self.alpha,
            "s": self.s,
            "beta": self.beta,
            "log_likelihood": self.log_likelihood,
        }


def _log_k(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, tau: FloatArray
) -> FloatArray:
    """Return ln K(tau) = ln H(tau) - ln F(tau), elementwise (see the module docstring)."""
    rho1 = r + s + x + 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if alpha >= beta:
            z = (alpha - beta) / (alpha + tau)
            return np.asarray(np.log(hyp2f1(1.0, r + x, rho1, z)), dtype=np.float64)
        z = (beta - alpha) / (beta + tau)
        log_ratio = np.log(alpha + tau) - np.log(beta + tau)
        return np.asarray(log_ratio + np.log(hyp2f1(1.0, s + 1.0, rho1, z)), dtype=np.float64)


def _log_bracket(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    log_k_tx: FloatArray,
    log_k_T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return ln[F(T) + s/rho (H(t_x) - H(T))] and ln F(T), elementwise."""
    log_f_T = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_f_tx = -(r + x) * np.log(alpha + t_x) - s * np.log(beta + t_x)
    share = s / (r + s + x)
    # 1 - share K(T) >= 0 mathematically; rounding may leave a hair below it.
    survive = np.maximum(-np.expm1(np.log(share) + log_k_T), 0.0)
    inner = share * np.exp(log_k_tx) + np.exp(log_f_T - log_f_tx) * survive
    with np.errstate(divide="ignore"):
        return log_f_tx + np.log(inner), log_f_T


class _Likelihood:
    """Mean negative log-likelihood of Pareto/NBD data over log-parameters.

    Rows are distinct (x, t_x, T) with weights; K is computed once per distinct (x, t_x)
    and (x, T) pair; ln G(r+x) - ln G(r) once per distinct x.
    """

    def __init__(self, x: Coded, t_x: Coded, T: Coded, w: FloatArray) -> None:
        self.w, self.total = w, float(w.sum())
        self.xs, self.wx = x.values, np.bincount(x.codes, weights=w, minlength=len(x.values))
        self.x, self.t_x, self.T = x.rows, t_x.rows, T.rows
        self.pair_tx, self.inv_tx = _pairs(x, t_x)
        self.pair_T, self.inv_T = _pairs(x, T)

    def value(self, theta: FloatArray) -> float:
        """Return the mean negative log-likelihood at log-parameters theta (inf if undefined)."""
        if np.any(np.abs(theta) > LOG_BOUND):
            return float("inf")
        r, alpha, s, beta = np.exp(theta)
        log_k_tx = _log_k(r, alpha, s, beta, *self.pair_tx)[self.inv_tx]
        log_k_T = _log_k(r, alpha, s, beta, *self.pair_T)[self.inv_T]
        log_bracket, _ = _log_bracket(
            r, alpha, s, beta, self.x, self.t_x, self.T, log_k_tx, log_k_T
        )
        ll = (
            dot(self.wx, gammaln(r + self.xs) - gammaln(r))
            + self.total * (r * np.log(alpha) + s * np.log(beta))
            + dot(self.w, log_bracket)
        )
        return float(-ll / self.total) if np.isfinite(ll) else float("inf")

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the mean negative log-likelihood and its central-difference gradient."""
        f = self.value(theta)
        grad = np.empty(len(theta))
        for i in range(len(theta)):
            step = np.zeros(len(theta))
            step[i] = GRADIENT_STEP
            grad[i] = (self.value(theta + step) - self.value(theta - step)) / (2 * GRADIENT_STEP)
        if not np.all(np.isfinite(grad)):
            grad = np.where(np.isfinite(grad), grad, 0.0)
        return f, grad


# In log-parameters: the truncation error (~1e-12) and the rounding error of a mean
# log-likelihood of order 10 (~1e-9) balance here.
GRADIENT_STEP = 1e-5


def _pairs(a: Coded, b: Coded) -> tuple[tuple[FloatArray, FloatArray], IntArray]:
    """Return the distinct (a, b) value pairs and, per row, the index of its pair."""
    inverse = row_key([a, b])
    first = np.empty(int(inverse.max(initial=-1)) + 1, dtype=np.intp)
    first[inverse] = np.arange(len(inverse))
    return (a.rows[first], b.rows[first]), inverse


def fit_paretonbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> ParetoNbdParams:
    """Fit the Pareto/NBD model by maximum likelihood and return its parameters."""
    x, t_x, age = _as_float(frequency), _as_float(recency), _as_float(T)
    validate_summary(x, t_x, age)
    if len(x) < 2 and weights is None:
        raise FitError("Fitting needs at least two customers")
    (x_c, t_x_c, age_c), w = compress_coded(
        [Coded.of(x), Coded.of(t_x), Coded.of(age)], weights=weights
    )
    # Time rescaled so that the oldest customer has T = 1: alpha and beta start near their
    # optimum whatever the unit and are scaled back afterwards (r and s are unit-free).
    scale = float(age_c.values[-1]) or 1.0
    t_x_c, age_c = t_x_c.scaled(1.0 / scale), age_c.scaled(1.0 / scale)
    likelihood = _Likelihood(x_c, t_x_c, age_c, w)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * 4
    # Large data: the optimum on a fixed subsample is the start on all of them, where
    # L-BFGS-B then needs a few iterations instead of dozens (each one a full pass).
    rows = subsample(len(w))
    warm = None
    if rows is not None:
        warm = _Likelihood(x_c.take(rows), t_x_c.take(rows), age_c.take(rows), w[rows])
    best: tuple[float, FloatArray] | None = None
    # The formula switches hypergeometric branch at alpha = beta (the likelihood itself is
    # smooth there); a second start on the other side is tried only if the first fails.
    for start in (np.array([0.0, 0.0, 0.0, 0.5]), np.array([0.0, 0.5, 0.0, 0.0])):
        theta = start
        if warm is not None:
            theta = lbfgsb(warm, theta, bounds, ftol=1e-12, gtol=1e-7)
        theta = lbfgsb(likelihood, theta, bounds, ftol=1e-14, gtol=1e-9)
        value = likelihood.value(theta)
        if np.isfinite(value):
            best = (value, theta)
            break
    if best is None:
        raise FitError("The Pareto/NBD likelihood is not finite at the optimum")
    mean_nll, theta = best
    r, alpha, s, beta = np.exp(theta)
    # Rescaling time multiplies each customer's likelihood by scale^-x (a Jacobian).
    ll = -mean_nll * likelihood.total - np.log(scale) * dot(w, x_c.rows)
    return ParetoNbdParams(float(r), float(alpha * scale), float(s), float(beta * scale), float(ll))


def log_likelihood(
    params: ParetoNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return each customer's log-likelihood under the given parameters."""
    x, t_x, age = _as_float(frequency), _as_float(recency), _as_float(T)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_bracket, _ = _log_bracket(
        r, alpha, s, beta, x, t_x, age, _log_k(r, alpha, s, beta, x, t_x),
        _log_k(r, alpha, s, beta, x, age),
    )  # fmt: skip
    return np.asarray(
        gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_bracket,
        dtype=np.float64,
    )


def probability_alive(
    params: ParetoNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return P(alive at T | x, t_x, T) = F(T) / [F(T) + s/(r+s+x) (H(t_x) - H(T))]."""
    x, t_x, age = np.broadcast_arrays(_as_float(frequency), _as_float(recency), _as_float(T))
    (ux, utx, uT), inverse = unique_rows(x, t_x, age)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_bracket, log_f_T = _log_bracket(
        r, alpha, s, beta, ux, utx, uT, _log_k(r, alpha, s, beta, ux, utx),
        _log_k(r, alpha, s, beta, ux, uT),
    )  # fmt: skip
    return np.asarray(np.minimum(np.exp(log_f_T - log_bracket), 1.0)[inverse], dtype=np.float64)


def _growth(s: float, log_ratio: FloatArray) -> FloatArray:
    """Return (1 - e^-(s-1) L) / (s - 1) for L >= 0, continuous at s = 1 (where it is L)."""
    k = s - 1.0
    if abs(k) < 1e-12:
        return log_ratio
    return np.asarray(-np.expm1(-k * log_ratio) / k, dtype=np.float64)


def expected_purchases_if_alive(
    params: ParetoNbdParams, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return E[purchases in (T, T+t] | alive at T, x, T].

    (r+x)/(alpha+T) (beta+T)/(s-1) [1 - ((beta+T)/(beta+T+t))^(s-1)]: the posterior
    rate's mean times the posterior expected lifetime within t.
    """
    x, age, horizon = np.broadcast_arrays(_as_float(frequency), _as_float(T), _as_float(t))
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_ratio = np.log1p(np.maximum(horizon, 0.0) / (beta + age))
    return np.asarray(
        (r + x) / (alpha + age) * (beta + age) * _growth(s, log_ratio), dtype=np.float64
    )


def expected_purchases(params: ParetoNbdParams, t: npt.ArrayLike) -> FloatArray:
    """Return E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] for a new customer."""
    horizon = _as_float(t)
    return expected_purchases_if_alive(params, horizon, np.zeros_like(horizon), 0.0)
