"""RFM: quintile scores and ties, the 125-cell segment table, inactivity states."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientela.analytics.rfm import (
    SEGMENT_CODES,
    SEGMENT_LABELS,
    InactivityThresholds,
    inactivity_states,
    months_since,
    quintile_scores,
    rfm_scores,
    rfm_table,
    segment_codes,
    segment_counts,
    segment_for_cell,
)

SHORT = {
    "C": "champions",
    "L": "loyal",
    "PL": "potential_loyalists",
    "N": "new_customers",
    "P": "promising",
    "NA": "need_attention",
    "AS": "about_to_sleep",
    "AR": "at_risk",
    "CL": "cant_lose",
    "H": "hibernating",
    "X": "lost",
}

# R F: segment for M = 1 2 3 4 5 (the same table as docs/analytics.md)
EXPECTED_CELLS = """
1 1: X  X  H  H  H
1 2: X  X  H  H  H
1 3: AR AR AR AR AR
1 4: AR AR AR CL CL
1 5: AR AR AR CL CL
2 1: H  H  H  H  H
2 2: H  H  H  H  H
2 3: AR AR AR AR AR
2 4: AR AR AR CL CL
2 5: AR AR AR CL CL
3 1: AS AS AS AS AS
3 2: AS AS AS AS AS
3 3: NA NA NA NA NA
3 4: L  L  L  L  L
3 5: L  L  L  L  L
4 1: P  P  P  P  P
4 2: PL PL PL PL PL
4 3: PL PL PL PL PL
4 4: L  L  L  C  C
4 5: L  L  L  C  C
5 1: N  N  N  N  N
5 2: PL PL PL PL PL
5 3: PL PL PL PL PL
5 4: L  L  L  C  C
5 5: L  L  L  C  C
"""


@pytest.fixture(autouse=True)
def _english_labels():
    """Labels are asserted in English; the project's default language is Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _expected_table() -> dict[tuple[int, int, int], str]:
    table = {}
    for line in EXPECTED_CELLS.strip().splitlines():
        cell, segments = line.split(":")
        r, f = (int(v) for v in cell.split())
        for m, short in enumerate(segments.split(), start=1):
            table[(r, f, m)] = SHORT[short]
    return table


def test_it_maps_every_one_of_the_125_cells_to_the_documented_segment() -> None:
    expected = _expected_table()
    assert len(expected) == 125
    for (r, f, m), segment in expected.items():
        assert segment_for_cell(r, f, m) == segment, (r, f, m)
    cells = np.array(list(expected))
    vectorised = segment_codes(cells[:, 0], cells[:, 1], cells[:, 2])
    assert list(vectorised) == list(expected.values())


def test_it_uses_all_eleven_segments_with_labels() -> None:
    used = set(_expected_table().values())
    assert used == set(SEGMENT_CODES)
    assert len(SEGMENT_CODES) == 11
    assert str(SEGMENT_LABELS["cant_lose"]) == "Can't lose them"


