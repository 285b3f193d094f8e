"""Probabilistic customer lifetime value: summary, BG/NBD, Gamma-Gamma, CLV and validation."""

from .bgnbd import (
    BgNbdParams,
    conditional_expected_purchases,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from .fitting import FitError
from .gamma_gamma import GammaGammaParams, conditional_expected_average_value, fit_gamma_gamma
from .summary import SummaryInputError, summarize_arrays, summarize_transactions
from .value import ClvResult, customer_lifetime_value, default_horizon, score_customers

__all__ = [
    "BgNbdParams",
    "ClvResult",
    "FitError",
    "GammaGammaParams",
    "SummaryInputError",
    "conditional_expected_average_value",
    "conditional_expected_purchases",
    "customer_lifetime_value",
    "default_horizon",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "probability_alive",
    "score_customers",
    "summarize_arrays",
    "summarize_transactions",
]
