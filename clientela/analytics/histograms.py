"""The CLV histogram: equal bins up to the 99th percentile and one open bin above.

The bins are read from *counts on a fixed grid* rather than from the values themselves, so the
counts of several owners' customers add up to the counts of all of them, and a department's
histogram comes from its members' stored counts exactly as it would from their rows:

- the grid holds every edge a histogram may draw: i × w for i = 1 … 12 and every bin width w
  of 1, 2 or 5 times a power of ten (a cent to 5 × 10^15); each value is counted in the grid
  interval that holds it (values ≤ 0 apart);
- the bin width is the smallest w whose twelve bins end above the 99th percentile, taken by
  the nearest-rank method (the ⌈0.99 n⌉-th smallest value): a test of counts, not of values;
- each bin's count is a difference of two counts "below an edge", the open bin holds the rest.

Customers without a finite CLV (no model value) are left out of the bins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

BINS = 12
# Bin widths: 1, 2 and 5 times 10^k for these k.
DECADES = range(-2, 16)
FACTORS = (1, 2, 5)


def _exact(multiple: int, power: int) -> float:
    """Return multiple × 10^power as the nearest float.

    Integer arithmetic and one correctly rounded division: the same number written two ways
    (10 × 10^k and 1 × 10^(k+1)) is the same float, so grid and edges always agree.
    """
    return float(multiple * 10**power) if power >= 0 else multiple / 10**-power


WIDTHS = sorted({_exact(factor, power) for power in DECADES for factor in FACTORS})
# Each width's bin edges, 0 to 12 widths.
_EDGES = {
    _exact(factor, power): [_exact(i * factor, power) for i in range(BINS + 1)]
    for power in DECADES
    for factor in FACTORS
}
GRID = np.array(sorted({edge for edges in _EDGES.values() for edge in edges if edge > 0}))
_POSITION = {float(edge): i for i, edge in enumerate(GRID)}


def histogram_key(channel: str, segment: str) -> str:
    """Return the key of a stored histogram: channel and segment filters ("" for every one)."""
    return f"{channel}|{segment}"


def grid_counts(values: np.ndarray) -> dict[str, Any]:
    """Count finite values on the grid: {"n", "le0": values ≤ 0, "at": {interval: count}}.

    Interval j holds the values with exactly j grid points at or below them (only non-empty
    intervals are kept, keyed by text for JSON).
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    intervals = np.bincount(np.searchsorted(GRID, positive, side="right"), minlength=0)
    return {
        "n": int(values.size),
        "le0": int(values.size - positive.size),
        "at": {str(j): int(c) for j, c in enumerate(intervals) if c},
    }


def add_counts(parts: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """Return the grid counts of several sets of values (None: an empty one) added up."""
    total: dict[str, Any] = {"n": 0, "le0": 0, "at": {}}
    for part in parts:
        if not part:
            continue
        total["n"] += part["n"]
        total["le0"] += part["le0"]
        for j, count in part["at"].items():
            total["at"][j] = total["at"].get(j, 0) + count
    return total


def bins_from_counts(counts: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return the histogram's bins ({"low", "high", "count"}; the last open) from grid counts."""
    n = int(counts["n"]) if counts else 0
    if not counts or n == 0:
        return []
    rank = math.ceil(0.99 * n)
    if counts["le0"] >= rank:  # the 99th percentile is not above zero: one bin holds everyone
        return [{"low": 0.0, "high": None, "count": n}]
    per_interval = np.zeros(GRID.size + 1, dtype=np.int64)
    for j, count in counts["at"].items():
        per_interval[int(j)] += count
    # below[j]: values strictly below GRID[j] (an interval index is the grid points ≤ value).
    below = counts["le0"] + np.cumsum(per_interval)

    def under(edge: float) -> int:
        return int(below[_POSITION[edge]]) if edge > 0 else 0

    width = next((w for w in WIDTHS if under(_EDGES[w][BINS]) >= rank), WIDTHS[-1])
    edges = _EDGES[width]
    out: list[dict[str, Any]] = [
        {
            "low": edges[i],
            "high": edges[i + 1],
            # under(0) is 0: the first bin also holds the values ≤ 0 (no negative bin).
            "count": under(edges[i + 1]) - under(edges[i]),
        }
        for i in range(BINS)
    ]
    out.append({"low": edges[BINS], "high": None, "count": n - under(edges[BINS])})
    while out and out[-1]["count"] == 0:
        out.pop()
    return out


def histogram_bins(values: np.ndarray) -> list[dict[str, Any]]:
    """Return the histogram of these CLV values (the bins their grid counts give)."""
    return bins_from_counts(grid_counts(values))
