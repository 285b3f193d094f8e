"""Real Chromium: a plain HTML page served from another origin (a second local HTTP server)
embeds the form with the script snippet; the visitor sees a field error in place, fixes it,
submits, and the contact exists with the UTM of the host page's URL. Hostile values the
visitor typed stay inert on the screens a rep opens."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from clientela.contacts.models import Contact
from clientela.webforms.models import Form, Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import webinar_form

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

XSS_NAME = '<img src=x onerror="window.__xss=1">Ana'


@pytest.fixture
def host_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A second HTTP server on another port: another origin than Clientela's."""
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *args, directory=str(tmp_path)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def _quick_form(settings: Any) -> None:
    settings.CLIENTELA = {
        **settings.CLIENTELA,
        "FORM_MIN_FILL_SECONDS": 0,
        "ALTCHA_MAX_NUMBER": 500,
    }


def embed_page(folder: Path, form: Form, clientela_url: str) -> None:
    """Write the host page: some text and the snippet the builder shows."""
    (folder / "webinar.html").write_text(
        "<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Webinar</title></head>"
        "<body><h1>Inversión en finca raíz</h1>"
        f"<script src='{clientela_url}/f/{form.public_id}/embed.js' async></script>"
        "</body></html>",
        encoding="utf-8",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_quick_form")
def test_it_embeds_the_form_on_another_origin_and_submits_it(
    live_server: Any, host_site: tuple[Path, str], page: Page
) -> None:
    folder, origin = host_site
    form = webinar_form(allowed_origins=[origin])
    embed_page(folder, form, live_server.url)
    page.goto(f"{origin}/webinar.html?utm_source=facebook&utm_campaign=webinar-mayo&product=Torre")
    embedded = page.locator(".clientela-form form")
    expect(embedded).to_be_visible()
    embedded.locator("input[name=first_name]").fill(XSS_NAME)
    embedded.locator("input[name=email]").fill("ana@")
    expect(page.locator("altcha-widget input[name=altcha]")).to_have_count(1)
    page.wait_for_function(
        "() => { const i = document.querySelector('altcha-widget input[name=altcha]'); return i && i.value; }"
    )
    embedded.locator("button[type=submit]").click()
    error = embedded.locator("[data-errors-for=email]")
    expect(error).not_to_be_empty()
    assert not Contact.objects.exists()
    embedded.locator("input[name=email]").fill("ana@example.co")
    embedded.locator("button[type=submit]").click()
    expect(page.locator(".clientela-form .cf-thanks")).to_contain_text("Gracias")
    assert process_received() == 1
    contact = Contact.objects.get(email="ana@example.co")
    assert contact.first_utm_source == "facebook"
    assert contact.first_utm_campaign == "webinar-mayo"
    submission = Submission.objects.get()
    assert submission.page_url.startswith(f"{origin}/webinar.html")
    assert page.evaluate("window.__xss") is None

    # The rep's screens show the visitor's markup as text.
    admin = _admin()
    client = Client()
    client.force_login(admin)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    for path in (
        f"/contacts/{contact.pk}/",
        f"/forms/{form.pk}/submissions/",
        f"/forms/{form.pk}/submissions/{submission.pk}/",
    ):
        page.goto(live_server.url + path)
        expect(page.locator("body")).to_contain_text("onerror")
        assert page.evaluate("window.__xss") is None, path


def _admin() -> Any:
    from clientela.accounts.models import Role, User
    from clientela.accounts.services import ensure_default_roles

    ensure_default_roles()
    return User.objects.create_user(
        username="admin-web", password="Clave-segura-2026",
        role=Role.objects.get(code="administrador"),
    )  # fmt: skip
