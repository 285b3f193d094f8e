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
    span = 1
    for arr in arrays:
        _, codes = np.unique(arr, return_inverse=True)
        width = int(codes.max(initial=0)) + 1
        if span * width >= 2**62:
            # Re-densify only when the combined key could overflow int64.
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max(initial=0)) + 1
        key = key * width + codes
        span *= width
    _, key = np.unique(key, return_inverse=True)
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


def subsample(size: int, limit: int = 50_000) -> npt.NDArray[np.intp] | None:
    """Return a fixed pseudo-random subset of row indices for a warm start, or None if small."""
    if size <= 4 * limit:
        return None
    # A fixed seed keeps fits deterministic: the same data always give the same result.
    return np.sort(np.random.default_rng(0).choice(size, limit, replace=False))


def minimize_log_params(
    objective: Objective, start: FloatArray, warm_objective: Objective | None = None
) -> FloatArray:
    """Minimise a smooth objective over log-parameters: L-BFGS-B, then Newton polishing."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    if warm_objective is not None:
        # A fit on a subsample lands next to the optimum for a fraction of the cost, so
        # the full data only pay for the last few iterations.
        start = _lbfgsb(warm_objective, start, bounds, ftol=1e-10, gtol=1e-5)
    theta = _lbfgsb(objective, start, bounds, ftol=1e-13, gtol=1e-8)
    return _newton_polish(objective, theta)


def _lbfgsb(
    objective: Objective,
    start: FloatArray,
    bounds: list[tuple[float, float]],
    *,
    ftol: float,
    gtol: float,
) -> FloatArray:
    """Run bounded L-BFGS-B with the analytic gradient and return the parameters."""
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": ftol, "gtol": gtol, "maxcor": 20},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise FitError(f"The optimiser did not converge: {result.message}")
    return theta


def _newton_polish(objective: Objective, theta: FloatArray, steps: int = 4) -> FloatArray:
    """Refine an interior optimum with Newton steps on a forward-difference Hessian."""
    # L-BFGS-B stops on a relative-decrease test; near a flat optimum that can leave
    # ~1e-5 relative error in the parameters. Newton on the exact gradient removes it.
    best_f, grad = objective(theta)
    k = len(theta)
    for _ in range(steps):
        if np.any(np.abs(theta) >= LOG_BOUND - 1e-6):
            break
        hessian = np.empty((k, k))
        for i in range(k):  # one gradient per parameter, never per customer
            h = 1e-6 * max(1.0, abs(theta[i]))
            step = np.zeros(k)
            step[i] = h
            hessian[:, i] = (objective(theta + step)[1] - grad) / h
        hessian = (hessian + hessian.T) / 2
        try:
            delta = np.linalg.solve(hessian, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(delta)) or np.linalg.norm(delta) > 1.0:
            break
        candidate = np.clip(theta - delta, -LOG_BOUND, LOG_BOUND)
        f, g = objective(candidate)
        if not np.isfinite(f) or f > best_f + 1e-14 * abs(best_f):
            break
        theta, best_f, grad = candidate, f, g
        if np.max(np.abs(delta)) < 1e-9:
            break
    return theta
