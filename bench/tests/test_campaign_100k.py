"""campaign-100k runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]


def test_it_reports_the_campaign_figures_on_sqlite_at_a_tiny_size():
    from bench.campaign_100k import run

    figures = list(run(size=40, seed=1, database="sqlite"))
    assert [f["figure"] for f in figures] == ["snapshot_per_s", "end_to_end_per_s"]
    for figure in figures:
        assert figure["scenario"] == "campaign-100k" and figure["size"] == 40
        assert figure["value"] > 0 and figure["baseline_value"] > 0
        assert abs(figure["ratio"] - figure["value"] / figure["baseline_value"]) < 0.01
    assert figures[1]["peak_rss_mb"] > 0
