"""Shared maximum-likelihood plumbing: coded columns, row compression and a Newton optimiser."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# Log-parameters stay inside exp(±30): wide enough for any sensible model, narrow enough
# that no intermediate quantity overflows when the data push a parameter to a boundary.
LOG_BOUND = 30.0


class FitError(ValueError):
    """Raised when a model cannot be fitted to the given data."""


def dot(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    """Return the inner product of two vectors, computed in this thread."""
    # OpenBLAS splits every ddot over 10,000 elements across threads; on a busy two-core
    # machine each hand-off can wait a whole scheduler quantum (~100 ms measured per
    # call, against 0.5 ms for a million elements here). einsum's own loop never threads.
    return float(np.einsum("i,i->", a, b))


@dataclass(frozen=True)
class Coded:
    """A column as its sorted distinct values and, per row, the index of the row's value.

    Likelihood terms that depend on one column only are computed once per distinct value
    and looked up by code; summary columns have few distinct values (days, counts).
    """

    values: FloatArray
    codes: IntArray

    @classmethod
    def of(cls, column: npt.ArrayLike) -> Coded:
        """Code a column by its distinct values."""
        values = np.asarray(column, dtype=np.float64)
        on_grid = _grid_codes(values)
        if on_grid is not None:
            return on_grid
        distinct, codes = np.unique(values, return_inverse=True)
        return cls(distinct, codes.astype(np.intp))

    def take(self, rows: IntArray) -> Coded:
        """Return the given rows, keeping the table of distinct values."""
        return Coded(self.values, self.codes[rows])

    def scaled(self, factor: float) -> Coded:
        """Return the column multiplied by a positive factor (codes are unchanged)."""
        return Coded(self.values * factor, self.codes)

    @property
    def rows(self) -> FloatArray:
        """Return the column's value on every row."""
        return self.values[self.codes]


# A grid may have at most this many points per distinct value (plus a constant) before
# a lookup table indexed by grid position stops being cheaper than sorting.
GRID_POINTS_PER_VALUE = 4


def _grid_codes(values: FloatArray) -> Coded | None:
    """Code values that lie on an evenly spaced grid in linear time, or return None.

    Summary columns are counts or whole days in some unit, so they sit on a grid; their
    code is then the grid position looked up in a small table, which is three times
    faster than np.unique's argsort. The result is verified, so any other column (or a
    grid spoilt by rounding) falls back to np.unique.
    """
    if len(values) == 0:
        return None
    ordered = np.sort(values)  # a plain sort is vectorised; an argsort is not
    distinct = ordered[_run_flags(ordered)]
    if len(distinct) == 1:
        return Coded(distinct, np.zeros(len(values), dtype=np.intp))
    step = float(np.min(np.diff(distinct)))
    width = (distinct[-1] - distinct[0]) / step  # NaN or inf fail the test below
    if not width <= GRID_POINTS_PER_VALUE * len(distinct) + 1024:
        return None
    origin = distinct[0]
    position = np.rint((distinct - origin) / step).astype(np.intp)
    lookup = np.zeros(int(position[-1]) + 1, dtype=np.intp)
    lookup[position] = np.arange(len(distinct))
    codes = lookup[np.rint((values - origin) / step).astype(np.intp)]
    if not np.array_equal(distinct[codes], values):
        return None
    return Coded(distinct, codes)


def _run_flags(ordered: FloatArray) -> npt.NDArray[np.bool_]:
    """Return True where a new run of equal values starts in a sorted array."""
    is_new = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        is_new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=is_new[1:])
    return is_new


def row_key(columns: Sequence[Coded]) -> IntArray:
    """Return, per row, the index of its distinct combination of the coded columns."""
    key = np.zeros(len(columns[0].codes), dtype=np.int64)
    span = 1
    for column in columns:
        width = len(column.values)
        if span * width >= 2**62:
            # Re-densify only when the combined key could overflow int64.
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max(initial=0)) + 1
        key = key * width + column.codes
        span *= width
    if span <= _counting_limit(len(key)):
        # Few possible combinations: mark the ones present and number them in order.
        present = np.bincount(key, minlength=span).astype(bool)
        return (np.cumsum(present) - 1).astype(np.intp)[key]
    # The codes are already dense per column, so only this one integer sort is needed.
    _, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.intp)


