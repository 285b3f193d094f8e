"""The CLV histogram's bins, stored with each snapshot."""

from __future__ import annotations

import numpy as np

from clientela.analytics.queries import histogram_bins


def test_it_bins_values_up_to_the_99th_percentile_with_an_open_last_bin() -> None:
    bins = histogram_bins(np.append(np.arange(1, 1001, dtype=float), 1e6))
    assert bins[0]["low"] == 0.0
    assert bins[-1] == {"low": bins[-2]["high"], "high": None, "count": 1}  # the outlier
    assert sum(b["count"] for b in bins) == 1001


def test_it_leaves_customers_without_a_finite_value_out_of_the_bins() -> None:
    values = np.array([10.0, 20.0, np.nan, 30.0, np.inf])
    bins = histogram_bins(values)
    assert sum(b["count"] for b in bins) == 3
    assert histogram_bins(np.array([np.nan])) == []
