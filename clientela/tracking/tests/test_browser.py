"""Real Chromium runs the tracking script on a page of ANOTHER origin (a second local HTTP
server on another port) against the production server: the page view and a CTA click are
stored, the visitor id reaches the form's hidden field, the cookie follows each consent mode,
and identify_visitor then joins the events to a contact.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clientela.testing.processes import RunningServer, free_port, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# A person's browser: headless Chromium says "HeadlessChrome", which the bot filter drops.
DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Precios</title></head>
<body><h1>Precios</h1>
<button type="button" data-clientela-cta="Ver planes">Ver planes</button>
<form id="lead"><input type="hidden" name="clientela_visitor" value=""></form>
<script src="%(server)s/t/clientela.js" data-site="%(key)s" async></script>
</body></html>"""
MAKE_SITES = """
import json
from clientela.tracking.models import TrackedSite
print(json.dumps({mode: TrackedSite.objects.create(name=mode, allowed_origins=%(origin)r,
    consent_mode=mode).key for mode in ("always", "after_consent", "never")}))
"""
COUNT = """
from clientela.tracking.models import Event
print(list(Event.objects.filter(visitor__key=%(visitor)r).order_by("id").values_list("kind", "path", "cta")))
"""
IDENTIFY = """
from clientela.contacts.models import Contact
from clientela.tracking.models import Event
from clientela.tracking.services import identify_visitor
contact = Contact.objects.create(first_name="Ana", email="ana@example.co")
print(identify_visitor(%(visitor)r, contact), Event.objects.filter(contact=contact).count())
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database."""
    with running_server(tmp_path_factory.mktemp("tracking-server")) as running:
        yield running


@pytest.fixture(scope="module")
def host(server: RunningServer) -> Iterator[tuple[str, dict[str, str]]]:
    """The company's own website: another port, so another origin, with one page per site."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    keys = json.loads(
        server.manage("shell", "-v", "0", "-c", MAKE_SITES % {"origin": origin}).stdout
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            mode = self.path.strip("/").removesuffix(".html")
            if mode not in keys:
                self.send_error(404)
                return
            body = (PAGE % {"server": server.url, "key": keys[mode]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield origin, keys
    httpd.shutdown()


@pytest.fixture
def visit(chromium: Any) -> Iterator[Any]:
    """Open a page in a fresh context with a desktop browser's user agent."""
    contexts = []

    def open_page(url: str) -> Page:
        context = chromium.new_context(user_agent=DESKTOP, locale="es-CO")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page: Page = context.new_page()
        page.goto(url)
        page.wait_for_function("typeof window.clientela === 'function'")
        return page

    yield open_page
    for context in contexts:
        context.close()


def stored(server: RunningServer, visitor: str, expected: int) -> list[Any]:
    """Poll the server's database until the visitor has `expected` events (beacons are async)."""
    deadline = time.monotonic() + 30
    rows: list[Any] = []
    while time.monotonic() < deadline:
        rows = eval(server.manage("shell", "-v", "0", "-c", COUNT % {"visitor": visitor}).stdout)  # noqa: S307
        if len(rows) >= expected:
            return rows
        time.sleep(0.5)
    return rows


def clv_cookie(page: Page, origin: str) -> str | None:
    return next((c["value"] for c in page.context.cookies(origin) if c["name"] == "clv_id"), None)


def test_the_script_on_another_origin_records_a_view_and_a_click_that_join_the_contact(
    server: RunningServer, host: tuple[str, dict[str, str]], visit: Any
) -> None:
    origin, _keys = host
    page = visit(f"{origin}/always.html")
    visitor = page.evaluate("clientela('visitor')")
    assert len(visitor) == 32
    expect(page.locator("input[name=clientela_visitor]")).to_have_value(visitor)
    page.wait_for_function("document.cookie.indexOf('clv_id=') >= 0")
    assert clv_cookie(page, origin) == visitor
    page.get_by_role("button", name="Ver planes").click()
    page.close(run_before_unload=True)  # leaving the page sends what is queued

    rows = stored(server, visitor, 2)
    assert rows == [(1, "/always.html", ""), (2, "/always.html", "Ver planes")]

    out = server.manage("shell", "-v", "0", "-c", IDENTIFY % {"visitor": visitor}).stdout.split()
    assert out == ["2", "2"]


def test_after_consent_the_cookie_waits_for_the_visitor_to_accept(
    server: RunningServer, host: tuple[str, dict[str, str]], visit: Any
) -> None:
    origin, _keys = host
    page = visit(f"{origin}/after_consent.html")
    page.wait_for_timeout(500)
    visitor = page.evaluate("clientela('visitor')")
    assert clv_cookie(page, origin) is None
    assert stored(server, visitor, 1) == [(1, "/after_consent.html", "")]
    page.evaluate("clientela('consent', true)")
    assert clv_cookie(page, origin) == visitor
    page.evaluate("clientela('consent', false)")
    assert clv_cookie(page, origin) is None


def test_never_keeps_no_cookie_and_still_counts_the_page(
    server: RunningServer, host: tuple[str, dict[str, str]], visit: Any
) -> None:
    origin, _keys = host
    page = visit(f"{origin}/never.html")
    page.wait_for_timeout(500)
    page.evaluate("clientela('consent', true)")
    visitor = page.evaluate("clientela('visitor')")
    assert clv_cookie(page, origin) is None
    assert stored(server, visitor, 1) == [(1, "/never.html", "")]
    # Each page on its own: the next page is another visitor.
    second = visit(f"{origin}/never.html")
    assert second.evaluate("clientela('visitor')") != visitor
