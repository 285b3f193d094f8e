"""POST /t/events: what is taken, what is refused, and what is stored."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from clientela.contacts.tests.factories import ContactFactory
from clientela.tracking.bots import is_bot
from clientela.tracking.choices import ConsentMode, EventKind
from clientela.tracking.ingest import MAX_EVENTS
from clientela.tracking.models import Event, Visitor
from clientela.tracking.queries import forget_cached_sites
from clientela.tracking.tests.factories import TrackedSiteFactory, VisitorFactory, visitor_key

pytestmark = pytest.mark.django_db

ORIGIN = "https://www.example.co"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _fresh_sites() -> Any:
    forget_cached_sites()
    yield
    forget_cached_sites()


def batch(
    site: Any, visitor: str | None = None, events: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "site": site.key,
        "visitor": visitor or visitor_key(),
        "events": events
        if events is not None
        else [
            {
                "kind": "pageview",
                "url": f"{ORIGIN}/precios?utm_source=fb",
                "title": "Precios",
                "referrer": "https://facebook.com/",
                "ts": now,
            },
            {"kind": "click", "url": f"{ORIGIN}/precios", "cta": "Ver planes", "ts": now},
        ],
    }


def post(
    client: Client,
    body: Any,
    *,
    origin: str | None = ORIGIN,
    agent: str = BROWSER,
    raw: bool = False,
    **extra: Any,
) -> Any:
    headers: dict[str, Any] = {"HTTP_USER_AGENT": agent, **extra}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    data = body if raw else json.dumps(body)
    return client.post("/t/events", data=data, content_type="text/plain;charset=UTF-8", **headers)


def test_it_stores_a_beacon_batch_and_answers_204_with_cors(client):
    site = TrackedSiteFactory.create()
    body = batch(site)
    response = post(client, body)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    rows = list(Event.objects.order_by("id"))
    assert [(e.kind, e.path, e.cta) for e in rows] == [
        (EventKind.PAGEVIEW, "/precios", ""),
        (EventKind.CLICK, "/precios", "Ver planes"),
    ]
    assert rows[0].url == f"{ORIGIN}/precios?utm_source=fb"
    assert rows[0].referrer == "https://facebook.com/"
    assert rows[0].title == "Precios"
    assert {e.site_id for e in rows} == {site.pk}
    assert Visitor.objects.get().key == body["visitor"]
    assert all(e.contact_id is None for e in rows)


def test_it_moves_the_visitors_last_seen_and_keeps_one_row(client):
    site = TrackedSiteFactory.create()
    key = visitor_key()
    post(client, batch(site, key))
    first = Visitor.objects.get(key=key).last_seen
    post(client, batch(site, key))
    assert Visitor.objects.count() == 1
    assert Visitor.objects.get(key=key).last_seen >= first
    assert Event.objects.count() == 4


def test_it_gives_an_identified_visitors_events_the_contact(client):
    site = TrackedSiteFactory.create()
    contact = ContactFactory.create()
    visitor = VisitorFactory.create(contact=contact)
    assert post(client, batch(site, visitor.key)).status_code == 204
    assert set(Event.objects.values_list("contact_id", flat=True)) == {contact.pk}


def test_it_clamps_the_browser_clock_to_the_last_day(client):
    site = TrackedSiteFactory.create()
    events = [
        {"kind": "pageview", "url": f"{ORIGIN}/a", "ts": 0},
        {"kind": "pageview", "url": f"{ORIGIN}/b", "ts": 10**14},
    ]
    assert post(client, batch(site, events=events)).status_code == 204
    old, future = Event.objects.order_by("path")
    assert (future.received_at - future.occurred_at).total_seconds() == 0
    assert (old.received_at - old.occurred_at).total_seconds() == 86400


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.update(events=[]),
        lambda b: b.update(events=b["events"] * (MAX_EVENTS // 2 + 1)),
        lambda b: b.update(visitor="not-a-visitor-id"),
        lambda b: b.update(visitor="A" * 32),
        lambda b: b.update(site=""),
        lambda b: b["events"][0].update(kind="purchase"),
        lambda b: b["events"][0].update(url="javascript:alert(1)"),
        lambda b: b["events"][0].update(url="https://www.example.co/" + "x" * 3000),
        lambda b: b["events"][0].update(ts="yesterday"),
        lambda b: b["events"][0].update(ts=-1),
        lambda b: b["events"][1].update(cta=["a"]),
        lambda b: b["events"][1].update(cta="a\x00b"),
        lambda b: b["events"][0].pop("url"),
    ],
)
def test_it_refuses_a_malformed_batch_whole(client, change):
    site = TrackedSiteFactory.create()
    body = batch(site)
    change(body)
    response = post(client, body)
    assert response.status_code == 400
    assert response.content == b""
    assert Event.objects.count() == 0
    assert Visitor.objects.count() == 0


def test_it_cuts_long_titles_and_cta_labels_to_their_columns(client):
    site = TrackedSiteFactory.create()
    events = [{"kind": "click", "url": f"{ORIGIN}/", "cta": "c" * 500, "title": "t" * 500, "ts": 1}]
    assert post(client, batch(site, events=events)).status_code == 204
    event = Event.objects.get()
    assert (len(event.cta), len(event.title)) == (200, 300)


@pytest.mark.parametrize(
    "body", [b"", b"null", b"{", b"[]", b"\xff\xfe", b'{"site": 1}', b"[" * 5000]
)
def test_it_answers_400_to_garbage(client, body):
    assert post(client, body, raw=True).status_code == 400


def test_it_answers_413_past_the_size_limit(client):
    site = TrackedSiteFactory.create()
    body = batch(site)
    body["padding"] = "x" * 70_000
    assert post(client, body).status_code == 413
    assert Event.objects.count() == 0


def test_it_answers_404_without_detail_for_an_unknown_or_paused_site(client):
    site = TrackedSiteFactory.create(is_active=False)
    other = TrackedSiteFactory.build(key="k" * 24)
    for target in (site, other):
        response = post(client, batch(target))
        assert response.status_code == 404
        assert response.content == b""
    assert Event.objects.count() == 0


def test_it_refuses_pages_of_origins_the_site_does_not_allow(client):
    site = TrackedSiteFactory.create(
        allowed_origins="https://www.example.co\nhttps://landing.example.co"
    )
    assert post(client, batch(site), origin="https://evil.example").status_code == 403
    assert post(client, batch(site), origin="null").status_code == 403
    assert post(client, batch(site), origin="https://landing.example.co").status_code == 204
    # Without an Origin header (not a browser page) the key alone decides.
    assert post(client, batch(site), origin=None).status_code == 204
    assert Event.objects.count() == 4


def test_it_answers_preflights_only_for_allowed_origins(client):
    TrackedSiteFactory.create()
    allowed = client.options(
        "/t/events", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert allowed["Access-Control-Allow-Headers"] == "Content-Type"
    refused = client.options("/t/events", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused


def test_it_takes_json_posted_by_fetch(client):
    site = TrackedSiteFactory.create()
    response = client.post(
        "/t/events",
        data=batch(site),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_USER_AGENT=BROWSER,
    )
    assert response.status_code == 204
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
    ],
)
def test_it_drops_bots_silently(client, agent):
    site = TrackedSiteFactory.create()
    assert post(client, batch(site), agent=agent).status_code == 204
    assert Event.objects.count() == 0
    assert Visitor.objects.count() == 0


def test_it_takes_browsers_for_people():
    assert not is_bot(BROWSER)
    assert not is_bot(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    )


def test_it_limits_batches_per_ip(client, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "TRACK_RATE": "3/m"}
    site = TrackedSiteFactory.create()
    statuses = [post(client, batch(site)).status_code for _ in range(5)]
    assert statuses == [204, 204, 204, 429, 429]
    # Another address has its own allowance.
    assert post(client, batch(site), REMOTE_ADDR="10.1.2.3").status_code == 204
    assert Event.objects.count() == 8


def test_it_refuses_other_methods(client):
    assert client.get("/t/events").status_code == 405
    assert client.put("/t/events").status_code == 405


def test_it_serves_the_script_cacheable_with_its_content_type(client):
    response = client.get("/t/clientela.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=" in response["Cache-Control"]
    body = response.content.decode()
    assert len(response.content) < 8 * 1024
    assert "sendBeacon" in body and "clv_id" in body and "data-clientela-cta" in body
    # No third party: the only address it talks to is the server that served it.
    assert "http://" not in body.replace("https://crm.example.co", "")
    assert "https://" not in body.replace("https://crm.example.co", "")


def test_it_tells_the_script_the_sites_consent_mode(client):
    site = TrackedSiteFactory.create(consent_mode=ConsentMode.NEVER)
    response = client.get(f"/t/sites/{site.key}.json")
    assert response.json() == {"consent": "never"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get("/t/sites/unknownunknownunknown.json").status_code == 404
    assert client.get("/t/sites/%00.json").status_code in (400, 404)


def test_it_counts_the_address_a_proxy_names_when_told_to(client, settings):
    settings.CLIENTELA = {
        **settings.CLIENTELA,
        "TRACK_RATE": "1/m",
        "CLIENT_IP_HEADER": "X-Real-IP",
    }
    site = TrackedSiteFactory.create()
    assert post(client, batch(site), HTTP_X_REAL_IP="203.0.113.7").status_code == 204
    assert post(client, batch(site), HTTP_X_REAL_IP="203.0.113.8").status_code == 204
    assert post(client, batch(site), HTTP_X_REAL_IP="203.0.113.7").status_code == 429
    # Not an address: the connection's address counts.
    assert post(client, batch(site), HTTP_X_REAL_IP="nonsense").status_code == 204
    assert post(client, batch(site), HTTP_X_REAL_IP="nonsense").status_code == 429
    # One IPv6 client is its /64.
    assert post(client, batch(site), HTTP_X_REAL_IP="2001:db8::1").status_code == 204
    assert post(client, batch(site), HTTP_X_REAL_IP="2001:db8::2").status_code == 429
