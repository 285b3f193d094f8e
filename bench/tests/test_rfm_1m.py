"""rfm-1m runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.e2e]


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="rfm-1m needs PostgreSQL"
)
def test_it_reports_the_rfm_figure_and_its_baseline_at_a_tiny_size():
    import psycopg

    from bench.rfm_1m import PG, run

    try:
        figures = run(size=300, seed=1)
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "clientela_bench_rfm_300" WITH (FORCE)')
    assert [f["figure"] for f in figures] == ["rfm_seconds", "snapshot_with_clv_seconds"]
    rfm = figures[0]
    assert rfm["scenario"] == "rfm-1m" and rfm["unit"] == "s" and rfm["size"] == 300
    assert rfm["baseline"] == "hand-written SQL aggregate"
    assert rfm["customers"] == 300 and rfm["orders"] >= 300
    assert rfm["value"] > 0 and rfm["baseline_value"] > 0
    # Figures are rounded to milliseconds: at this size the ratio of the rounded values drifts.
    assert rfm["ratio"] == pytest.approx(rfm["value"] / rfm["baseline_value"], rel=0.2)
