"""MBG/NBD model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008).

BG/NBD lets a customer drop out only after a repeat purchase; MBG/NBD also right after the
first one (with the same probability p), so a customer without repeat purchases is not
certainly alive. Per customer

ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b) - (r+x) ln(alpha+T)
       + softplus(ln a - ln(b+x) + (r+x) ln((alpha+T)/(alpha+t_x))),

which is the BG/NBD likelihood with x shifted by one where it meets b: the fit reuses
BG/NBD's log-space likelihood, analytic Hessian, row compression and Newton optimiser
(``bgnbd.fit_beta_geometric`` with ``shift=1``). Given that a customer is alive, the
posterior of p is Beta(a, b + x + 1): the BG/NBD expectation with b + 1 in place of b.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from .bgnbd import BetaGeometricParams, BgNbdParams, _as_float, fit_beta_geometric
from .bgnbd import expected_purchases_if_alive as _bgnbd_if_alive
from .fitting import FloatArray


@dataclass(frozen=True)
class MbgNbdParams(BetaGeometricParams):
    """Fitted MBG/NBD parameters and the maximised log-likelihood (summed over customers)."""

    def shifted(self) -> BgNbdParams:
        """Return BG/NBD parameters with b + 1: alive MBG/NBD customers behave like these."""
        return BgNbdParams(self.r, self.alpha, self.a, self.b + 1.0, self.log_likelihood)


def fit_mbgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> MbgNbdParams:
    """Fit the MBG/NBD model by maximum likelihood and return its parameters."""
    r, alpha, a, b, ll = fit_beta_geometric(frequency, recency, T, weights, shift=1)
    return MbgNbdParams(r, alpha, a, b, ll)


def probability_alive(
    params: MbgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))."""
    x, t_x, age = _as_float(frequency), _as_float(recency), _as_float(T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dead = (
        np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.asarray(expit(-log_odds_dead), dtype=np.float64)


def expected_purchases_if_alive(
    params: MbgNbdParams, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """Return E[purchases in (T, T+t] | alive at T, x, T]."""
    return _bgnbd_if_alive(params.shifted(), t, frequency, T)


def expected_purchases(params: MbgNbdParams, t: npt.ArrayLike) -> FloatArray:
    """Return E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
    horizon = _as_float(t)
    # Alive after the first purchase with probability b/(a+b), then a BG/NBD customer with b+1.
    alive_at_start = params.b / (params.a + params.b)
    return alive_at_start * _bgnbd_if_alive(params.shifted(), horizon, np.zeros_like(horizon), 0.0)
