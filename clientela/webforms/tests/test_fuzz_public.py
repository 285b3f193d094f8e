"""10,000 generated requests against the public submit endpoint: no 5xx, no partial record.

A bounded random generator (seeded, so a failure repeats) mixes hostile answers that pass the
anti-spam checks (a genuine render token and a solved ALTCHA challenge) with junk: no token,
wrong types, nested JSON, lone surrogates, NUL, huge values, other content types. After every
request the counts of submissions and contacts move together with the answer: a refusal adds
nothing, an acceptance adds at most one submission, and every stored submission ends processed
(with its contact) or failed (with its error) — never half-done.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.models import Consent, Contact
from clientela.testing.fuzz import NUMBERS, PAYLOADS
from clientela.webforms.choices import SubmissionState
from clientela.webforms.models import Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import answer, webinar_form

pytestmark = pytest.mark.django_db

REQUESTS = 10_000
VALUES: list[Any] = [
    *PAYLOADS, *NUMBERS, "", " ", "ana@example.co", "ANA@EXAMPLE.CO", "3001234567",
    "+57 300 123 4567", "x" * 3000, "\x00", "\ud800", "1990-02-30", "2990-01-01", "es", "en",
    None, True, 0, -1, 1.5, [], {}, ["a", "b"], {"a": {"b": [1]}}, "on", "Bogotá",
]  # fmt: skip
NAMES = ["first_name", "email", "phone", "city", "utm_source", "utm_medium", "utm_campaign",
         "product", "phone_country", "website", "_page", "_referrer", "clientela_visitor",
         "language", "__proto__", "", "consent_0"]  # fmt: skip


def _encodable(value: Any) -> bool:
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _value(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))
    return rng.choice(VALUES)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "FORM_RATE_IP": "1000000/m",
                          "FORM_RATE_FORM": "1000000/m", "ALTCHA_MAX_NUMBER": 20}  # fmt: skip


def test_it_survives_ten_thousand_generated_submissions() -> None:
    rng = random.Random(20261206)
    form = webinar_form()
    consent = f"consent_{form.consents.get().pk}"
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    client = Client()
    accepted = 0
    for number in range(REQUESTS):
        fields = {rng.choice([*NAMES, consent]): _value(rng) for _ in range(rng.randint(0, 8))}
        kind = rng.random()
        before = (Submission.objects.count(), Contact.objects.count())
        if kind < 0.35:  # passes the anti-spam checks; the values are hostile
            data = answer(form, **{"email": f"p{number % 500}@example.co", **fields})
            data.pop("website", None) if rng.random() < 0.9 else None
            response = client.post(
                url, json.dumps(data, default=str), content_type="application/json"
            )
        elif kind < 0.55:
            data = answer(
                form, **{k: v for k, v in fields.items() if isinstance(v, str) and _encodable(v)}
            )
            response = client.post(url, data, HTTP_ACCEPT="application/json")
        elif kind < 0.75:
            response = client.post(
                url, json.dumps(fields, default=str), content_type="application/json"
            )
        elif kind < 0.85:
            body = rng.choice([b"[]", b"null", b"{", b"\xff\xfe", b'{"a":' * 300, b'"x"', b"1e999"])
            response = client.post(url, body, content_type="application/json")
        elif kind < 0.95:
            response = client.post(url, {k: str(v) for k, v in fields.items() if _encodable(v)})
        else:
            response = client.post(
                url, b"x=" + b"y" * 70_000, content_type="application/x-www-form-urlencoded"
            )
        what = f"#{number} → {response.status_code}"
        assert response.status_code < 500, what
        after = (Submission.objects.count(), Contact.objects.count())
        if response.status_code >= 400:
            assert after == before, f"{what} refused but stored {before} → {after}"
        else:
            assert after[0] - before[0] in (0, 1) and after[1] - before[1] in (0, 1), what
            accepted += after[0] - before[0]
        if number % 97 == 96:  # the worker, in batches of random sizes, over hostile values
            process_received(batch=rng.randint(1, 40))
    process_received()
    assert accepted > 100
    assert not Submission.objects.filter(state=SubmissionState.RECEIVED).exists()
    processed = Submission.objects.filter(state=SubmissionState.PROCESSED)
    assert not processed.filter(contact__isnull=True).exists()
    assert not Submission.objects.filter(state=SubmissionState.FAILED, error="").exists()
    assert not Consent.objects.exclude(contact__in=processed.values("contact")).exists()
