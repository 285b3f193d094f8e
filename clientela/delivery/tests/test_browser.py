"""Real processes end to end: a message queued in the production server's database is sent by
its worker to a real SMTP server (aiosmtpd in this test), and in real Chromium an administrator
opens the outbox and the message, whose HTML carries a script: the HTML shows in its sandboxed
frame, the script never runs, and no screen breaks the Content-Security-Policy. Screenshots at
1280 px and 390 px go to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clientela.testing.processes import RunningServer, running_server
from clientela.testing.smtp import SmtpServer, running_smtp_server

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
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server the production server's worker sends to."""
    with running_smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with an administrator and one queued e-mail."""
    env = {
        "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CLIENTELA_EMAIL_HOST": smtp.host,
        "CLIENTELA_EMAIL_PORT": str(smtp.port),
    }
    with running_server(tmp_path_factory.mktemp("outbox-server"), extra_env=env) as running:
        running.manage("shell", "-c", SETUP)
        yield running


def test_the_worker_sends_and_an_admin_reads_the_message_sandboxed(
    page: Page, server: RunningServer, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
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

    # The server's worker was woken when the message was queued and sent it.
    for _ in range(150):
        if smtp.messages:
            break
        page.wait_for_timeout(200)
    [received] = smtp.messages
    assert received.recipients == ["ana@example.co"]
    assert "Hola Ana" in received.part("text/html") and "Hola Ana" in received.part("text/plain")

    page.get_by_role("link", name="Mensajes").first.click()
    expect(page.locator("h1")).to_have_text("Mensajes")
    expect(page.locator("table.list .badge")).to_have_text("Enviado")
    page.screenshot(path=str(folder / "outbox-1280.png"), full_page=True)
    page.locator("table.list a").first.click()
    expect(page.locator("h1")).to_have_text("Bienvenida <b>Ana</b>")
    expect(page.locator(".message-headers")).to_contain_text(str(received.message["Message-ID"]))
    expect(page.locator("body")).to_contain_text("queued as")
    frame = page.frame_locator("iframe.message-preview")
    expect(frame.locator("#saludo")).to_have_text("Hola Ana")
    assert page.title() != "PWNED"
    page.screenshot(path=str(folder / "message-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "message-390.png"), full_page=True)
    assert not [p for p in problems if "sandbox" not in p.lower()], problems