def test_it_scores_quintiles_of_distinct_values() -> None:
    assert list(quintile_scores(np.arange(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_it_gives_tied_values_the_score_of_their_lowest_member() -> None:
    # 70 % bought once: all of them get F = 1 and twice starts at F = 4.
    values = [1] * 7 + [2, 2, 5]
    assert list(quintile_scores(values)) == [1] * 7 + [4, 4, 5]


def test_it_scores_recency_higher_for_recent_buyers() -> None:
    r, f, m = rfm_scores([1, 400, 30, 200, 90], [1, 1, 1, 1, 1], [5, 5, 5, 5, 5])
    assert list(r) == [5, 1, 4, 2, 3]
    assert list(f) == [1] * 5
    assert list(m) == [1] * 5


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=200))
def test_it_scores_deterministically_whatever_the_order(values: list[int]) -> None:
    scores = quintile_scores(values)
    assert scores.min() >= 1
    assert scores.max() <= 5
    by_value: dict[int, int] = {}
    for value, score in zip(values, scores, strict=True):
        assert by_value.setdefault(value, score) == score
    shuffled = np.random.default_rng(0).permutation(len(values))
    reordered = quintile_scores(np.asarray(values)[shuffled])
    assert list(reordered) == list(scores[shuffled])
    ordered = sorted(set(values))
    assert [by_value[v] for v in ordered] == sorted(by_value[v] for v in ordered)


def test_it_counts_customers_per_segment_including_empty_ones() -> None:
    counts = segment_counts(np.array(["lost", "lost", "champions"], dtype=object))
    assert counts["lost"] == 2
    assert counts["champions"] == 1
    assert counts["at_risk"] == 0
    assert list(counts) == list(SEGMENT_CODES)


def test_it_builds_the_rfm_table_from_transactions() -> None:
    frame = pl.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "c"],
            "date": [
                dt.date(2024, 1, 1),
                dt.date(2024, 1, 1),
                dt.date(2024, 3, 1),
                dt.date(2023, 1, 1),
                dt.date(2024, 2, 1),
            ],
            "amount": [10.0, 5.0, 20.0, 100.0, 1.0],
        }
    )
    table = rfm_table(frame, as_of=dt.date(2024, 3, 31))
    a = table.filter(pl.col("customer") == "a").row(0, named=True)
    assert a["frequency"] == 2  # two orders on 2024-01-01 are one purchase
    assert a["monetary"] == 35.0
    assert a["recency_days"] == 30
    assert a["r"] == 4  # better than 2 of 3 customers: 1 + floor(5 * 2 / 3)
    assert set(table["segment"]) <= set(SEGMENT_CODES)


def test_it_counts_whole_calendar_months_with_month_end_clamping() -> None:
    last = np.array(["2024-01-31", "2024-01-30", "2023-02-28", "2024-02-29", "2024-03-01"])
    months = months_since(last.astype("datetime64[D]"), dt.date(2024, 2, 29))
    assert list(months) == [1, 1, 12, 0, 0]


def test_it_assigns_inactivity_states_at_9_12_15_and_36_months() -> None:
    as_of = dt.date(2025, 6, 15)
    last = np.array(
        [
            "2025-06-01",
            "2024-09-16",
            "2024-09-15",
            "2024-06-15",
            "2024-03-15",
            "2022-06-16",
            "2022-06-15",
        ],
        dtype="datetime64[D]",
    )
    assert list(inactivity_states(last, as_of)) == [
        "active",
        "active",
        "inactive_9m",
        "inactive_12m",
        "inactive_15m",
        "inactive_15m",
        "churned",
    ]


def test_it_takes_configurable_inactivity_thresholds() -> None:
    limits = InactivityThresholds(inactive_9m=1, inactive_12m=2, inactive_15m=3, churned=4)
    last = np.array(["2025-05-15", "2025-02-15"], dtype="datetime64[D]")
    assert list(inactivity_states(last, dt.date(2025, 6, 15), limits)) == [
        "inactive_9m",
        "churned",
    ]
    with pytest.raises(ValueError, match="increasing"):
        InactivityThresholds(inactive_9m=12, inactive_12m=9)


def test_it_nets_refunds_in_the_rfm_table() -> None:
    d = dt.date
    frame = pl.DataFrame(
        {
            "customer": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "date": [d(2024, 1, 1), d(2024, 2, 1), d(2024, 2, 1), d(2024, 3, 1),
                     d(2024, 1, 1), d(2024, 1, 9), d(2024, 1, 5), d(2024, 3, 30)],
            "amount": [100.0, 40.0, -10.0, -30.0, 20.0, -50.0, -5.0, -1.0],
        }
    )  # fmt: skip
    table = rfm_table(frame, as_of=dt.date(2024, 3, 31))
    assert table["customer"].to_list() == ["a", "b"]  # c only ever refunded
    a, b = table.row(0, named=True), table.row(1, named=True)
    # a: 1 Jan and 1 Feb (40 - 10) are purchases; the 1 Mar refund is not the last purchase.
    assert (a["frequency"], a["last_purchase"], a["monetary"]) == (2, dt.date(2024, 2, 1), 100.0)
    assert a["recency_days"] == 59
    # b refunded more than it bought: no negative money.
    assert (b["frequency"], b["monetary"]) == (1, 0.0)
