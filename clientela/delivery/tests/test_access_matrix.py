"""Access matrix of the outbox routes.

The outbox is an administration screen: `delivery.view_messages` and
`delivery.manage_messages` go to administrators by default, so every other role gets 404 (the
screen does not exist for them) and anonymous visitors are sent to sign in.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clientela.delivery.choices import MessageState
from clientela.delivery.links import CLICK, OPEN, UNSUBSCRIBE, sign
from clientela.delivery.tests.factories import MessageFactory, SuppressionFactory
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

TARGET = "https://tienda.example.co/"


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("lista.csv", b"email\nuno@example.co\n", content_type="text/csv")


pytestmark = pytest.mark.django_db

#                                      admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "delivery:message_list":      row(200,  404,    404, 404, 404,      404,     404),
    "delivery:message_detail":    row(200,  404,    404, 404, 404,      404,     404),
    "delivery:message_cancel":    row(302,  404,    404, 404, 404,      404,     404),
    "delivery:message_retry":     row(302,  404,    404, 404, 404,      404,     404),
    "delivery:suppression_list":  row(200,  404,    404, 404, 404,      404,     404),
    "delivery:suppression_add":   row(302,  404,    404, 404, 404,      404,     404),
    "delivery:suppression_import": row(302, 404,    404, 404, 404,      404,     404),
    "delivery:suppression_remove": row(302, 404,    404, 404, 404,      404,     404),
    "delivery:suppression_export": row(200, 404,    404, 404, 404,      404,     404),
    # The public links of sent e-mail: signed per message, the same for everyone.
    "mail:open":                  everyone(200, anonymous=200),
    "mail:click":                 everyone(302, anonymous=302),
    "mail:preferences":           everyone(200, anonymous=200),
    # Provider webhooks refuse every call without the basic-auth secret (anymail: 400).
    "mail:postmark_webhook":      everyone(400, anonymous=400),
    "mail:brevo_webhook":         everyone(400, anonymous=400),
    "mail:mailjet_webhook":       everyone(400, anonymous=400),
    "mail:sparkpost_webhook":     everyone(400, anonymous=400),
}  # fmt: skip

REQUESTS = {
    "delivery:message_cancel": Request("POST"),
    "delivery:message_retry": Request("POST", kwargs=lambda w: {"pk": w.failed.pk}),
    "delivery:suppression_add": Request(
        "POST", data=lambda w: {"email": "x@example.co", "reason": "manual"}
    ),
    "delivery:suppression_import": Request(
        "POST", data=lambda w: {"file": _upload(), "reason": "manual"}
    ),
    "delivery:suppression_remove": Request(
        "POST", kwargs=lambda w: {"pk": w.suppression.pk}, data=lambda w: {"reason": "error"}
    ),
    "delivery:suppression_export": Request(kwargs=lambda w: {"fmt": "csv"}),
    **{
        f"mail:{esp}_webhook": Request("POST", data=lambda w: {"x": "1"})
        for esp in ("postmark", "brevo", "mailjet", "sparkpost")
    },
    "mail:open": Request(
        kwargs=lambda w: {"token": w.queued.token, "sig": sign(OPEN, w.queued.token)}
    ),
    "mail:click": Request(
        kwargs=lambda w: {"token": w.queued.token, "sig": sign(CLICK, w.queued.token, TARGET)},
        query=lambda w: f"?u={quote(TARGET, safe='')}",
    ),
    "mail:preferences": Request(
        kwargs=lambda w: {"token": w.queued.token, "sig": sign(UNSUBSCRIBE, w.queued.token)}
    ),
}


def build_world(personas: Any) -> SimpleNamespace:
    """A queued and a failed message."""
    return SimpleNamespace(
        suppression=SuppressionFactory.create(),
        queued=MessageFactory.create(),
        failed=MessageFactory.create(state=MessageState.FAILED, last_error="550 no"),
    )


def default_kwargs(world: SimpleNamespace) -> dict[str, Any]:
    """The queued message for every route taking a pk."""
    return {"pk": world.queued.pk}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
