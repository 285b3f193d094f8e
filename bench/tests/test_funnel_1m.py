"""funnel-1m runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.e2e]


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="funnel-1m needs PostgreSQL"
)
def test_it_reports_the_funnel_figure_and_its_baseline_at_a_tiny_size():
    import psycopg

    from bench.funnel_1m import PG, run

    try:
        figures = run(size=2000, seed=1)
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "clientela_bench_funnel_2000" WITH (FORCE)')
    [figure] = figures
    assert figure["scenario"] == "funnel-1m" and figure["unit"] == "s" and figure["size"] == 2000
    assert figure["baseline"] == "hand-written SQL aggregates"
    # About five stays per deal, and the real path counts what the hand-written SQL counts.
    assert 4 * 2000 <= figure["stage_stays"] <= 6 * 2000
    assert figure["funnel"] == figure["funnel_baseline"]
    assert figure["funnel"][0] > figure["funnel"][-1] > 0
    assert figure["value"] > 0 and figure["baseline_value"] > 0
