"""Shared fitting plumbing: column coding, row compression and the Newton optimiser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientela.analytics.clv.fitting import (
    Coded,
    _grid_codes,
    compress_coded,
    minimize_log_params,
    row_key,
)

GRIDS = {
    "counts": np.array([0.0, 3, 1, 1, 98, 0, 7]),
    "weeks": np.arange(0, 730, 3) / 7.0,
    "months": np.array([365, 30, 400, 12, 0]) / (365.25 / 12),
    "negative": np.array([-2.5, 0.0, 2.5, -2.5, 10.0]),
    "irregular": np.array([0.1, 0.2, 0.7, 1e9, np.pi]),
    "one value": np.full(5, 4.2),
    "with nan": np.array([1.0, np.nan, 2.0, np.nan]),
}

ON_GRID = {"counts", "weeks", "months", "negative", "one value"}


@pytest.mark.parametrize("name", list(GRIDS))
def test_it_codes_a_column_like_numpy_unique(name: str) -> None:
    column = GRIDS[name]
    coded = Coded.of(column)
    values, codes = np.unique(column, return_inverse=True)
    np.testing.assert_array_equal(coded.values, values)
    np.testing.assert_array_equal(coded.codes, codes)
    np.testing.assert_array_equal(coded.rows, column)
    # Counts and days in any unit take the linear-time path; the others fall back.
    assert (_grid_codes(column) is not None) == (name in ON_GRID)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-50, 5_000), min_size=1, max_size=60),
    st.sampled_from([1.0, 7.0, 30.4375, 0.1, 3.0]),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_it_codes_any_grid_exactly(steps: list[int], unit: float, origin: float) -> None:
    column = origin + np.array(steps, dtype=np.float64) / unit
    coded = Coded.of(column)
    values, codes = np.unique(column, return_inverse=True)
    np.testing.assert_array_equal(coded.values, values)
    np.testing.assert_array_equal(coded.codes, codes)


def test_it_numbers_row_combinations_in_order_with_either_method() -> None:
    rng = np.random.default_rng(1)
    small = [Coded.of(rng.integers(0, 5, 1_000).astype(float)) for _ in range(2)]
    wide = [Coded.of(rng.uniform(0, 1, 1_000)) for _ in range(3)]  # 1e9 combinations
    for columns in (small, wide):
        key = row_key(columns)
        tuples = np.stack([c.rows for c in columns], axis=1)
        _, expected = np.unique(tuples, axis=0, return_inverse=True)
        np.testing.assert_array_equal(key, expected.ravel())


def test_it_compresses_identical_rows_into_summed_weights() -> None:
    columns = [Coded.of([1.0, 2.0, 1.0, 1.0]), Coded.of([5.0, 5.0, 5.0, 6.0])]
    (first, second), weights = compress_coded(columns, weights=[1.0, 2.0, 3.0, 4.0])
    assert list(zip(first.rows, second.rows, weights, strict=True)) == [
        (1.0, 5.0, 4.0),
        (1.0, 6.0, 4.0),
        (2.0, 5.0, 2.0),
    ]


class _Bowl:
    """f = sum(c_i (exp(theta_i) - m_i)^2): an interior optimum at log(m)."""

    total = 1.0

    def __init__(self, m: np.ndarray) -> None:
        self.m = m

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g, _ = self.with_hessian(theta)
        return f, g

    def with_hessian(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        u = np.exp(theta)
        r = u - self.m
        return float(r @ r), 2 * r * u, np.diag(2 * u * u + 2 * r * u)


def test_it_reaches_an_interior_optimum_from_far_away() -> None:
    target = np.array([1e-3, 5.0, 2e4])
    theta, value = minimize_log_params(_Bowl(target), np.zeros(3))
    np.testing.assert_allclose(np.exp(theta), target, rtol=1e-9)
    assert value == pytest.approx(0.0, abs=1e-12)


def test_it_leaves_rows_alone_when_repeats_would_need_a_sort() -> None:
    rng = np.random.default_rng(2)
    columns = [Coded.of(rng.uniform(0, 1, 2_000)) for _ in range(3)]  # 8e9 combinations
    same, weights = compress_coded(columns, weights=np.full(2_000, 3.0))
    assert [c.codes.tolist() for c in same] == [c.codes.tolist() for c in columns]
    assert weights.tolist() == [3.0] * 2_000
