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
    assert first["errors"] == 0 and first["requests"] > 0 and first["non2xx"] == 0
    # Each body is a new visitor, posted once: every answered request stored one submission
    # (plus the ones still in flight when wrk stopped counting, one per connection).
    assert first["requests"] <= first["stored"] <= first["requests"] + 2
    # The server's own worker made every one a contact while the posts went on (none failed,
    # none left), and followed every one up: routed to a rep, e-mails queued.
    assert first["failed"] == 0 and first["received_after_worker"] == 0
    assert first["processed"] == first["stored"] == first["followed_up"]
    assert first["assigned"] == first["stored"]
    assert first["emails_queued"] >= first["stored"]
    # End to end: what was followed up over the seconds from the first post to the last one.
    end_to_end = figures[1]
    assert first["end_to_end_seconds"] > 0
    assert end_to_end["value"] == pytest.approx(
        first["followed_up"] / first["end_to_end_seconds"], rel=0.02
    )
