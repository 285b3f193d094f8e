"""The web forms API, mounted at /api/v1/forms.

Adapters over webforms.queries and webforms.services; every operation needs the
`webforms.manage` capability (403 without it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from clientela.accounts.api_auth import actor
from clientela.contacts.choices import LifecycleStage, Source
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.webforms import services
from clientela.webforms.choices import FormStatus, SubmissionSource, SubmissionState
from clientela.webforms.models import Form, Submission
from clientela.webforms.queries import (
    form_parts,
    forms_visible_to,
    get_form_for_user,
    may_manage_forms,
    submissions_of,
)

forms_router = Router(tags=["forms"])


class FieldOut(Schema):
    """One field of a form."""

    name: str = Field(description="The input's name in the public form and in JSON posts")
    kind: str
    target: str
    hidden_source: str
    required: bool
    label_es: str
    label_en: str


class ConsentOut(Schema):
    """One consent checkbox of a form."""

    name: str
    purpose: str
    channel: str
    required: bool
    version: int
    text_es: str
    text_en: str


class FormOut(Schema):
    """A form: its settings and public address."""

    id: int
    public_id: str
    name: str
    status: FormStatus
    language: str
    thank_you_es: str
    thank_you_en: str
    redirect_url: str
    tags: list[str]
    lifecycle_stage: str
    contact_source: str
    allowed_origins: list[str]
    welcome_subject_es: str
    welcome_subject_en: str
    welcome_body_es: str
    welcome_body_en: str
    spam_count: int
    public_url: str
    created_at: datetime
    updated_at: datetime
    version: int


class FormDetail(FormOut):
    """Return a form with its fields and consents."""

    fields: list[FieldOut]
    consents: list[ConsentOut]


class FormPage(ListPage):
    """A page of forms: `next` is the URL of the following page, or null."""

    items: list[FormOut]


class FormQuery(PageQuery):
    """Filters and pagination of the forms list."""

    status: FormStatus | None = None


class FormIn(Schema):
    """A new form (a draft until it is published on screen or with PATCH `status`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="At most 120 characters")
    language: Literal["es", "en"] = "es"
    thank_you_es: str = ""
    thank_you_en: str = ""
    redirect_url: str = Field("", description="Only to a host the administrator allowed")
    tags: list[str] = Field(default_factory=list)
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    contact_source: Source = Source.FORM
    allowed_origins: list[str] = Field(default_factory=list)
    welcome_subject_es: str = ""
    welcome_subject_en: str = ""
    welcome_body_es: str = ""
    welcome_body_en: str = ""


class FormPatch(Schema):
    """Form changes: only the fields sent change; `version` refuses a stale change (409)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    status: FormStatus | None = None
    language: Literal["es", "en"] | None = None
    thank_you_es: str | None = None
    thank_you_en: str | None = None
    redirect_url: str | None = None
    tags: list[str] | None = None
    lifecycle_stage: LifecycleStage | None = None
    contact_source: Source | None = None
    allowed_origins: list[str] | None = None
    welcome_subject_es: str | None = None
    welcome_subject_en: str | None = None
    welcome_body_es: str | None = None
    welcome_body_en: str | None = None
    version: DbInt | None = Field(None, description="Refuse the change if the form moved on")


class SubmissionOut(Schema):
    """One submission: its raw payload as received and what processing made of it."""

    id: int
    reference: str
    source: SubmissionSource
    state: SubmissionState
    attempts: int
    error: str
    payload: dict[str, Any]
    page_url: str
    referrer: str
    visitor_id: str
    contact_id: int | None
    created_at: datetime
    processed_at: datetime | None


class SubmissionPage(ListPage):
    """A page of submissions, newest first."""

    items: list[SubmissionOut]


class SubmissionQuery(PageQuery):
    """Filters and pagination of a form's submissions."""

    state: SubmissionState | None = None


def _require(user: Any) -> None:
    if not may_manage_forms(user):
        raise Forbidden("Your role cannot manage web forms.")


