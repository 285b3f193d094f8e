"""Customer lifetime value: expected purchases x Gamma-Gamma spend, discounted monthly.

CLV over a horizon H (in the summary's time unit) follows the lifetimes convention: the
horizon is cut into months; for month k the expected purchases in that month (from the
chosen purchase-count model: BG/NBD, MBG/NBD or Pareto/NBD) are valued at the expected
average order value and discounted by (1 + d)^k, where d is a *monthly* discount rate. A
horizon that is not a whole number of months ends with a partial month discounted at its
fractional exponent.

A month is ``days_per_month`` days: 30.4375 (365.25 / 12, the calendar average) by
default, or 30 as in lifetimes, whose ``customer_lifetime_value`` steps 30 time units of
the summary per month (``freq="D"``). For a summary in days, a horizon of 360 days and
``days_per_month=30`` this equals lifetimes' figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from .bgnbd import BgNbdParams
from .fitting import FloatArray
from .gamma_gamma import (
    GammaGammaParams,
    conditional_expected_average_value,
    fit_gamma_gamma,
)
from .models import (
    DEFAULT_MODEL,
    TransactionParams,
    conditional_expected_purchases,
    discounted_purchases_if_alive,
    fit_model,
    probability_alive,
)
from .summary import DAYS_PER_MONTH, unit_days

DEFAULT_DISCOUNT_RATE = 0.01


def check_days_per_month(days_per_month: float) -> None:
    """Raise ValueError unless the month length is a positive, finite number of days."""
    if not (math.isfinite(days_per_month) and days_per_month > 0):
        raise ValueError("The number of days per month must be a positive number")


def default_horizon(time_unit: str, days_per_month: float = DAYS_PER_MONTH) -> float:
    """Return twelve months expressed in the given time unit."""
    check_days_per_month(days_per_month)
    return 12 * days_per_month / unit_days(time_unit)


def customer_lifetime_value(
    transactions: TransactionParams,
    gamma_gamma: GammaGammaParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    horizon: float,
    time_unit: str,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    days_per_month: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Return each customer's discounted CLV over the horizon (in the summary's time unit).

    ``transactions`` are the fitted parameters of any registered purchase-count model.
    """
    if discount_rate <= -1:
        raise ValueError("The discount rate must be greater than -1")
    check_days_per_month(days_per_month)
    month = days_per_month / unit_days(time_unit)
    alive = probability_alive(transactions, frequency, recency, T)
    purchases = discounted_purchases_if_alive(
        transactions, frequency, T, horizon=horizon, period=month, discount_rate=discount_rate
    )
    spend = conditional_expected_average_value(gamma_gamma, frequency, monetary_value)
    return alive * purchases * spend


@dataclass(frozen=True)
class ClvResult:
    """Fitted models, per-customer predictions and customer equity."""

    transactions: TransactionParams
    gamma_gamma: GammaGammaParams
    customers: pl.DataFrame
    customer_equity: float
    horizon: float
    time_unit: str
    discount_rate: float
    model: str = DEFAULT_MODEL
    days_per_month: float = DAYS_PER_MONTH

    @property
    def bgnbd(self) -> BgNbdParams:
        """Return the BG/NBD parameters (ValueError when another model was fitted)."""
        if not isinstance(self.transactions, BgNbdParams):
            raise ValueError(f"The purchase model is {self.model}, not BG/NBD")
        return self.transactions


def score_customers(
    summary: pl.DataFrame,
    *,
    time_unit: str,
    horizon: float | None = None,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    days_per_month: float = DAYS_PER_MONTH,
    model: str = DEFAULT_MODEL,
) -> ClvResult:
    """Fit both models on a summary and add expected purchases, P(alive), spend and CLV."""
    horizon = default_horizon(time_unit, days_per_month) if horizon is None else float(horizon)
    x = summary["frequency"].to_numpy().astype(np.float64)
    t_x = summary["recency"].to_numpy()
    age = summary["T"].to_numpy()
    money = summary["monetary_value"].to_numpy()
    transactions = fit_model(model, x, t_x, age)
    gamma_gamma = fit_gamma_gamma(x, money)
    alive = probability_alive(transactions, x, t_x, age)
    clv = customer_lifetime_value(
        transactions,
        gamma_gamma,
        x,
        t_x,
        age,
        money,
        horizon=horizon,
        time_unit=time_unit,
        discount_rate=discount_rate,
        days_per_month=days_per_month,
    )
    customers = summary.with_columns(
        expected_purchases=conditional_expected_purchases(transactions, horizon, x, t_x, age),
        p_alive=alive,
        expected_average_value=conditional_expected_average_value(gamma_gamma, x, money),
        clv=clv,
    )
    return ClvResult(
        transactions=transactions,
        gamma_gamma=gamma_gamma,
        customers=customers,
        customer_equity=float(clv.sum()),
        horizon=horizon,
        time_unit=time_unit,
        discount_rate=discount_rate,
        model=model,
        days_per_month=days_per_month,
    )
