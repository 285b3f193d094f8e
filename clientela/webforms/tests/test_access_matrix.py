"""Who may use each web form screen: the builder needs `webforms.manage` (administrators and
marketing by default; 403 for everyone else); the public endpoints answer anyone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clientela.contacts.tests.factories import ContactFactory
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row
from clientela.webforms import services
from clientela.webforms.models import Form, FormConsent, FormField, PendingConsent, Submission
from clientela.webforms.tests.factories import SubmissionFactory, webinar_form

pytestmark = pytest.mark.django_db

#                                  admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "webforms:list":              row(200, 403, 403, 403, 403, 200, 403),
    "webforms:create":            row(200, 403, 403, 403, 403, 200, 403),
    "webforms:detail":            row(200, 403, 403, 403, 403, 200, 403),
    "webforms:edit":              row(302, 403, 403, 403, 403, 302, 403),
    "webforms:status":            row(302, 403, 403, 403, 403, 302, 403),
    "webforms:preview":           row(200, 403, 403, 403, 403, 200, 403),
    "webforms:field_add":         row(302, 403, 403, 403, 403, 302, 403),
    "webforms:field_edit":        row(200, 403, 403, 403, 403, 200, 403),
    "webforms:field_remove":      row(302, 403, 403, 403, 403, 302, 403),
    "webforms:field_move":        row(302, 403, 403, 403, 403, 302, 403),
    "webforms:consent_add":       row(302, 403, 403, 403, 403, 302, 403),
    "webforms:consent_edit":      row(200, 403, 403, 403, 403, 200, 403),
    "webforms:consent_remove":    row(302, 403, 403, 403, 403, 302, 403),
    "webforms:submissions":       row(200, 403, 403, 403, 403, 200, 403),
    "webforms:submission":        row(200, 403, 403, 403, 403, 200, 403),
    "webforms:submission_export": row(200, 403, 403, 403, 403, 200, 403),
    "webforms:public":            everyone(200, anonymous=200),
    "webforms:embed":             everyone(200, anonymous=200),
    "webforms:altcha":            everyone(200, anonymous=200),
    "webforms:confirm":           everyone(200, anonymous=200),
    "webforms:public_fallback":   everyone(404, anonymous=404),
}  # fmt: skip


@dataclass
class World:
    """A published webinar form, one of its fields and consents, a submission, a pending consent."""

    form: Form
    field: FormField
    consent: FormConsent
    submission: Submission
    pending: PendingConsent


def build_world(personas: Any) -> World:
    """Build the webinar form with a processed submission awaiting its confirmation click."""
    form = webinar_form()
    consent = form.consents.get()
    submission = SubmissionFactory.create(form=form)
    pending = PendingConsent.objects.create(
        submission=submission, form_consent=consent, text_version=1,
        contact=ContactFactory.create(),
    )  # fmt: skip
    return World(form, form.fields.order_by("position").last(), consent, submission, pending)  # type: ignore[arg-type]


def default_kwargs(world: World) -> dict[str, Any]:
    """Return a value for every URL parameter the routes use."""
    return {
        "pk": world.form.pk,
        "public_id": world.form.public_id,
        "field_id": world.field.pk,
        "consent_id": world.consent.pk,
        "submission_id": world.submission.pk,
        "fmt": "csv",
        "token": services.confirmation_token(world.pending),
        "rest": "no/such/form",
    }


REQUESTS = {
    "webforms:edit": Request(
        "POST", data=lambda w: {"name": "Webinar junio", "language": "es",
                                "lifecycle_stage": "lead", "contact_source": "form"}
    ),
    "webforms:status": Request("POST", data=lambda w: {"status": "draft"}),
    "webforms:field_add": Request(
        "POST", data=lambda w: {"kind": "contact", "target": "last_name"}
    ),
    "webforms:field_remove": Request("POST"),
    "webforms:field_move": Request("POST", data=lambda w: {"direction": "up"}),
    "webforms:consent_add": Request(
        "POST", data=lambda w: {"purpose": "service", "channel": "email", "text_es": "Acepto."}
    ),
    "webforms:consent_remove": Request("POST"),
    "webforms:public_fallback": Request("GET", kwargs=lambda w: {"rest": "no/such/form"}),
}  # fmt: skip


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
