"""form-submit runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

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
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="form-submit needs PostgreSQL"
)
def test_it_reports_its_figures_and_stores_every_submission_once():
    from bench.form_submit import run

    figures = run(size=600, seed=1, seconds=1, connections=2)
    assert [f["figure"] for f in figures] == [
        "submissions_per_second", "end_to_end_per_second", "submission_p99",
    ]  # fmt: skip
    first = figures[0]
    assert first["errors"] == 0 and first["requests"] > 0
    # Each body is a new visitor, posted once: every answered request stored one
    # submission (plus the ones still in flight when wrk stopped counting, one per connection).
    assert first["non2xx"] == 0
    # The requests only stored: every new submission waited received for the worker, which
    # processed them all (none failed, none left) and followed every one up.
    assert first["failed_at_stop"] == 0 and first["received_at_stop"] == first["stored"]
    assert first["failed"] == 0 and first["received_after_worker"] == 0
    assert first["stored"] == first["processed"]
    assert first["requests"] <= first["stored"] <= first["requests"] + 2
    # The worker followed every one up: routed to a rep, e-mails queued.
    assert first["not_followed_up"] == 0 and first["worker_per_second"] > 0
    assert first["assigned"] == first["stored"]
    assert first["emails_queued"] >= first["stored"]
    # End to end counts only what was followed up, over posting plus the worker's time after.
    end_to_end = figures[1]
    followed = first["processed"] - first["not_followed_up"]
    seconds = first["posting_seconds"] + first["worker_jobs_seconds"]
    assert 0 < first["worker_jobs_seconds"] <= first["follow_up_seconds"]
    assert end_to_end["value"] == pytest.approx(followed / seconds, rel=0.02)
