"""api-read runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

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
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="api-read needs PostgreSQL"
)
def test_it_reports_every_figure_at_a_tiny_size():
    from bench.api_read import run

    figures = run(size=300, seed=1, seconds=1, connections=2)
    assert [f["figure"] for f in figures] == [
        "contact_detail_rps",
        "contact_detail_p99",
        "contacts_api_page_p95",
        "contacts_list_page_p95",
    ]
    for figure in figures:
        assert figure["requests"] > 0
        assert figure["errors"] == 0
        assert figure["non2xx"] == 0
        assert figure["value"] > 0
