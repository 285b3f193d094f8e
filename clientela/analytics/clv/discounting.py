"""Discounted expected purchases per period, shared by the transaction models."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from .fitting import FloatArray, unique_rows

# E[purchases in (T, T+t] | alive, x, T] as a function of (t, x, T), elementwise.
IfAlive = Callable[[FloatArray, FloatArray, FloatArray], FloatArray]


def discounted_if_alive(
    if_alive: IfAlive,
    frequency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    horizon: float,
    period: float,
    discount_rate: float,
) -> FloatArray:
    """Return sum over periods k of (expected purchases in period k, if alive) / (1+d)^k.

    Periods of ``period`` time units; a last partial period is discounted at its fractional
    exponent. The expectation depends on (x, T) only, and there are far fewer distinct
    pairs than customers, so it is evaluated once per pair and period end.
    """
    x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
    age = np.atleast_1d(np.asarray(T, dtype=np.float64))
    if horizon <= 0:
        return np.zeros(len(x))
    (ux, uT), inverse = unique_rows(x, age)
    steps = int(np.ceil(horizon / period - 1e-9))
    ends = np.minimum(np.arange(1, steps + 1) * period, horizon)
    cumulative = if_alive(np.tile(ends, len(ux)), np.repeat(ux, steps), np.repeat(uT, steps))
    increments = np.maximum(np.diff(cumulative.reshape(len(ux), steps), axis=1, prepend=0.0), 0.0)
    discount = (1.0 + discount_rate) ** (-ends / period)
    # einsum, not a BLAS matrix-vector product: OpenBLAS would thread it (see fitting.dot).
    return np.asarray(np.einsum("ij,j->i", increments, discount)[inverse], dtype=np.float64)