def compress_coded(
    columns: Sequence[Coded], weights: npt.ArrayLike | None = None
) -> tuple[list[Coded], FloatArray]:
    """Collapse identical rows of coded columns into distinct rows plus their summed weights.

    Only when there are few enough possible combinations for a counting pass; otherwise
    the rows come back as they are (with their weights).
    """
    rows = len(columns[0].codes)
    w = np.ones(rows) if weights is None else np.asarray(weights, dtype=np.float64)
    combinations = math.prod(len(column.values) for column in columns)
    if combinations > _counting_limit(rows):
        # Finding the repeats among that many combinations needs a sort of every row,
        # which costs more than the repeats save: 1M customers by day over two years
        # have 1.4 rows per distinct row, and sorting them took 0.14 s of a 0.38 s fit.
        # Weekly or monthly data, where repeats abound, pass the test above.
        return list(columns), w
    inverse = row_key(columns)
    n_distinct = int(inverse.max(initial=-1)) + 1
    first = np.empty(n_distinct, dtype=np.intp)
    first[inverse] = np.arange(rows)
    summed = np.bincount(inverse, weights=w, minlength=n_distinct).astype(np.float64)
    return [column.take(first) for column in columns], summed


def _counting_limit(rows: int) -> int:
    """Return the most row combinations worth a table indexed by combination."""
    return max(GRID_POINTS_PER_VALUE * rows, 2**20)


def unique_rows(*columns: npt.ArrayLike) -> tuple[list[FloatArray], IntArray]:
    """Return the distinct rows of parallel columns and, per input row, its distinct-row index."""
    coded = [Coded.of(column) for column in columns]
    inverse = row_key(coded)
    first = np.empty(int(inverse.max(initial=-1)) + 1, dtype=np.intp)
    first[inverse] = np.arange(len(inverse))
    return [column.take(first).rows for column in coded], inverse


def subsample(size: int, limit: int = 50_000) -> npt.NDArray[np.intp] | None:
    """Return a fixed pseudo-random subset of row indices for a warm start, or None if small."""
    if size <= 4 * limit:
        return None
    # A fixed seed keeps fits deterministic: the same data always give the same result.
    return np.sort(np.random.default_rng(0).choice(size, limit, replace=False))


