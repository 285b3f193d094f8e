"""Probabilistic customer lifetime value: summary, purchase models, Gamma-Gamma, CLV, validation.

Purchase models: BG/NBD (``bgnbd``), MBG/NBD (``mbgnbd``) and Pareto/NBD (``paretonbd``),
registered in :mod:`.models`. Pure NumPy/SciPy/polars: no Django import anywhere here.

The public names load lazily (PEP 562): the models import SciPy (over a second of a process
start), which only the snapshot computation needs. Importing ``clv.summary`` for its constants,
as the web pages do, loads NumPy and polars only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bgnbd import (
        BgNbdParams,
        conditional_expected_purchases,
        expected_purchases,
        fit_bgnbd,
        probability_alive,
    )
    from .fitting import FitError
    from .gamma_gamma import (
        GammaGammaParams,
        conditional_expected_average_value,
        fit_gamma_gamma,
    )
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

# Each public name and the submodule that defines it.
_SOURCES = {
    "bgnbd": (
        "BgNbdParams",
        "conditional_expected_purchases",
        "expected_purchases",
        "fit_bgnbd",
        "probability_alive",
    ),
    "fitting": ("FitError",),
    "gamma_gamma": ("GammaGammaParams", "conditional_expected_average_value", "fit_gamma_gamma"),
    "mbgnbd": ("MbgNbdParams", "fit_mbgnbd"),
    "models": ("MODEL_CODES", "MODELS", "TransactionParams", "fit_model", "get_model"),
    "paretonbd": ("ParetoNbdParams", "fit_paretonbd"),
    "summary": (
        "RefundReport",
        "SummaryInputError",
        "refund_report",
        "summarize_arrays",
        "summarize_transactions",
    ),
    "value": ("ClvResult", "customer_lifetime_value", "default_horizon", "score_customers"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

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


def __getattr__(name: str) -> Any:
    """Load a public name from its submodule on first use (and keep it here)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Return the module's names, the lazily loaded ones included."""
    return sorted({*globals(), *__all__})
