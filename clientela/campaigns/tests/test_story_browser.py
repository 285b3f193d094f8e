"""Story 2 in real Chromium against the production server and its worker, with a real SMTP
server: the marketer starts a template from the gallery, prepares a bilingual newsletter with
an A/B subject to the demo's e-mail marketing audience, sees who is left out and why, sends it,
and watches the progress bar count what the worker delivered to the SMTP server.

Screenshots at 1280 px and 390 px go to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.processes import RunningServer, running_server
from clientela.testing.smtp import SmtpServer, running_smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PUBLIC = "https://crm.example.co"
HUMAN = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


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
        # Links are made for this address; the test points them at the server's port.
        "CLIENTELA_PUBLIC_URL": PUBLIC,
        # Chromium opens the message seconds after it was sent: not a prefetch here.
        "CLIENTELA_MAIL_MACHINE_OPEN_SECONDS": "0",
        "CLIENTELA_MAIL_SCANNER_CLICK_SECONDS": "0",
    }
    folder = tmp_path_factory.mktemp("campaigns-story")
    with running_server(folder, demo_contacts=200, extra_env=env) as running:
        yield running


def _shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"campaigns-{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / f"campaigns-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_marketer_sends_an_ab_newsletter_and_watches_it_go(
    page: Page, chromium: Any, server: RunningServer, smtp: SmtpServer, shots: Path
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
    campaign_url = page.url

    # A recipient opens the e-mail in a browser (the pixel reaches the server) and clicks;
    # another one's mailbox provider posts the one-click unsubscribe (RFC 8058).
    reader = chromium.new_context(user_agent=HUMAN, viewport={"width": 1280, "height": 900})
    mail = reader.new_page()
    first, second = smtp.messages[0], smtp.messages[1]
    local = first.part("text/html").replace(PUBLIC, server.url)
    with mail.expect_response(re.compile(r"/m/o/")) as pixel:
        mail.set_content(local)
    assert pixel.value.status == 200
    click = next(u for u in re.findall(r'href="([^"]+)"', local) if "/m/c/" in u)
    answer = reader.request.get(click.replace("&amp;", "&"), max_redirects=0)
    assert answer.status in (301, 302)
    one_click = re.findall(r"<(https://[^>]+)>", second.message["List-Unsubscribe"])[0]
    posted = reader.request.post(
        one_click.replace(PUBLIC, server.url), form={"List-Unsubscribe": "One-Click"}
    )
    assert posted.status == 200
    reader.close()

    # The campaign's report counts the open and the click from the real browser.
    page.goto(campaign_url.rstrip("/") + "/report/")
    expect(page.locator("[data-figure=opened] a")).to_have_text("1")
    expect(page.locator("[data-figure=clicked] a")).to_have_text("1")
    _shoot(page, shots, "report-live")

    # The unsubscribed recipient is left out of the next campaign to the same audience.
    page.goto(f"{server.url}/campaigns/new/")
    page.fill("#id_name", "Boletín de enero")
    page.select_option("#id_template", template_id.group(1))
    page.get_by_label("Audiencia de mercadeo por e-mail").first.check()
    page.get_by_role("button", name="Guardar").click()
    unsubscribed = page.locator("[data-excluded=unsubscribed] td")
    expect(unsubscribed).not_to_have_text("0")

    # The report of the demo's past newsletter.
    page.goto(f"{server.url}/campaigns/")
    page.get_by_role("link", name="Boletín de noviembre").click()
    page.get_by_role("link", name="Informe").click()
    expect(page.locator("[data-figure=recipients]")).not_to_have_text("0")
    _shoot(page, shots, "report")
    assert not problems, problems
