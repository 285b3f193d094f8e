"""Real Chromium against the production server: an administrator opens the outbox and a
message whose HTML carries a script; the HTML shows in its sandboxed frame, the script never
runs, and no screen breaks the Content-Security-Policy. Screenshots at 1280 px and 390 px go
to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PASSWORD = "Clave-segura-2026"
SETUP = f"""
from clientela.accounts.models import User
from clientela.delivery.services import queue_email
User.objects.create_superuser("raiz", "raiz@example.co", "{PASSWORD}")
queue_email(
    to="ana@example.co",
    subject="Bienvenida <b>Ana</b>",
    html="<h1 id='saludo'>Hola Ana</h1><p>Gracias.</p><script>parent.document.title='PWNED'</script>",
    kind="delivery.test",
)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with an administrator and one queued e-mail."""
    with running_server(tmp_path_factory.mktemp("outbox-server")) as running:
        running.manage("shell", "-c", SETUP)
        yield running


def test_an_admin_reads_a_message_whose_html_stays_sandboxed(
    page: Page, server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    expect.set_options(timeout=15_000)
    folder = Path(os.environ.get("CLIENTELA_SCREENSHOTS") or tmp_path_factory.mktemp("outbox"))
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog {dialog.message}"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill("raiz")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")

    page.get_by_role("link", name="Mensajes").first.click()
    expect(page.locator("h1")).to_have_text("Mensajes")
    page.screenshot(path=str(folder / "outbox-1280.png"), full_page=True)
    page.get_by_role("link", name="ana@example.co").first.is_visible()
    page.locator("table.list a").first.click()
    expect(page.locator("h1")).to_have_text("Bienvenida <b>Ana</b>")
    frame = page.frame_locator("iframe.message-preview")
    expect(frame.locator("#saludo")).to_have_text("Hola Ana")
    assert page.title() != "PWNED"
    page.screenshot(path=str(folder / "message-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "message-390.png"), full_page=True)
    assert not [p for p in problems if "sandbox" not in p.lower()], problems
