"""The customer-value screens in real Chromium on the 2,000-contact demo: at 1280 px every
figure, column and button fits; at 390 px nothing widens the page (issue 11, section 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

SCREENS = ("/value/", "/value/ltv/", "/value/customers/", "/value/settings/")
# How far each box's content sticks out of it, in pixels (0 when it fits).
MEASURE = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  tables: [...document.querySelectorAll('#content .table-wrap')].map(w => w.scrollWidth - w.clientWidth),
  figures: [...document.querySelectorAll('.kpi')].map(k => k.scrollWidth - k.clientWidth),
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The demo as `clientela demo` loads it (2,000 contacts: figures in the hundreds of millions)."""
    with running_server(tmp_path_factory.mktemp("value-browser"), demo_contacts=2000) as running:
        yield running


def _tr(msgid: str) -> str:
    with translation.override("es"):
        return gettext(msgid)


def _sign_in(page: Page, server: RunningServer, username: str) -> None:
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")


def test_every_value_screen_fits_1280_pixels_with_every_column(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, server, "gerente")
    for path in SCREENS:
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200, path
        measured = page.evaluate(MEASURE)
        page.screenshot(path=str(shots / f"value-1280{path.replace('/', '-')}.png"), full_page=True)
        assert measured["page"] <= 0, path
        # "690.324.341 COP" stays inside its card; "Interpretación" and "Responsable" inside
        # their table instead of behind a sideways scroll.
        assert all(n <= 0 for n in measured["figures"]), (path, measured)
        assert all(n <= 0 for n in measured["tables"]), (path, measured)
    page.goto(f"{server.url}/value/customers/")
    expect(page.locator("table.value-customers th", has_text=_tr("Owner"))).to_be_in_viewport()
    page.goto(f"{server.url}/value/ltv/")
    back = page.locator(".ltv-inputs .form-actions a", has_text=_tr("Back to the data"))
    box = back.bounding_box()
    assert box is not None and box["height"] < 30, "“Volver a los datos” wraps"


def test_no_value_screen_is_wider_than_a_phone(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, server, "gerente")
    for path in SCREENS:
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200, path
        page.screenshot(path=str(shots / f"value-390{path.replace('/', '-')}.png"), full_page=True)
        measured = page.evaluate(MEASURE)
        assert measured["page"] <= 0, (path, measured)
        assert all(n <= 0 for n in measured["figures"]), (path, measured)


def test_value_settings_show_the_users_number_format_and_units(
    page: Page, server: RunningServer
) -> None:
    _sign_in(page, server, "gerente")
    page.goto(f"{server.url}/value/settings/")
    expect(page.locator("input[name=monthly_discount_rate]")).to_have_value("1")
    expect(page.get_by_text(_tr("Monthly discount rate (%)"))).to_be_visible()
    rate = page.locator("input[name=monthly_discount_rate]")
    rate.fill("1,5")
    page.locator("form.record-form button[type=submit]").click()
    expect(page.locator("input[name=monthly_discount_rate]")).to_have_value("1,5")
