"""Registry of the purchase-count models: BG/NBD, MBG/NBD and Pareto/NBD behind one interface.

Each model registers how it is fitted and predicts; everything that needs "the chosen
model" (CLV, holdout validation, the model comparison, the CLI) goes through
:data:`MODELS` by code, so adding a model is one registration here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from . import bgnbd, mbgnbd, paretonbd
from .discounting import discounted_if_alive
from .fitting import FloatArray


class TransactionParams(Protocol):
    """What every fitted purchase-count model exposes."""

    @property
    def log_likelihood(self) -> float:
        """The maximised log-likelihood, summed over customers."""
        ...

    def as_dict(self) -> dict[str, float]:
        """Return the parameters and log-likelihood as a plain dictionary."""
        ...


ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class TransactionModel:
    """One purchase-count model: its code, name, number of parameters and functions.

    ``if_alive(params, t, x, T)`` is E[purchases in (T, T+t] | alive]; the conditional
    expectation is ``probability_alive`` times it.
    """

    code: str
    name: str
    params_type: type
    n_params: int
    fit: Callable[..., Any]
    probability_alive: Callable[[Any, ArrayLike, ArrayLike, ArrayLike], FloatArray]
    if_alive: Callable[[Any, ArrayLike, ArrayLike, ArrayLike], FloatArray]
    expected_purchases: Callable[[Any, ArrayLike], FloatArray]


MODELS: dict[str, TransactionModel] = {}


def register_model(model: TransactionModel) -> None:
    """Make a model available by its code (refusing a second model with the same code)."""
    if model.code in MODELS:
        raise ValueError(f"A model with code {model.code!r} is already registered")
    MODELS[model.code] = model


register_model(
    TransactionModel(
        code="bgnbd",
        name="BG/NBD",
        params_type=bgnbd.BgNbdParams,
        n_params=4,
        fit=bgnbd.fit_bgnbd,
        probability_alive=bgnbd.probability_alive,
        if_alive=bgnbd.expected_purchases_if_alive,
        expected_purchases=bgnbd.expected_purchases,
    )
)
register_model(
    TransactionModel(
        code="mbgnbd",
        name="MBG/NBD",
        params_type=mbgnbd.MbgNbdParams,
        n_params=4,
        fit=mbgnbd.fit_mbgnbd,
        probability_alive=mbgnbd.probability_alive,
        if_alive=mbgnbd.expected_purchases_if_alive,
        expected_purchases=mbgnbd.expected_purchases,
    )
)
register_model(
    TransactionModel(
        code="paretonbd",
        name="Pareto/NBD",
        params_type=paretonbd.ParetoNbdParams,
        n_params=4,
        fit=paretonbd.fit_paretonbd,
        probability_alive=paretonbd.probability_alive,
        if_alive=paretonbd.expected_purchases_if_alive,
        expected_purchases=paretonbd.expected_purchases,
    )
)

MODEL_CODES: tuple[str, ...] = tuple(MODELS)
DEFAULT_MODEL = "bgnbd"


def get_model(code: str) -> TransactionModel:
    """Return the registered model with this code; ValueError naming the known ones if none."""
    try:
        return MODELS[code]
    except KeyError:
        raise ValueError(f"Unknown model {code!r}; use one of {', '.join(MODELS)}") from None


def model_of(params: TransactionParams) -> TransactionModel:
    """Return the registered model whose parameters these are."""
    for model in MODELS.values():
        if isinstance(params, model.params_type):
            return model
    raise ValueError(f"No registered model fits parameters of type {type(params).__name__}")


def fit_model(
    code: str,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> TransactionParams:
    """Fit the model with this code by maximum likelihood."""
    params: TransactionParams = get_model(code).fit(frequency, recency, T, weights)
    return params


def probability_alive(
    params: TransactionParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Return P(alive at T | x, t_x, T) under the model of these parameters."""
    return model_of(params).probability_alive(params, frequency, recency, T)


def conditional_expected_purchases(
    params: TransactionParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Return expected repeat purchases in the next t time units given each customer's history."""
    model = model_of(params)
    alive = model.probability_alive(params, frequency, recency, T)
    return np.asarray(alive * model.if_alive(params, t, frequency, T), dtype=np.float64)


def expected_purchases(params: TransactionParams, t: ArrayLike) -> FloatArray:
    """Return E[X(t)], repeat purchases by a new customer within t of the first purchase."""
    return model_of(params).expected_purchases(params, t)


def discounted_purchases_if_alive(
    params: TransactionParams,
    frequency: ArrayLike,
    T: ArrayLike,
    *,
    horizon: float,
    period: float,
    discount_rate: float,
) -> FloatArray:
    """Return the discounted sum over periods of expected purchases per period, if alive."""
    model = model_of(params)
    return discounted_if_alive(
        lambda t, x, age: model.if_alive(params, t, x, age),
        frequency,
        T,
        horizon=horizon,
        period=period,
        discount_rate=discount_rate,
    )
