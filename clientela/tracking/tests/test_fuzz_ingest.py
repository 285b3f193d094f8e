"""POST /t/events under ≥ 10,000 hostile requests: never a 5xx, never part of a batch.

A bounded random generator (seeded: every run sends the same requests) bends real batches in
one or more places: the shared harness's hostile strings and numbers, wrong types, nesting,
sizes past every limit, broken and truncated JSON, bytes that are not UTF-8, lone surrogate
escapes, NUL, other and paused sites' keys, other origins, form and multipart bodies, bots.
After each request the event and visitor tables either grew by the whole batch (204 from a
browser) or did not change at all. CLIENTELA_TRACK_FUZZ_EXAMPLES sets the count (10,000).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest

from clientela.testing.fuzz import NUMBERS, PAYLOADS, deep_json
from clientela.tracking.models import Event, Visitor
from clientela.tracking.queries import forget_cached_sites
from clientela.tracking.tests.factories import TrackedSiteFactory

EXAMPLES = int(os.environ.get("CLIENTELA_TRACK_FUZZ_EXAMPLES", "10000"))
ORIGIN = "https://www.example.co"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
KEYS = ("kind", "url", "referrer", "title", "cta", "ts")
HOSTILE: list[Any] = [
    *PAYLOADS, *NUMBERS, "\x00", "a\x00b", "\ud800", "a\udfffb", "x" * 10_000, "", " ",
    "javascript:alert(1)", "https://", "http://a", "ftp://x.co/", "https://x.co/\ud800",
    ORIGIN + "/" + "é" * 2100, ORIGIN + "/" + "x" * 2040, "pageview", "click", "PAGEVIEW",
    -1, 0, 10**15, 2**63, 2**64, 10**400, -(2**63) - 1, 1.5, 1e308, True, False, None,
    [], {}, [1, 2], {"a": {"b": []}}, ["pageview"], deep_json(50),
]  # fmt: skip
CONTENT_TYPES = ["text/plain;charset=UTF-8"] * 4 + [
    "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
]  # fmt: skip


def good_event(n: int) -> dict[str, Any]:
    return {
        "kind": "click" if n % 2 else "pageview",
        "url": f"{ORIGIN}/p/{n}?utm_source=fb",
        "referrer": "https://facebook.com/",
        "title": "Página",
        "cta": "Ver precios" if n % 2 else "",
        "ts": 1_765_000_000_000 + n,
    }


def hostile_request(rng: random.Random, keys: tuple[str, str]) -> tuple[bytes, dict[str, str]]:
    """One request body and its headers: a real batch bent in 0 to 3 places."""
    body: Any = {
        "site": rng.choice([keys[0]] * 6 + [keys[1], "", "x" * 24]),
        "visitor": rng.choice(["a" * 32, "0123456789abcdef" * 2, "A" * 32]),
        "events": [good_event(n) for n in range(rng.choice([1, 1, 2, 3, 10, 50, 51, 0]))],
    }
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        where = rng.choice(["site", "visitor", "events", "event", "event", "drop", "extra"])
        events = body.get("events")
        targets = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
        if where == "event" and targets:
            rng.choice(targets)[rng.choice(KEYS)] = rng.choice(HOSTILE)
        elif where == "drop" and targets:
            rng.choice(targets).pop(rng.choice(KEYS), None)
        elif where == "extra":
            body[str(rng.choice(HOSTILE))[:50]] = rng.choice(HOSTILE)
        elif where in body:
            body[where] = rng.choice(HOSTILE)
    shape = rng.choice(["json"] * 6 + ["bytes", "cut", "escaped", "list"])
    if shape == "bytes":
        raw = rng.randbytes(rng.randint(0, 300))
    elif shape == "list":
        raw = json.dumps([body]).encode()
    elif shape == "cut":
        text = json.dumps(body, default=str)
        raw = text[: rng.randint(0, len(text))].encode()
    elif shape == "escaped":
        raw = json.dumps(body, default=str).encode()  # surrogates and NUL as \\u escapes
    else:
        raw = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    headers = {
        "HTTP_USER_AGENT": rng.choice([BROWSER] * 4 + ["Googlebot/2.1", "", "\x00" * 3]),
        "content_type": rng.choice(CONTENT_TYPES),
    }
    origin = rng.choice([ORIGIN] * 5 + [None, "https://evil.example", "null", ""])
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    return raw, headers


@pytest.mark.django_db
def test_it_survives_ten_thousand_hostile_batches_whole_or_not_at_all(client, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "TRACK_RATE": "100000000/m"}
    forget_cached_sites()
    site = TrackedSiteFactory.create()
    paused = TrackedSiteFactory.create(is_active=False)
    rng = random.Random(13)
    counts = {"stored": 0, "refused": 0, "bots": 0}
    events, visitors = Event.objects.count(), Visitor.objects.count()
    try:
        for _ in range(EXAMPLES):
            raw, headers = hostile_request(rng, (site.key, paused.key))
            content_type = headers.pop("content_type")
            response = client.generic(
                "POST", "/t/events", raw, content_type=content_type, **headers
            )
            after = (Event.objects.count(), Visitor.objects.count())
            what = f"{response.status_code} {raw[:300]!r} {headers}"
            assert response.status_code < 500, what
            if response.status_code == 204 and after != (events, visitors):
                assert after[0] - events == len(json.loads(raw)["events"]), what
                assert after[1] - visitors in (0, 1), what
                counts["stored"] += 1
            else:
                assert after == (events, visitors), what
                counts["refused" if response.status_code != 204 else "bots"] += 1
            events, visitors = after
    finally:
        forget_cached_sites()
    # Every outcome is reached: a fuzz test that never stores anything proves little.
    assert all(counts.values()), counts
    assert sum(counts.values()) >= EXAMPLES
