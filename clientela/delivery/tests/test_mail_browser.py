"""Real processes and real Chromium: a marketing e-mail sent through a real SMTP server is
opened in Chromium from what the server received; its pixel and a link reach the production
server (`clientela serve`), which counts an open and a click; the preference page opens in the
contact's language and saves topics; the RFC 8058 one-click POST unsubscribes; an
administrator sees the address on the suppression list. Screenshots at 1280 px and 390 px
go to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder).

The links are made for CLIENTELA_PUBLIC_URL; the server's port is only known once it runs, so
the test points the received links at it (scheme, host and port only: the signed part is the
path and the query)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from clientela.testing.processes import RunningServer, running_server
from clientela.testing.smtp import SmtpServer, running_smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PASSWORD = "Clave-segura-2026"
PUBLIC = "https://crm.example.co"
HUMAN = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SEND = """
import sys
from clientela.accounts.models import User
from clientela.contacts.models import Consent, Contact
from clientela.delivery.kinds import register_kind
from clientela.delivery.services import queue_email
from clientela.delivery.services.sending import send_due
User.objects.create_superuser("raiz", "raiz@example.co", "{password}")
register_kind("delivery.newsletter_e2e", "Boletín", marketing=True)
for email, language in (("ana@example.co", "es"), ("john@example.co", "en")):
    contact = Contact.objects.create(first_name=email.split("@")[0], email=email, language=language)
    Consent.objects.create(contact=contact, channel="email", purpose="marketing", status="granted", source="form")
    queue_email(
        to=email, subject="Novedades de diciembre", kind="delivery.newsletter_e2e", contact=contact,
        language=language, purpose="newsletter",
        html='<html><body><h1 id="titulo">Novedades</h1><p><a id="oferta" href="{target}">Ver la oferta</a></p></body></html>',
    )
print(send_due(owner="e2e"))
"""
REPORT = """
import json
from clientela.contacts.models import Consent
from clientela.delivery.models import MessageEvent, Suppression, TopicOptOut
from clientela.delivery.services.engagement import post_events
from clientela.timeline.models import Event
post_events()
print(json.dumps({
    "events": sorted([e.message.to_address, e.kind, e.machine] for e in MessageEvent.objects.select_related("message")),
    "suppressed": sorted(Suppression.objects.values_list("email", "reason")),
    "optouts": sorted(TopicOptOut.objects.values_list("email", "topic")),
    "consent": sorted(Consent.objects.filter(status="withdrawn").values_list("contact__email", "source")),
    "timeline": sorted(Event.objects.filter(verb__startswith="message_").values_list("verb", flat=True)),
}))
"""


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """The real SMTP server the marketing e-mails go to."""
    with running_smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database; two marketing e-mails sent to the SMTP server."""
    env = {
        "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CLIENTELA_EMAIL_HOST": smtp.host,
        "CLIENTELA_EMAIL_PORT": str(smtp.port),
        "CLIENTELA_PUBLIC_URL": PUBLIC,
        "CLIENTELA_MAIL_BOUNCE_DOMAIN": "rebotes.example.co",
        # Chromium opens the message a second after it was sent: not a prefetch here.
        "CLIENTELA_MAIL_MACHINE_OPEN_SECONDS": "0",
        "CLIENTELA_MAIL_SCANNER_CLICK_SECONDS": "0",
    }
    with running_server(tmp_path_factory.mktemp("mail-server"), extra_env=env) as running:
        target = f"{running.url}/healthz"
        running.manage("shell", "-c", SEND.format(password=PASSWORD, target=target))
        yield running


def _local(url: str, server: RunningServer) -> str:
    return url.replace(PUBLIC, server.url)


def test_opens_clicks_preferences_and_one_click_unsubscribe_in_chromium(
    chromium: Any, server: RunningServer, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    expect.set_options(timeout=15_000)
    folder = Path(os.environ.get("CLIENTELA_SCREENSHOTS") or tmp_path_factory.mktemp("mail"))
    by_address = {received.recipients[0]: received for received in smtp.messages}
    ana, john = by_address["ana@example.co"], by_address["john@example.co"]
    assert ana.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_unsubscribe = re.findall(r"<(https://[^>]+)>", ana.message["List-Unsubscribe"])[0]

    context = chromium.new_context(user_agent=HUMAN, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Ana reads the e-mail: the pixel loads from the server, then she clicks the offer.
    html = _local(ana.part("text/html"), server)
    assert "/m/o/" in html and "/m/c/" in html
    with page.expect_response(re.compile(r"/m/o/")) as pixel:
        page.set_content(html)
    assert pixel.value.status == 200
    expect(page.locator("#titulo")).to_have_text("Novedades")
    with page.expect_navigation():
        page.locator("#oferta").click()
    assert page.url == f"{server.url}/healthz"

    # Her preference page, in Spanish: she keeps promotions only.
    page.goto(_local(https_unsubscribe, server))
    expect(page.locator("h1")).to_have_text("Preferencias de correo")
    page.screenshot(path=str(folder / "mail-preferences-es-1280.png"), full_page=True)
    page.get_by_label("Boletín").uncheck()
    page.get_by_role("button", name="Guardar preferencias").click()
    expect(page.locator("[role=status]")).to_have_text("Sus preferencias quedaron guardadas.")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "mail-preferences-es-390.png"), full_page=True)

    # John's mailbox provider posts the one-click unsubscribe (RFC 8058): no page, no cookie.
    john_url = re.findall(r"<(https://[^>]+)>", john.message["List-Unsubscribe"])[0]
    answer = context.request.post(_local(john_url, server), form={"List-Unsubscribe": "One-Click"})
    assert answer.status == 200
    page.goto(_local(john_url, server))
    expect(page.locator("h1")).to_have_text("E-mail preferences")
    expect(page.locator("[role=status]")).to_contain_text("You are unsubscribed")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(folder / "mail-preferences-en-1280.png"), full_page=True)

    # A forged link answers 404 and changes nothing.
    forged = re.sub(r"/[\w-]{22}/$", "/AAAAAAAAAAAAAAAAAAAAAA/", _local(john_url, server))
    assert context.request.post(forged, form={"List-Unsubscribe": "One-Click"}).status == 404

    report = json.loads(server.manage("shell", "-c", REPORT).stdout.strip().splitlines()[-1])
    assert ["ana@example.co", "open", False] in report["events"]
    assert ["ana@example.co", "click", False] in report["events"]
    assert ["john@example.co", "unsubscribe", False] in report["events"]
    assert report["suppressed"] == [["john@example.co", "unsubscribed"]]
    assert report["optouts"] == [["ana@example.co", "newsletter"]]
    assert report["consent"] == [["john@example.co", "unsubscribe: one-click"]]
    assert {"message_opened", "message_clicked", "message_unsubscribed"} <= set(report["timeline"])

    # The administrator finds John on the suppression list.
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill("raiz")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("link", name="Lista de supresión").first.click()
    expect(page.locator("table.list")).to_contain_text("john@example.co")
    expect(page.locator("table.list")).to_contain_text("Dado de baja")
    page.screenshot(path=str(folder / "suppressions-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / "suppressions-390.png"), full_page=True)
    context.close()
    assert not problems, problems
