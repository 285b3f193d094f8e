"""The Content-Security-Policy in real Chromium: no screen needs an inline script, and the
behaviour moved out of inline handlers still works (issue 11, 5.10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

SCREENS = (
    "/",
    "/contacts/",
    "/contacts/companies/",
    "/contacts/duplicates/",
    "/contacts/trash/",
    "/orders/",
    "/orders/rates/",
    "/orders/spend/",
    "/value/",
    "/audit/",
    "/accounts/profile/",
    "/accounts/users/",
    "/accounts/departments/",
    "/api/docs",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` with a small demo company."""
    with running_server(tmp_path_factory.mktemp("csp-server"), demo_contacts=40) as running:
        yield running


def test_no_screen_breaks_the_content_security_policy(page: Any, server: RunningServer) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill("admin")
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
    for screen in SCREENS:
        response = page.goto(f"{server.url}{screen}")
        assert response is not None and response.status == 200, screen
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        page.wait_for_load_state("networkidle")
    assert page.locator("#swagger-ui .info").count() == 1  # the API docs rendered
    assert not violations, violations

    # A select that submitted its form through an inline onchange now does it from app.js.
    page.goto(f"{server.url}/contacts/")
    with page.expect_navigation():
        page.locator("header.topbar select[name=language]").select_option("en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert not violations, violations
