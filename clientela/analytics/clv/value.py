"""Customer lifetime value: BG/NBD purchases x Gamma-Gamma spend, discounted monthly.

CLV over a horizon H (in the summary's time unit) follows the lifetimes convention: the
horizon is cut into months of 30.4375 days; for month k the expected purchases in that
month are valued at the expected average order value and discounted by (1 + d)^k, where
d is a *monthly* discount rate. A horizon that is not a whole number of months ends with
a partial month discounted at its fractional exponent. For a summary in months and a
whole-month horizon this equals lifetimes' ``customer_lifetime_value(freq="M")``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from .bgnbd import (
    BgNbdParams,
    conditional_expected_purchases,
    discounted_purchases_if_alive,
    fit_bgnbd,
    probability_alive,
)
from .fitting import FloatArray
from .gamma_gamma import (
    GammaGammaParams,
    conditional_expected_average_value,
    fit_gamma_gamma,
)
from .summary import DAYS_PER_MONTH, unit_days

DEFAULT_DISCOUNT_RATE = 0.01


def default_horizon(time_unit: str) -> float:
    """Return twelve months expressed in the given time unit."""
    return 12 * DAYS_PER_MONTH / unit_days(time_unit)


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    horizon: float,
    time_unit: str,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
) -> FloatArray:
    """Return each customer's discounted CLV over the horizon (in the summary's time unit)."""
    if discount_rate <= -1:
        raise ValueError("The discount rate must be greater than -1")
    month = DAYS_PER_MONTH / unit_days(time_unit)
    alive = probability_alive(bgnbd, frequency, recency, T)
    purchases = discounted_purchases_if_alive(
        bgnbd, frequency, T, horizon=horizon, period=month, discount_rate=discount_rate
    )
    spend = conditional_expected_average_value(gamma_gamma, frequency, monetary_value)
    return alive * purchases * spend


@dataclass(frozen=True)
class ClvResult:
    """Fitted models, per-customer predictions and customer equity."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    customers: pl.DataFrame
    customer_equity: float
    horizon: float
    time_unit: str
    discount_rate: float


def score_customers(
    summary: pl.DataFrame,
    *,
    time_unit: str,
    horizon: float | None = None,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
) -> ClvResult:
    """Fit both models on a summary and add expected purchases, P(alive), spend and CLV."""
    horizon = default_horizon(time_unit) if horizon is None else float(horizon)
    x = summary["frequency"].to_numpy().astype(np.float64)
    t_x = summary["recency"].to_numpy()
    age = summary["T"].to_numpy()
    money = summary["monetary_value"].to_numpy()
    bgnbd = fit_bgnbd(x, t_x, age)
    gamma_gamma = fit_gamma_gamma(x, money)
    alive = probability_alive(bgnbd, x, t_x, age)
    clv = customer_lifetime_value(
        bgnbd,
        gamma_gamma,
        x,
        t_x,
        age,
        money,
        horizon=horizon,
        time_unit=time_unit,
        discount_rate=discount_rate,
    )
    customers = summary.with_columns(
        expected_purchases=conditional_expected_purchases(bgnbd, horizon, x, t_x, age),
        p_alive=alive,
        expected_average_value=conditional_expected_average_value(gamma_gamma, x, money),
        clv=clv,
    )
    return ClvResult(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        customers=customers,
        customer_equity=float(clv.sum()),
        horizon=horizon,
        time_unit=time_unit,
        discount_rate=discount_rate,
    )
