"""Shared maximum-likelihood plumbing: row compression and a precise bounded optimiser."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# Log-parameters stay inside exp(±30): wide enough for any sensible model, narrow enough
# that no intermediate quantity overflows when the data push a parameter to a boundary.
LOG_BOUND = 30.0


class FitError(ValueError):
    """Raised when a model cannot be fitted to the given data."""


def unique_rows(*columns: npt.ArrayLike) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """Return the distinct rows of parallel columns and, per input row, its distinct-row index."""
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    for arr in arrays:
        _, codes = np.unique(arr, return_inverse=True)
        # Re-densify after each column so the combined key can never overflow int64.
        _, key = np.unique(key * (int(codes.max(initial=0)) + 1) + codes, return_inverse=True)
    first = np.zeros(int(key.max(initial=-1)) + 1, dtype=np.intp)
    first[key] = np.arange(len(key))
    return [arr[first] for arr in arrays], key.astype(np.intp)


def compress_rows(
    *columns: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> tuple[list[FloatArray], FloatArray]:
    """Collapse identical rows into distinct rows plus their summed weights."""
    distinct, inverse = unique_rows(*columns)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    return distinct, np.bincount(inverse, weights=w, minlength=len(distinct[0])).astype(np.float64)


def minimize_log_params(objective: Objective, start: FloatArray) -> FloatArray:
    """Minimise a smooth objective over log-parameters with L-BFGS-B and tight tolerances."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise FitError(f"The optimiser did not converge: {result.message}")
    return _newton_polish(objective, theta)


def _newton_polish(objective: Objective, theta: FloatArray, steps: int = 3) -> FloatArray:
    """Refine an interior optimum with a few Newton steps on a finite-difference Hessian."""
    # L-BFGS-B stops on a relative-decrease test; near a flat optimum that can leave
    # ~1e-5 relative error in the parameters. Newton on the exact gradient removes it.
    best_f, grad = objective(theta)
    for _ in range(steps):
        if np.any(np.abs(theta) >= LOG_BOUND - 1e-6):
            break
        k = len(theta)
        hessian = np.empty((k, k))
        for i in range(k):
            h = 1e-5 * max(1.0, abs(theta[i]))
            step = np.zeros(k)
            step[i] = h
            hessian[:, i] = (objective(theta + step)[1] - objective(theta - step)[1]) / (2 * h)
        hessian = (hessian + hessian.T) / 2
        try:
            delta = np.linalg.solve(hessian, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(delta)) or np.linalg.norm(delta) > 1.0:
            break
        candidate = np.clip(theta - delta, -LOG_BOUND, LOG_BOUND)
        f, g = objective(candidate)
        if not np.isfinite(f) or f > best_f + 1e-12 * abs(best_f):
            break
        theta, best_f, grad = candidate, f, g
        if np.max(np.abs(delta)) < 1e-12:
            break
    return theta
