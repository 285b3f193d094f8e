"""The CLV histogram's bins, stored with each snapshot, and the grid counts that add up."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from clientela.analytics.histograms import (
    GRID,
    WIDTHS,
    add_counts,
    bins_from_counts,
    grid_counts,
    histogram_bins,
)


def test_it_bins_values_up_to_the_99th_percentile_with_an_open_last_bin() -> None:
    bins = histogram_bins(np.append(np.arange(1, 1001, dtype=float), 1e6))
    assert bins[0]["low"] == 0.0
    assert bins[-1] == {"low": bins[-2]["high"], "high": None, "count": 1}  # the outlier
    assert sum(b["count"] for b in bins) == 1001
    # The 991st smallest value (991) needs twelve bins of 100: 0 … 1,200.
    assert [b["high"] for b in bins[:-1]] == [100.0 * i for i in range(1, 13)]


def test_it_leaves_customers_without_a_finite_value_out_of_the_bins() -> None:
    values = np.array([10.0, 20.0, np.nan, 30.0, np.inf])
    bins = histogram_bins(values)
    assert sum(b["count"] for b in bins) == 3
    assert histogram_bins(np.array([np.nan])) == []


def test_values_not_above_zero_fall_in_the_first_bin_or_make_one_open_bin() -> None:
    bins = histogram_bins(np.array([-50.0, 0.0, 10.0, 20.0]))
    assert bins[0]["low"] == 0.0 and bins[0]["count"] == 2  # −50 and 0 with the first bin
    assert sum(b["count"] for b in bins) == 4
    assert histogram_bins(np.array([-1.0, 0.0, 0.0])) == [{"low": 0.0, "high": None, "count": 3}]


def _brute_force(values: np.ndarray) -> list[dict[str, Any]]:
    """The same bins counted value by value, without the grid (the definition written out)."""
    values = values[np.isfinite(values)]
    if not values.size:
        return []
    top = np.sort(values)[int(np.ceil(0.99 * values.size)) - 1]  # nearest-rank percentile
    if top <= 0:
        return [{"low": 0.0, "high": None, "count": int(values.size)}]
    # Edges as exact decimals rounded once (3 × 0.05 is 0.15, not 0.15000000000000002).
    width = next((w for w in WIDTHS if top < float(12 * Fraction(repr(w)))), WIDTHS[-1])
    edges = [float(i * Fraction(repr(width))) for i in range(13)]
    out: list[dict[str, Any]] = []
    for i in range(12):
        low, high = edges[i], edges[i + 1]
        inside = (values < high) & ((values >= low) | (i == 0))
        out.append({"low": low, "high": high, "count": int(inside.sum())})
    out.append({"low": edges[12], "high": None, "count": int((values >= edges[12]).sum())})
    while out and out[-1]["count"] == 0:
        out.pop()
    return out


@pytest.mark.parametrize("seed", range(8))
def test_owners_grid_counts_add_up_to_the_histogram_of_all_their_values(seed: int) -> None:
    # Spread over decades, with values exactly on bin edges, zeros, refunds and non-numbers.
    rng = np.random.default_rng(seed)
    values = np.concatenate([
        rng.lognormal(mean=rng.uniform(2, 14), sigma=rng.uniform(0.2, 3), size=rng.integers(1, 400)),
        rng.choice([0.0, -120.0, 1000.0, 2000.0, 5e5, 0.5, np.nan], size=rng.integers(0, 30)),
    ])  # fmt: skip
    rng.shuffle(values)
    owners = np.array_split(values, rng.integers(1, 6))
    together = histogram_bins(values)
    assert together == _brute_force(values)
    assert bins_from_counts(add_counts(grid_counts(part) for part in owners)) == together
    assert sum(b["count"] for b in together) == int(np.isfinite(values).sum())


def test_widths_are_one_two_or_five_times_a_power_of_ten_and_edges_sit_on_the_grid() -> None:
    assert WIDTHS[:4] == [0.01, 0.02, 0.05, 0.1]
    assert 0.3 in set(GRID.tolist())  # 3 × 0.1 and 6 × 0.05 are one float
    bins = histogram_bins(np.array([0.05, 0.1, 0.15, 0.3]))
    assert [b["low"] for b in bins] == [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
    assert add_counts([None, grid_counts(np.array([]))]) == {"n": 0, "le0": 0, "at": {}}
    assert bins_from_counts(None) == []
