"""delivery-send runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.e2e]


def _check(figures, database):
    assert [f["figure"] for f in figures] == ["queued_per_s", "sent_per_s"]
    for figure in figures:
        assert figure["scenario"] == "delivery-send" and figure["database"] == database
        assert figure["size"] == 40 and figure["unit"] == "messages/s"
        assert figure["value"] > 0 and figure["baseline_value"] > 0
        assert abs(figure["ratio"] - figure["value"] / figure["baseline_value"]) < 0.01
    assert figures[1]["baseline"] == "raw smtplib, one connection, same sink"


def test_it_reports_the_sending_figures_on_sqlite_at_a_tiny_size():
    from bench.delivery_send import run

    _check(list(run(size=40, seed=1, database="sqlite")), "sqlite")


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="the PostgreSQL run needs PostgreSQL"
)
def test_it_reports_the_sending_figures_on_postgresql_at_a_tiny_size():
    from bench.delivery_send import run

    _check(list(run(size=40, seed=1, database="postgresql")), "postgresql")
