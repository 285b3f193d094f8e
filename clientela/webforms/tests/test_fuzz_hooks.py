"""10,000 generated requests against the inbound lead hooks: no 5xx, nothing half-stored.

A seeded generator mixes correctly signed requests carrying hostile values (Google with its
key, the JSON webhook with a fresh HMAC, Meta with a valid signature over odd notices) with
forged, stale, truncated and mistyped ones and wrong content types. A refusal stores nothing;
an accepted request stores at most one submission per lead, and every stored submission ends
processed (with its contact) or failed (with its error).
"""

from __future__ import annotations

import json
import random
import string
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.testing.fake_meta import fake_graph, signature
from clientela.testing.fuzz import NUMBERS, PAYLOADS
from clientela.webforms.choices import LeadSourceKind, SubmissionState
from clientela.webforms.inbound import signed
from clientela.webforms.models import Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import LeadSourceFactory

pytestmark = pytest.mark.django_db

REQUESTS = 10_000
VALUES: list[Any] = [
    *PAYLOADS, *NUMBERS, "", "ana@example.co", "+57 300 123 4567", "x" * 3000, "\x00",
    None, True, 0, -1, 1.5, [], {}, {"a": [1]}, "Bogotá",
]  # fmt: skip
COLUMNS = ["FULL_NAME", "EMAIL", "PHONE_NUMBER", "CITY", "COUNTRY", "X", "", None, 7]


def _value(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 30)))
    return rng.choice(VALUES)


def _google(rng: random.Random, key: str, n: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lead_id": rng.choice([f"g{n % 700}", _value(rng)]),
        "google_key": key if rng.random() < 0.8 else _value(rng),
        "user_column_data": [
            {"column_id": rng.choice(COLUMNS), "string_value": _value(rng)}
            for _ in range(rng.randint(0, 5))
        ] if rng.random() < 0.9 else _value(rng),
        "is_test": _value(rng),
    }  # fmt: skip
    if rng.random() < 0.7:
        body["user_column_data"] = [
            {"column_id": "EMAIL", "string_value": f"g{n % 300}@example.co"},
            *(body["user_column_data"] if isinstance(body["user_column_data"], list) else []),
        ]
    return body


def _notice(rng: random.Random, n: int) -> dict[str, Any]:
    change: dict[str, Any] = {
        "field": rng.choice(["leadgen", "leadgen", "feed", _value(rng)]),
        "value": {"leadgen_id": rng.choice([f"{n % 50}", _value(rng)])},
    }
    return {"object": rng.choice(["page", "page", "user", _value(rng)]),
            "entry": [{"changes": [change] if rng.random() < 0.9 else _value(rng)}]}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "HOOK_RATE_IP": "1000000/m"}


def test_the_hooks_survive_ten_thousand_generated_requests(settings: Any) -> None:
    rng = random.Random(20261206)
    sources = {kind: LeadSourceFactory.create(kind=kind) for kind in LeadSourceKind.values}
    sources["webhook"].mapping = {"email": "email", "first_name": "name", "city": "x.y"}
    sources["webhook"].id_path = "id"
    sources["webhook"].save()
    urls = {
        kind: reverse({"meta": "webforms:hook_meta", "google": "webforms:hook_google",
                       "webhook": "webforms:hook_json"}[kind],
                      kwargs={"public_id": source.public_id})
        for kind, source in sources.items()
    }  # fmt: skip
    client = Client()
    accepted = 0
    with fake_graph(access_token="EAAtoken", app_secret="meta-app-secret") as graph:
        settings.CLIENTELA = {**settings.CLIENTELA, "META_GRAPH_URL": graph.url}
        for n in range(50):
            if n % 3:
                graph.add_lead(str(n), {"email": f"m{n}@example.co", "full_name": _value(rng)
                                        if isinstance(_value(rng), str) else "Ana"})  # fmt: skip
        for number in range(REQUESTS):
            kind = rng.choice(list(LeadSourceKind.values))
            source = sources[kind]
            roll = rng.random()
            headers: dict[str, Any] = {}
            if kind == "google":
                body = json.dumps(_google(rng, source.secret, number), default=str).encode()
            elif kind == "webhook":
                doc = {
                    "id": rng.choice([f"w{number % 400}", _value(rng)]),
                    "email": rng.choice([f"w{number % 200}@example.co", _value(rng)]),
                    "name": _value(rng),
                    "x": rng.choice([{"y": _value(rng)}, _value(rng)]),
                }
                body = json.dumps(doc, default=str).encode()  # fmt: skip
                stamp = int(time.time()) - rng.choice([0, 0, 0, 1000])
                secret = source.secret if roll < 0.8 else "forged"
                headers["HTTP_X_CLIENTELA_SIGNATURE"] = signed.sign(body, secret, stamp)
            else:
                body = json.dumps(_notice(rng, number), default=str).encode()
                secret = source.app_secret if roll < 0.8 else "forged"
                headers["HTTP_X_HUB_SIGNATURE_256"] = signature(body, secret)
            mangle = rng.random()
            if mangle < 0.05:
                body = body[: rng.randint(0, len(body))]
            elif mangle < 0.08:
                body = rng.choice([b"", b"\xff\xfe", b'{"a":' * 200, b"null", b"[]"])
            content_type = "application/json" if rng.random() < 0.95 else "text/plain"
            before = Submission.objects.count()
            response = client.post(urls[kind], body, content_type=content_type, **headers)
            what = f"#{number} {kind} → {response.status_code}"
            assert response.status_code < 500, what
            after = Submission.objects.count()
            if response.status_code >= 400:
                assert after == before, f"{what} refused but stored"
            else:
                assert 0 <= after - before <= 1, what
                accepted += after - before
        process_received()  # the worker fetches Meta's leads from the fake Graph API
    assert accepted > 100
    assert not Submission.objects.filter(state=SubmissionState.RECEIVED).exists()
    assert not Submission.objects.filter(
        state=SubmissionState.PROCESSED, contact__isnull=True
    ).exists()
    assert not Submission.objects.filter(state=SubmissionState.FAILED, error="").exists()
