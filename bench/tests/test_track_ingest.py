"""track-ingest runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

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
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="track-ingest needs PostgreSQL"
)
def test_it_reports_events_per_second_against_copy_at_a_tiny_size():
    from bench.track_ingest import run

    [figure] = run(size=1000, seed=1, seconds=1, connections=2)
    assert figure["figure"] == "events_stored_per_s"
    assert figure["errors"] == 0 and figure["non2xx"] == 0
    assert figure["events"] > 0 and figure["events"] % 50 == 0
    assert figure["value"] > 0 and figure["baseline_value"] > 0 and figure["ratio"] > 0
    assert figure["copied_rows"] == min(figure["events"], 1000)
