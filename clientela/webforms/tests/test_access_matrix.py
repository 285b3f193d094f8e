"""Who may use each web form screen: the builder needs `webforms.manage` (administrators and
marketing by default; 403 for everyone else); the public endpoints answer anyone."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from clientela.contacts.tests.factories import ContactFactory
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row
from clientela.webforms import services
from clientela.webforms.choices import LeadSourceKind
from clientela.webforms.models import (
    AssignmentRule,
    Form,
    FormConsent,
    FormField,
    LandingPage,
    LeadSource,
    PageImage,
    PendingConsent,
    Submission,
)
from clientela.webforms.services import assigning, pages
from clientela.webforms.tests.factories import LeadSourceFactory, SubmissionFactory, webinar_form

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
    # Lead routing and speed to lead: `webforms.route_leads` (administrators and managers).
    "webforms:rules":             row(200, 200, 403, 403, 403, 403, 403),
    "webforms:rule_create":       row(200, 200, 403, 403, 403, 403, 403),
    "webforms:rule_edit":         row(200, 200, 403, 403, 403, 403, 403),
    "webforms:rule_delete":       row(302, 302, 403, 403, 403, 403, 403),
    "webforms:rule_move":         row(302, 302, 403, 403, 403, 403, 403),
    "webforms:speed":             row(200, 200, 403, 403, 403, 403, 403),
    # Lead sources and landing pages: `webforms.manage`.
    "webforms:sources":           row(200, 403, 403, 403, 403, 200, 403),
    "webforms:source_create":     row(200, 403, 403, 403, 403, 200, 403),
    "webforms:source_edit":       row(200, 403, 403, 403, 403, 200, 403),
    "webforms:source_delete":     row(302, 403, 403, 403, 403, 302, 403),
    "webforms:pages":             row(200, 403, 403, 403, 403, 200, 403),
    "webforms:page_create":       row(200, 403, 403, 403, 403, 200, 403),
    "webforms:page_edit":         row(200, 403, 403, 403, 403, 200, 403),
    "webforms:page_settings":     row(200, 403, 403, 403, 403, 200, 403),
    "webforms:page_preview":      row(200, 403, 403, 403, 403, 200, 403),
    "webforms:page_status":       row(302, 403, 403, 403, 403, 302, 403),
    "webforms:page_delete":       row(302, 403, 403, 403, 403, 302, 403),
    "webforms:image_upload":      row(302, 403, 403, 403, 403, 302, 403),
    "webforms:block_add":         row(302, 403, 403, 403, 403, 302, 403),
    "webforms:block_save":        row(302, 403, 403, 403, 403, 302, 403),
    "webforms:block_move":        row(302, 403, 403, 403, 403, 302, 403),
    # Public: a published page and its images for anyone; the hooks prove the sender instead.
    "webforms:landing":           everyone(200, anonymous=200),
    "webforms:page_image":        everyone(200, anonymous=200),
    "webforms:hook_meta":         everyone(200, anonymous=200),
    "webforms:hook_google":       everyone(400, anonymous=400),
    "webforms:hook_json":         everyone(400, anonymous=400),
}  # fmt: skip


@dataclass
class World:
    """A published webinar form, one of its fields and consents, a submission, a pending consent;
    a routing rule, a lead source per kind, a published landing page with an image."""

    form: Form
    field: FormField
    consent: FormConsent
    submission: Submission
    pending: PendingConsent
    rule: AssignmentRule
    sources: dict[str, LeadSource]
    page: LandingPage
    image: PageImage


def build_world(personas: Any) -> World:
    """Build the webinar form with a processed submission awaiting its confirmation click."""
    form = webinar_form()
    consent = form.consents.get()
    submission = SubmissionFactory.create(form=form)
    pending = PendingConsent.objects.create(
        submission=submission, form_consent=consent, text_version=1,
        contact=ContactFactory.create(),
    )  # fmt: skip
    admin = personas.admin
    rule = assigning.save_rule(
        None, actor=admin, data={"name": "Todos", "members": [personas.rep.pk], "task_es": "Llamar"}
    )
    sources = {
        kind: LeadSourceFactory.create(kind=kind, form=form) for kind in LeadSourceKind.values
    }
    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, "PNG")
    image = pages.upload_image(actor=admin, raw=picture.getvalue(), name="x.png")
    page = pages.create_page(actor=admin, data={"slug": "webinar", "title_es": "Webinar"})
    page = pages.update_page(page, actor=admin, data={"blocks": [
        *page.blocks, {"type": "image", "image": image.token}, {"type": "form", "form": form.public_id},
    ]})  # fmt: skip
    pages.set_page_status(page, actor=admin, status="published")
    field = form.fields.order_by("position").last()
    assert field is not None
    return World(form, field, consent, submission, pending, rule, sources, page, image)


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
    "webforms:rule_edit": Request(kwargs=lambda w: {"pk": w.rule.pk}),
    "webforms:rule_delete": Request("POST", kwargs=lambda w: {"pk": w.rule.pk}),
    "webforms:rule_move": Request("POST", kwargs=lambda w: {"pk": w.rule.pk},
                                  data=lambda w: {"direction": "up"}),
    "webforms:source_edit": Request(kwargs=lambda w: {"pk": w.sources["google"].pk}),
    "webforms:source_delete": Request("POST", kwargs=lambda w: {"pk": w.sources["google"].pk}),
    "webforms:page_edit": Request(kwargs=lambda w: {"pk": w.page.pk}),
    "webforms:page_settings": Request(kwargs=lambda w: {"pk": w.page.pk}),
    "webforms:page_preview": Request(kwargs=lambda w: {"pk": w.page.pk}),
    "webforms:page_status": Request("POST", kwargs=lambda w: {"pk": w.page.pk},
                                    data=lambda w: {"status": "published"}),
    "webforms:page_delete": Request("POST", kwargs=lambda w: {"pk": w.page.pk}),
    "webforms:image_upload": Request("POST", kwargs=lambda w: {"pk": w.page.pk}),
    "webforms:block_add": Request("POST", kwargs=lambda w: {"pk": w.page.pk},
                                  data=lambda w: {"kind": "heading"}),
    "webforms:block_save": Request("POST", kwargs=lambda w: {"pk": w.page.pk, "index": 0},
                                   data=lambda w: {"b0-text_es": "Hola", "b0-level": "1"}),
    "webforms:block_move": Request("POST", kwargs=lambda w: {"pk": w.page.pk, "index": 1},
                                   data=lambda w: {"action": "up"}),
    "webforms:landing": Request(kwargs=lambda w: {"slug": w.page.slug}),
    "webforms:page_image": Request(kwargs=lambda w: {"token": w.image.token,
                                                     "extension": w.image.extension}),
    "webforms:hook_meta": Request(
        kwargs=lambda w: {"public_id": w.sources["meta"].public_id},
        query=lambda w: f"?hub.mode=subscribe&hub.challenge=42&hub.verify_token={w.sources['meta'].verify_token}",
    ),
    "webforms:hook_google": Request("POST", kwargs=lambda w: {"public_id": w.sources["google"].public_id}),
    "webforms:hook_json": Request("POST", kwargs=lambda w: {"public_id": w.sources["webhook"].public_id}),
}  # fmt: skip


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
