"""Reads for the form builder, the submissions screens, the API and the public endpoints."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX
from clientela.webforms.choices import FormStatus
from clientela.webforms.models import Form, FormConsent, FormField, Submission


def may_manage_forms(user: Any) -> bool:
    """Whether the user may build forms and read their submissions."""
    return has_capability(user, "webforms.manage")


def forms_visible_to(user: Any) -> QuerySet[Form]:
    """Return the forms the user may open (all of them with the capability, none without)."""
    if not may_manage_forms(user):
        return Form.objects.none()
    return Form.objects.all()


def forms_with_counts(user: Any) -> QuerySet[Form]:
    """Return the visible forms with their submission count (one query for the list)."""
    return (
        forms_visible_to(user)
        .annotate(submission_count=Count("submissions"))
        .order_by("name", "id")
    )


def get_form_for_user(user: Any, pk: Any) -> Form:
    """Return a form the user may manage: NotFound when there is none, Forbidden without the right."""
    try:
        number = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("Form not found.")) from exc
    if not 1 <= number <= DB_INT_MAX:
        raise NotFound(_("Form not found."))
    form = Form.objects.filter(pk=number).first()
    if form is None:
        raise NotFound(_("Form not found."))
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))
    return form


def form_parts(form: Form) -> tuple[list[FormField], list[FormConsent]]:
    """Return the form's fields (with their custom fields) and consents, in order."""
    fields = list(form.fields.select_related("custom_field").order_by("position", "id"))
    consents = list(form.consents.order_by("position", "id"))
    return fields, consents


def published_form(public_id: Any) -> Form | None:
    """Return the form behind a public id (published or not; the view decides), else None."""
    if not isinstance(public_id, str) or not 10 <= len(public_id) <= 32:
        return None
    return Form.objects.filter(public_id=public_id).exclude(status=FormStatus.ARCHIVED).first()


def submissions_of(form: Form, *, state: str = "") -> QuerySet[Submission]:
    """Return the form's submissions, newest first, optionally in one state."""
    rows = (
        Submission.objects.filter(form=form)
        .select_related("contact")
        .order_by("-created_at", "-id")
    )
    if state:
        rows = rows.filter(state=state)
    return rows


def get_submission_for_user(user: Any, form: Form, pk: Any) -> Submission:
    """Return one submission of a form the user manages (NotFound otherwise)."""
    try:
        number = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("Submission not found.")) from exc
    if not 1 <= number <= DB_INT_MAX:
        raise NotFound(_("Submission not found."))
    found = submissions_of(form).filter(pk=number).first()
    if found is None:
        raise NotFound(_("Submission not found."))
    return found
