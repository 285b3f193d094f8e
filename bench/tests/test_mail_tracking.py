"""mail-tracking runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = [pytest.mark.e2e]


@pytest.mark.skipif(
    shutil.which("wrk") is None and not os.environ.get("CLIENTELA_REQUIRE_BENCH"),
    reason="wrk (Debian package) is not installed",
)
@pytest.mark.skipif(
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="mail-tracking needs PostgreSQL"
)
def test_it_reports_opens_and_clicks_per_second_against_healthz_at_a_tiny_size():
    from bench.mail_tracking import run

    [figure] = run(size=200, seed=1, seconds=1, connections=2)
    assert figure["figure"] == "opens_clicks_stored_per_s"
    assert figure["errors"] == 0
    # Every answered request stored its row; requests in flight when wrk stopped (at most one
    # per connection, after the warm-up and after the load) are stored too, uncounted by wrk.
    assert figure["opens"] > 0 and figure["clicks"] > 0
    stored = figure["opens"] + figure["clicks"]
    assert figure["requests"] <= stored <= figure["requests"] + 8
    assert figure["value"] > 0 and figure["baseline_value"] > 0 and figure["ratio"] > 0
