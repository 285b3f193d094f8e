"""value-pages runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e]

MANAGER_PAGES = [
    "dashboard_p95", "ltv_p95", "settings_p95", "customers_p95", "customers_segment_p95",
    "cohorts_p95", "contact_card_p95", "export_segments_p95", "export_channels_p95",
    "export_customers_segment_p95",
]  # fmt: skip
REP_PAGES = [
    "dashboard_p95", "ltv_p95", "customers_p95", "customers_segment_p95", "cohorts_p95",
    "contact_card_p95",
]  # fmt: skip


def _check(figures: list[dict[str, Any]], database: str) -> None:
    pages = [f for f in figures if f["figure"] != "snapshot_seconds"]
    assert [f["figure"] for f in pages if f["persona"] == "gerente"] == MANAGER_PAGES
    assert [f["figure"] for f in pages if f["persona"] == "ana"] == REP_PAGES
    for figure in pages:
        assert figure["scenario"] == "value-pages" and figure["database"] == database
        assert figure["statuses"] == [200], figure
        assert figure["value"] > 0 and figure["baseline_value"] > 0
        assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline_value"], rel=0.2)


def test_it_reports_every_value_page_on_sqlite_at_a_tiny_size():
    from bench.value_pages import run

    _check(run(size=60, seed=1, database="sqlite", requests=2), "sqlite")


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="the PostgreSQL run needs PostgreSQL"
)
def test_it_reports_every_value_page_on_postgresql_at_a_tiny_size():
    import psycopg

    from bench.value_pages import PG, run

    try:
        figures = run(size=300, seed=1, database="postgresql", requests=2)
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "clientela_bench_value_300" WITH (FORCE)')
    _check(figures, "postgresql")
    snapshot = [f for f in figures if f["figure"] == "snapshot_seconds"]
    assert len(snapshot) == 1 and snapshot[0]["value"] > 0
