"""duplicates-1m runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.e2e]


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="duplicates-1m needs PostgreSQL"
)
def test_it_reports_its_figures_at_a_tiny_size():
    from bench.duplicates_1m import run

    try:
        figures = list(run(size=400, seed=3))
    finally:
        import psycopg

        from bench.duplicates_1m import PG

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "clientela_bench_dup_400" WITH (FORCE)')
    assert figures
    for figure in figures:
        assert figure["scenario"] == "duplicates-1m"
        assert figure["value"] is not None
        assert figure["value"] >= 0
