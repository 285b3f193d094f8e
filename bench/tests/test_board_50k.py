"""board-50k runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

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
    not os.environ.get("CLIENTELA_TEST_DATABASE_URL"), reason="board-50k needs PostgreSQL"
)
def test_it_reports_the_board_and_move_figures():
    from bench.board_50k import run

    figures = run(size=700, seed=1, seconds=1, connections=2)
    assert [f["figure"] for f in figures] == ["board_manager_p95", "board_rep_p95", "move_rps"]
    for figure in figures:
        assert figure["errors"] == 0 and figure["non2xx"] == 0 and figure["requests"] > 0
        assert figure["value"] > 0 and figure["baseline_value"] > 0
    # Every move kept exactly one open stay per deal.
    assert figures[0]["deals_with_other_than_one_open_stay"] == 0
