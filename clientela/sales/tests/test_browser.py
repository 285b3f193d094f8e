"""Real Chromium against the production server with the demo company: the manager opens the
sales section, reads the funnel with its conversions, drills from a step to the deals behind
it, and reads the plan against what was won. Selectors are ids and addresses, so the journey
reads the same in Spanish and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clientela.testing.browser import sign_in
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("sales-server"), demo_contacts=150) as running:
        yield running


def digits(text: str) -> int:
    """Return the number a count shows ("1.234" in Spanish, "1,234" in English)."""
    return int(re.sub(r"\D", "", text))


def test_the_manager_reads_the_funnel_and_drills_to_the_deals(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "gerente")
    page.locator("nav.sidebar a[href='/sales/']").click()
    page.wait_for_url(re.compile(r"/sales/$"))

    steps = page.locator("#funnel li[data-stage]")
    expect(steps.first).to_be_visible()
    counts = [digits(t) for t in steps.locator(".count").all_inner_texts()]
    assert len(counts) == 6  # five open stages and the won one of "Lotes en Florida"
    assert counts[0] > 0
    assert counts == sorted(counts, reverse=True)  # reached never grows along the funnel
    # The second step says its conversion from the first, as a percentage.
    expect(steps.nth(1).locator(".step-note")).to_contain_text("%")
    expect(page.locator("#close-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(shots / "sales-overview.png"), full_page=True)

    # Drill from the second step to the deals behind it: the list holds as many.
    steps.nth(1).locator("a").click()
    page.wait_for_url(re.compile(r"/deals/list/\?.*reached=\d+"))
    expect(page.locator("#deal-drill")).to_be_visible()
    assert digits(page.locator(".page-head .subtitle").inner_text()) == counts[1]
    page.screenshot(path=str(shots / "sales-drill.png"), full_page=True)

    # The plan: every rep of the demo has a target this month.
    page.goto(f"{server.url}/sales/plan/")
    expect(page.locator("#plan-table tbody tr")).to_have_count(3)
    expect(page.locator("#plan-edit input[name^=amount_]")).to_have_count(3)
    page.screenshot(path=str(shots / "sales-plan.png"), full_page=True)
    for name, panel in (("activity", "#activity"), ("lost", "#lost"), ("customers", "#best")):
        page.goto(f"{server.url}/sales/{name}/")
        expect(page.locator(panel)).to_be_visible()
        page.screenshot(path=str(shots / f"sales-{name}.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/sales/")
    expect(page.locator("#funnel")).to_be_visible()
    page.screenshot(path=str(shots / "sales-overview-390.png"), full_page=True)
    page.goto(f"{server.url}/sales/plan/")
    page.screenshot(path=str(shots / "sales-plan-390.png"), full_page=True)
