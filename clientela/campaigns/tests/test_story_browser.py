"""Story 2 in real Chromium against the production server and its worker, with a real SMTP
server: the marketer starts a template from the gallery, prepares a bilingual newsletter with
an A/B subject to the demo's e-mail marketing audience, sees who is left out and why, sends it,
and watches the progress bar count what the worker delivered to the SMTP server.

Screenshots at 1280 px and 390 px go to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.processes import RunningServer, running_server
from clientela.testing.smtp import SmtpServer, running_smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server the production server's worker sends to."""
    with running_smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[RunningServer]:
    """`clientela serve` with the demo company, sending to the SMTP server above."""
    env = {
        "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CLIENTELA_EMAIL_HOST": smtp.host,
        "CLIENTELA_EMAIL_PORT": str(smtp.port),
        "CLIENTELA_COMPANY_ADDRESS": "Calle 93 # 11-26, Bogotá",
    }
    folder = tmp_path_factory.mktemp("campaigns-story")
    with running_server(folder, demo_contacts=200, extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    configured = os.environ.get("CLIENTELA_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("campaign-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"campaigns-{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / f"campaigns-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_marketer_sends_an_ab_newsletter_and_watches_it_go(
    page: Page, server: RunningServer, smtp: SmtpServer, shots: Path
) -> None:
    expect.set_options(timeout=20_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill("mercadeo")
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")

    # The gallery: a newsletter in Spanish and English.
    page.get_by_role("link", name="Campañas").first.click()
    expect(page.get_by_role("heading", name="Campañas de correo")).to_be_visible()
    _shoot(page, shots, "list")
    page.get_by_role("link", name="Plantillas").first.click()
    page.locator("[data-starter=newsletter] button").click()
    expect(page.locator("input[name=subject]")).to_have_value(re.compile("Novedades"))
    _shoot(page, shots, "template-editor")
    template_url = page.url

    # The campaign: the ready-made e-mail marketing audience and the demo's fair list (whose
    # members without consent are left out), an A/B subject on 50 % of the audience.
    page.goto(f"{server.url}/campaigns/new/")
    page.fill("#id_name", "Boletín de diciembre")
    template_id = re.search(r"/templates/(\d+)/", template_url)
    assert template_id is not None
    page.select_option("#id_template", template_id.group(1))
    page.get_by_label("Audiencia de mercadeo por e-mail").first.check()
    page.get_by_label("Feria inmobiliaria Bogotá").first.check()
    page.select_option("#id_ab_target", "subject")
    page.fill("#id_subject_b_es", '{{ contacto.nombre|default:"Hola" }}, lo nuevo de diciembre')
    page.fill("#id_ab_sample_percent", "50")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("[data-count=sendable]")).to_be_visible()
    sendable = int(page.locator("[data-count=sendable]").inner_text().replace(".", ""))
    no_consent = page.locator("[data-excluded=no_consent] td").inner_text()
    assert sendable > 0 and int(no_consent.replace(".", "")) > 0
    _shoot(page, shots, "detail")

    # Send: the worker takes the audience, sends the A/B sample, the bar counts it.
    page.get_by_role("button", name="Enviar", exact=True).click()
    expect(page.locator("#campaign-progress [data-state=testing]")).to_be_visible()
    sent = page.locator("#campaign-progress [data-count=sent]")
    expect(sent).not_to_have_text("0")
    recipients = int(
        page.locator("#campaign-progress [data-count=recipients]").inner_text().replace(".", "")
    )
    assert recipients == sendable
    _shoot(page, shots, "sending")
    for _ in range(100):
        if len(smtp.messages) >= int(sent.inner_text().replace(".", "")):
            break
        page.wait_for_timeout(200)
    subjects = {m.message["Subject"] for m in smtp.messages}
    assert any("Novedades" in s or "news" in s for s in subjects)
    assert any("lo nuevo de diciembre" in s for s in subjects)
    html = smtp.messages[0].part("text/html")
    assert "Calle 93 # 11-26, Bogotá" in html

    # The report of the demo's past newsletter.
    page.goto(f"{server.url}/campaigns/")
    page.get_by_role("link", name="Boletín de noviembre").click()
    page.get_by_role("link", name="Informe").click()
    expect(page.locator("[data-figure=recipients]")).not_to_have_text("0")
    _shoot(page, shots, "report")
    assert not problems, problems
