"""segment-1m runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e]

FIGURES = [
    "count_ms",
    "count_with_last_purchase_ms",
    "full_refresh_ms",
    "incremental_refresh_ms",
    "incremental_refresh_with_ready_made_ms",
    "builder_count_p95_ms",
    "builder_count_p95_ms",
    *["api_count_p95_ms", "api_list_p95_ms"] * 2,
]


def _check(figures: list[dict[str, Any]], database: str, size: int) -> None:
    assert [f["figure"] for f in figures] == FIGURES
    for figure in figures:
        assert figure["scenario"] == "segment-1m" and figure["database"] == database
        assert figure["size"] == size and figure["unit"] == "ms"
        assert figure["value"] > 0 and figure["baseline_value"] > 0 and figure["ratio"] > 0
    count = figures[0]
    assert count["baseline"] == "hand-written SQL count"
    incremental = [f for f in figures if f["figure"].startswith("incremental")]
    for figure in incremental:
        assert figure["consistent_with_full"] is True
        assert figure["queued"] == figure["edits"] > 0
    assert incremental[0]["segments"] == 5 and incremental[1]["segments"] > 5
    served = [f for f in figures if f.get("server") == "granian"]
    assert [f["persona"] for f in served] == ["gerente", "mercadeo"] + ["gerente"] * 2 + ["ana"] * 2
    for figure in served:
        assert figure["statuses"] == [200], figure
    # Every endpoint counts the same members for the manager and the marketer, who see every
    # contact (the server's clock may differ from the bench's by days, so the count is only
    # checked for being a count); the rep's two counts agree and are at most as many.
    everyone = {f["count"] for f in served[:4]}
    rep = {f["count"] for f in served[4:]}
    assert len(everyone) == 1 and len(rep) == 1
    assert everyone.pop() >= rep.pop() >= 0


def test_it_reports_the_segment_figures_on_sqlite_at_a_tiny_size():
    from bench.segment_1m import run

    _check(run(size=400, seed=1, database="sqlite", requests=2), "sqlite", 400)


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="the PostgreSQL run needs PostgreSQL"
)
def test_it_reports_the_segment_figures_on_postgresql_at_a_tiny_size():
    import psycopg

    from bench.segment_1m import PG, pg_name, run

    try:
        figures = run(size=400, seed=1, database="postgresql", requests=2)
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name(400)}" WITH (FORCE)')
    _check(figures, "postgresql", 400)