class SecondOrderObjective(Protocol):
    """A smooth objective over log-parameters with its exact gradient and Hessian."""

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return the objective and its gradient."""
        ...

    def with_hessian(self, theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        """Return the objective, its gradient and its Hessian."""
        ...


def minimize_log_params(
    objective: SecondOrderObjective,
    start: FloatArray,
    warm_objective: SecondOrderObjective | None = None,
) -> tuple[FloatArray, float]:
    """Minimise a smooth objective over log-parameters; return the optimum and its value.

    Trust-region Newton with the exact Hessian runs from the start on the warm objective
    (the same model on a subsample) when there is one, then finishes on all the data in
    two or three steps; without one it runs on all the data. When Newton reaches no
    optimum or one with a parameter beyond e^+-10, bounded L-BFGS-B runs as well, Newton
    polishes what it finds, and the better of the two is returned.
    """
    # Each full-data evaluation is a pass over every customer: L-BFGS-B needs ~50 of
    # them, Newton from the subsample optimum 3 or 4. Newton also avoids SciPy's
    # L-BFGS-B, whose small BLAS calls wake OpenBLAS threads that then spin on the
    # second core (~0.1 s of CPU per fit on this machine).
    newton = _newton_fit(objective, start, warm_objective)
    if newton is not None and np.max(np.abs(newton[0])) <= INTERIOR_LOG:
        return newton
    # No optimum, or one far out: the likelihood may keep rising towards infinity (a
    # Gamma or Beta collapsing to a point), along a ridge so flat that rounding makes
    # false minima for Newton. Bounded L-BFGS-B walks to the bound; the better is kept.
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    theta = start
    if warm_objective is not None:
        theta = lbfgsb(warm_objective, theta, bounds, ftol=1e-10, gtol=1e-6)
    theta = lbfgsb(objective, theta, bounds, ftol=1e-13, gtol=1e-8)
    polished = _newton(objective, theta, max_steps=NEWTON_POLISH_STEPS)
    found = polished if polished is not None else (theta, objective(theta)[0])
    if newton is not None and newton[1] < found[1]:
        return newton
    return found


# Optima with every parameter within e^+-10 are interior ones that Newton finds alone.
INTERIOR_LOG = 10.0


def _newton_fit(
    objective: SecondOrderObjective,
    start: FloatArray,
    warm_objective: SecondOrderObjective | None,
) -> tuple[FloatArray, float] | None:
    """Run Newton from the start (on the subsample first if any); None if it fails."""
    guess = _newton(warm_objective or objective, start, max_steps=NEWTON_MAX_STEPS)
    if guess is None or warm_objective is None:
        return guess
    return _newton(objective, guess[0], max_steps=NEWTON_POLISH_STEPS)


def lbfgsb(
    objective: Objective,
    start: FloatArray,
    bounds: list[tuple[float, float]],
    *,
    ftol: float,
    gtol: float,
) -> FloatArray:
    """Run bounded L-BFGS-B with the analytic gradient and return the parameters."""
    # maxcor 10 (scipy's default) keeps L-BFGS-B's internal matrices at 20 x 20: from
    # 40 x 40 (maxcor 20) on, OpenBLAS threads them and one 4-parameter fit took 40 ms
    # of hand-offs instead of 2 ms. Four parameters gain nothing from a longer memory.
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": ftol, "gtol": gtol, "maxcor": 10},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise FitError(f"The optimiser did not converge: {result.message}")
    return theta


# A Newton step this small leaves an error of the order of its square (quadratic
# convergence), far below any printed digit, so it is taken without another evaluation.
NEWTON_STEP_TOL = 1e-6
# From an arbitrary start (on a subsample or small data, where steps are cheap) and from
# a point already next to the optimum (on all the data, where each step is a full pass).
NEWTON_MAX_STEPS = 200
NEWTON_POLISH_STEPS = 12
TRUST_RADIUS = 1.0
TRUST_RADIUS_MAX = 4.0
# Steps shorter than this are judged by the value alone: their predicted decrease is
# at the rounding level of a sum over a million customers.
SMALL_STEP = 1e-4


def _newton(
    objective: SecondOrderObjective, theta: FloatArray, *, max_steps: int
) -> tuple[FloatArray, float] | None:
    """Run trust-region Newton with the exact Hessian; None without an interior optimum."""
    f, grad, hessian = objective.with_hessian(theta)
    radius = TRUST_RADIUS
    for _ in range(max_steps):
        finite = np.isfinite(f) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hessian))
        if not finite or radius < 1e-12:  # a collapsed region means no progress is possible
            return None
        step, is_newton = _trust_region_step(hessian, grad, radius)
        length = float(np.max(np.abs(step)))
        if is_newton and length < NEWTON_STEP_TOL:
            final = theta + step
            if np.any(np.abs(final) > LOG_BOUND):
                return None
            # The quadratic model is exact to O(|step|^3) here.
            return final, f + float(grad @ step) / 2
        candidate = theta + step
        if np.any(np.abs(candidate) > LOG_BOUND):
            return None
        f_new, g_new, h_new = objective.with_hessian(candidate)
        predicted = -float(grad @ step + step @ hessian @ step / 2)
        if not np.isfinite(f_new):
            accept = False
            radius = float(np.linalg.norm(step)) / 4
        elif is_newton and length < SMALL_STEP:
            accept = f_new <= f + 1e-13 * abs(f)
            if not accept:
                radius = float(np.linalg.norm(step)) / 4
        else:
            # How well the quadratic model predicted the decrease sets the next radius.
            ratio = (f - f_new) / predicted if predicted > 0 else -1.0
            accept = ratio > 0.1
            if ratio < 0.25:
                radius = float(np.linalg.norm(step)) / 4
            elif ratio > 0.75 and np.linalg.norm(step) > 0.99 * radius:
                radius = min(2 * radius, TRUST_RADIUS_MAX)
        if accept:
            theta, f, grad, hessian = candidate, f_new, g_new, h_new
    return None


def _trust_region_step(
    hessian: FloatArray, grad: FloatArray, radius: float
) -> tuple[FloatArray, bool]:
    """Return the step minimising the quadratic model within the radius.

    Also whether it is the plain Newton step (positive definite Hessian, step inside the
    region).
    """
    # Four parameters: an eigendecomposition is cheaper than any iterative solver and
    # gives every shifted solve (H + mu I)^-1 g at once.
    eigenvalues, vectors = np.linalg.eigh(hessian)
    g_rot = vectors.T @ grad
    if eigenvalues[0] > 0:
        step = -(vectors @ (g_rot / eigenvalues))
        if np.linalg.norm(step) <= radius:
            return step, True
    # Otherwise the step has length radius: find the shift mu > -min(eigenvalue) with
    # |(H + mu I)^-1 g| = radius by bisection (the length falls as mu grows).
    low = max(0.0, -float(eigenvalues[0]))
    high = low + float(np.linalg.norm(grad)) / radius + 1e-12
    for _ in range(100):
        mu = (low + high) / 2
        length = float(np.linalg.norm(g_rot / (eigenvalues + mu)))
        if length > radius:
            low = mu
        else:
            high = mu
        if high - low <= 1e-12 * high:
            break
    step = -(vectors @ (g_rot / (eigenvalues + high)))
    return step, False


def to_log_hessian(
    natural: FloatArray, grad_natural: FloatArray, hessian_natural: FloatArray
) -> FloatArray:
    """Return the Hessian in log-parameters from the gradient and Hessian in natural ones."""
    # d2f/dlog(u)dlog(v) = u v d2f/dudv + [u == v] u df/du
    return hessian_natural * np.outer(natural, natural) + np.diag(natural * grad_natural)
