"""Speed to lead's pure figures: medians over answered leads, SLA shares over due ones."""

from __future__ import annotations

import datetime as dt

from clientela.webforms.speed import Lead, past_sla, percentile, summarise

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)


def _lead(owner: int, submitted_hours_ago: float, answered_after_minutes: float | None,
          source: str = "facebook") -> Lead:  # fmt: skip
    submitted = NOW - dt.timedelta(hours=submitted_hours_ago)
    touch = (
        None
        if answered_after_minutes is None
        else submitted + dt.timedelta(minutes=answered_after_minutes)
    )
    return Lead(submitted, owner, source, DAY, touch)


def test_it_measures_each_rep_over_answered_leads_and_counts_late_waiting_ones_as_due() -> None:
    leads = [
        _lead(1, 48, 10),
        _lead(1, 47, 30),
        _lead(1, 46, 60 * 30),  # answered after 30 h: outside the 24 h SLA
        _lead(1, 30, None),  # waiting for 30 h: due and late
        _lead(1, 2, None),  # waiting for 2 h: not due yet
        _lead(2, 10, 5),
    ]
    rows = {row.key: row for row in summarise(leads, lambda lead: lead.owner_id, NOW)}
    ana = rows[1]
    assert (ana.leads, ana.answered, ana.median_minutes, ana.p90_minutes) == (5, 3, 30, 1800)
    assert (ana.within_sla, ana.due) == (2, 4)
    assert ana.within_sla_share == 0.5
    assert rows[2].within_sla_share == 1.0
    # The slowest rep comes first.
    assert [row.key for row in summarise(leads, lambda lead: lead.owner_id, NOW)] == [1, 2]


def test_it_lists_the_leads_past_their_sla_longest_waiting_first() -> None:
    leads = [_lead(1, 30, None), _lead(2, 50, None), _lead(1, 3, None), _lead(1, 40, 5)]
    late = past_sla(leads, NOW)
    assert [round((NOW - lead.submitted_at).total_seconds() / 3600) for lead in late] == [50, 30]


def test_it_groups_by_source_and_leaves_groups_without_answers_unmeasured() -> None:
    leads = [_lead(1, 5, None, "google_ads"), _lead(1, 5, 20, "facebook")]
    rows = summarise(leads, lambda lead: lead.source, NOW)
    assert [(row.key, row.median_minutes, row.within_sla_share) for row in rows] == [
        ("facebook", 20, 1.0),
        ("google_ads", None, None),
    ]


def test_nearest_rank_percentile() -> None:
    assert percentile([5, 1, 3, 2, 4], 0.9) == 5
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert percentile([7], 0.9) == 7