def form_out(request: HttpRequest, form: Form) -> dict[str, Any]:
    """Return the API representation of a form."""
    return {
        **{name: getattr(form, name) for name in FormOut.model_fields if hasattr(form, name)},
        "id": form.pk,
        "public_url": request.build_absolute_uri(
            reverse("webforms:public", kwargs={"public_id": form.public_id})
        ),
    }


def form_detail(request: HttpRequest, form: Form) -> dict[str, Any]:
    """Return a form with its fields and consents."""
    fields, consents = form_parts(form)
    return {
        **form_out(request, form),
        "fields": [
            {"name": f.input_name, "kind": f.kind, "target": f.target,
             "hidden_source": f.hidden_source, "required": f.required,
             "label_es": f.label_es, "label_en": f.label_en}
            for f in fields
        ],
        "consents": [
            {"name": c.input_name, "purpose": c.purpose, "channel": c.channel,
             "required": c.required, "version": c.version, "text_es": c.text_es,
             "text_en": c.text_en}
            for c in consents
        ],
    }  # fmt: skip


def submission_out(submission: Submission) -> dict[str, Any]:
    """Return the API representation of a submission."""
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    return {
        **{n: getattr(submission, n) for n in SubmissionOut.model_fields if hasattr(submission, n)},
        "id": submission.pk,
        "payload": payload,
    }


@forms_router.get("", response=FormPage, summary="List web forms", openapi_extra=api_errors(403))
def list_forms(request: HttpRequest, query: Query[FormQuery]) -> dict[str, Any]:
    """List web forms by name, with their public address."""
    user = actor(request)
    _require(user)
    qs = forms_visible_to(user)
    if query.status:
        qs = qs.filter(status=query.status)
    page = page_of(
        request, qs.order_by("name", "id"), fields=("name", "id"), ordering="name",
        limit=query.limit, offset=query.offset, cursor=query.cursor,
    )  # fmt: skip
    return page.body([form_out(request, f) for f in page.rows])


@forms_router.post("", response={201: FormDetail}, summary="Create a web form")
def create_form(request: HttpRequest, payload: FormIn) -> Status[dict[str, Any]]:
    """Create a draft form; add fields and consents on screen."""
    user = actor(request)
    form = services.create_form(actor=user, data=payload.dict(), via=Via.API)
    return Status(201, form_detail(request, form))


@forms_router.get(
    "{form_id}", response=FormDetail, url_name="form", summary="Get a web form",
    openapi_extra=api_errors(403),
)  # fmt: skip
def get_form(request: HttpRequest, form_id: RecordId) -> dict[str, Any]:
    """Return a form with its fields and consents."""
    return form_detail(request, get_form_for_user(actor(request), form_id))


@forms_router.patch("{form_id}", response=FormDetail, summary="Change a web form",
                    openapi_extra=api_errors(409))  # fmt: skip
def patch_form(request: HttpRequest, form_id: RecordId, payload: FormPatch) -> dict[str, Any]:
    """Change the fields sent; `status` publishes, unpublishes (draft) or archives it."""
    user = actor(request)
    form = get_form_for_user(user, form_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    status = data.pop("status", None)
    if data:
        form = services.update_form(
            form, actor=user, data=data, via=Via.API, expected_version=version
        )
    if status is not None:
        form = services.set_form_status(form, actor=user, status=status, via=Via.API)
    return form_detail(request, form)


@forms_router.get(
    "{form_id}/submissions", response=SubmissionPage, summary="List a form's submissions",
    openapi_extra=api_errors(403),
)  # fmt: skip
def list_submissions(
    request: HttpRequest, form_id: RecordId, query: Query[SubmissionQuery]
) -> dict[str, Any]:
    """List the submissions of a form, newest first, with their raw payload."""
    form = get_form_for_user(actor(request), form_id)
    qs = submissions_of(form, state=query.state or "")
    page = page_of(
        request, qs, fields=("-created_at", "-id"), ordering="-created",
        limit=query.limit, offset=query.offset, cursor=query.cursor,
    )  # fmt: skip
    return page.body([submission_out(s) for s in page.rows])
