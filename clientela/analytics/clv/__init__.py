"""Probabilistic customer lifetime value: summary, purchase models, Gamma-Gamma, CLV, validation.

Purchase models: BG/NBD (``bgnbd``), MBG/NBD (``mbgnbd``) and Pareto/NBD (``paretonbd``),
registered in :mod:`.models`. Pure NumPy/SciPy/polars: no Django import anywhere here.
"""

from .bgnbd import (
    BgNbdParams,
    conditional_expected_purchases,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from .fitting import FitError
from .gamma_gamma import GammaGammaParams, conditional_expected_average_value, fit_gamma_gamma
from .mbgnbd import MbgNbdParams, fit_mbgnbd
from .models import MODEL_CODES, MODELS, TransactionParams, fit_model, get_model
from .paretonbd import ParetoNbdParams, fit_paretonbd
from .summary import (
    RefundReport,
    SummaryInputError,
    refund_report,
    summarize_arrays,
    summarize_transactions,
)
from .value import ClvResult, customer_lifetime_value, default_horizon, score_customers

__all__ = [
    "MODELS",
    "MODEL_CODES",
    "BgNbdParams",
    "ClvResult",
    "FitError",
    "GammaGammaParams",
    "MbgNbdParams",
    "ParetoNbdParams",
    "RefundReport",
    "SummaryInputError",
    "TransactionParams",
    "conditional_expected_average_value",
    "conditional_expected_purchases",
    "customer_lifetime_value",
    "default_horizon",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_model",
    "fit_paretonbd",
    "get_model",
    "probability_alive",
    "refund_report",
    "score_customers",
    "summarize_arrays",
    "summarize_transactions",
]
