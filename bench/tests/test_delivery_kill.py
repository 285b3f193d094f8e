"""delivery-kill runs end to end at a tiny size: killed senders and a faulty sink lose nobody."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.e2e]


def _check(figure, database):
    assert figure["scenario"] == "delivery-kill" and figure["database"] == database
    assert figure["size"] == 300 and figure["kills"] >= 1
    # Nobody lost, nothing stuck, every duplicate accounted for and within the design's bound.
    assert figure["missing"] == 0 and figure["stuck"] == 0 and figure["unexplained"] == 0
    assert figure["value"] <= figure["baseline_value"]


def test_killed_senders_lose_nobody_on_sqlite():
    from bench.delivery_kill import run

    [figure] = run(size=300, seed=3, database="sqlite")
    _check(figure, "sqlite")


@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="the PostgreSQL run needs PostgreSQL"
)
def test_killed_senders_lose_nobody_on_postgresql():
    from bench.delivery_kill import run

    [figure] = run(size=300, seed=3, database="postgresql")
    _check(figure, "postgresql")
