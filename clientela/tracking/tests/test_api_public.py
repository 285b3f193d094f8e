"""POST /t/events answers as the OpenAPI document says.

Each test sends exactly what the document describes (`clientela.testing.openapi` refuses a
request that does not match it) and checks the answer against the document and the status
the test expects, so the description cannot drift from the view.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from clientela.testing.openapi import call_documented
from clientela.tracking.ingest import MAX_EVENTS
from clientela.tracking.models import Event
from clientela.tracking.queries import forget_cached_sites
from clientela.tracking.tests.factories import TrackedSiteFactory, visitor_key

pytestmark = pytest.mark.django_db

EVENTS = "/t/events"
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


def batch(key: str, *, events: int = 2, title: str = "Precios") -> dict[str, Any]:
    now = int(time.time() * 1000)
    pages = [
        {"kind": "pageview", "url": f"{ORIGIN}/precios?utm_source=fb",
         "referrer": "https://www.facebook.com/", "title": title, "ts": now - 4000},
        {"kind": "click", "url": f"{ORIGIN}/precios", "cta": "Ver planes", "ts": now},
    ]  # fmt: skip
    return {"site": key, "visitor": visitor_key(), "events": (pages * events)[:events]}


def send(body: Any, media_type: str = "application/json", **headers: str) -> Any:
    return call_documented(
        "POST", EVENTS, media_type=media_type, body=body,
        headers={"User-Agent": BROWSER, "Origin": ORIGIN, **headers},
    )  # fmt: skip


def test_the_documented_json_batch_is_taken_with_204() -> None:
    site = TrackedSiteFactory.create()
    response = send(batch(site.key))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == [ORIGIN]
    assert Event.objects.filter(site=site).count() == 2


def test_the_documented_text_plain_batch_of_send_beacon_is_taken_with_204() -> None:
    site = TrackedSiteFactory.create()
    response = send(json.dumps(batch(site.key, events=MAX_EVENTS)), "text/plain")
    assert response.status_code == 204
    assert Event.objects.filter(site=site).count() == MAX_EVENTS


def test_the_documented_refusals_400_403_404_413() -> None:
    site = TrackedSiteFactory.create()
    assert send("this is not a batch", "text/plain").status_code == 400
    assert send(batch(site.key), Origin="https://evil.example").status_code == 403
    assert send(batch("k" * 22)).status_code == 404
    huge = batch(site.key, events=MAX_EVENTS, title="x" * 4000)  # titles are cut, the body not
    assert send(huge).status_code == 413
    assert not Event.objects.exists()


def test_the_documented_batch_answers_429_past_the_rate(settings: Any) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "TRACK_RATE": "1/m"}
    site = TrackedSiteFactory.create()
    assert [send(batch(site.key)).status_code for _ in range(2)] == [204, 429]


def test_a_known_bot_gets_204_and_nothing_is_stored() -> None:
    site = TrackedSiteFactory.create()
    response = send(batch(site.key), **{"User-Agent": "Googlebot/2.1 (+http://www.google.com)"})
    assert response.status_code == 204 and not Event.objects.exists()
