"""The form builder and the submissions screens (marketers and administrators).

Adapters only: reads from webforms.queries, writes through webforms.services (which check
the `webforms.manage` capability again).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import domain_errors, forbid_unless, page_number, paginate, querystring
from clientela.core.users import AuthenticatedHttpRequest
from clientela.webforms import services
from clientela.webforms.choices import FormStatus
from clientela.webforms.forms import (
    ConsentForm,
    FieldForm,
    NewFormForm,
    SettingsForm,
    StateFilterForm,
)
from clientela.webforms.models import Form, FormConsent, FormField
from clientela.webforms.queries import (
    form_parts,
    forms_with_counts,
    get_form_for_user,
    get_submission_for_user,
    may_manage_forms,
    submissions_of,
)
from clientela.webforms.views.public import form_context


def _require_manage(user: Any) -> None:
    forbid_unless(may_manage_forms(user), _("Your role cannot manage web forms."))


def _errors_onto(form: django_forms.Form, errors: dict[str, list[str]]) -> None:
    for key, messages_ in errors.items():
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)


@require_GET
@domain_errors
def form_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the forms with their status and submission counts."""
    _require_manage(request.user)
    rows = list(forms_with_counts(request.user))
    return render(request, "webforms/form_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@domain_errors
def form_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a draft form (name and language), then open the builder."""
    _require_manage(request.user)
    form = NewFormForm(request.POST or None, initial={"language": "es"})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_form(actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            return redirect("webforms:detail", pk=created.pk)
    return render(request, "webforms/form_create.html", {"form": form})


def _settings_initial(item: Form) -> dict[str, Any]:
    return {
        **{key: getattr(item, key) for key in SettingsForm.base_fields if hasattr(item, key)},
        "tags": ", ".join(item.tags or []),
        "allowed_origins": "\n".join(item.allowed_origins or []),
        "version": item.version,
    }


def _builder(
    request: AuthenticatedHttpRequest,
    item: Form,
    *,
    settings_form: SettingsForm | None = None,
    field_form: FieldForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    fields, consents = form_parts(item)
    public_url = request.build_absolute_uri(
        reverse("webforms:public", kwargs={"public_id": item.public_id})
    )
    embed_url = request.build_absolute_uri(
        reverse("webforms:embed", kwargs={"public_id": item.public_id})
    )
    context = {
        "item": item,
        "fields": fields,
        "consents": consents,
        "settings_form": settings_form or SettingsForm(initial=_settings_initial(item)),
        "field_form": field_form or FieldForm(),
        "consent_form": consent_form or ConsentForm(),
        "public_url": public_url,
        "script_code": f'<script src="{embed_url}" async></script>',
        "iframe_code": (
            f'<iframe src="{public_url}?embed=1" title="{item.name}" '
            'style="width:100%;min-height:640px;border:0" loading="lazy"></iframe>'
        ),
        "published": item.status == FormStatus.PUBLISHED,
    }
    return render(request, "webforms/form_detail.html", context, status=status)


@require_GET
@domain_errors
def form_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the builder: settings, fields, consents, preview, publishing and embed codes."""
    return _builder(request, get_form_for_user(request.user, pk))


@require_POST
@domain_errors
def form_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the form's settings."""
    item = get_form_for_user(request.user, pk)
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            services.update_form(
                item, actor=request.user, data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )  # fmt: skip
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Form saved."))
            return redirect("webforms:detail", pk=item.pk)
    return _builder(request, item, settings_form=form, status=400)


@require_POST
@domain_errors
def form_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Publish, unpublish or archive the form."""
    item = get_form_for_user(request.user, pk)
    status = str(request.POST.get("status", ""))
    try:
        services.set_form_status(item, actor=request.user, status=status)
    except ValidationFailed as exc:
        for message_list in exc.errors.values():
            for message in message_list:
                messages.error(request, message)
    else:
        messages.success(request, _("Form status changed."))
    return redirect("webforms:detail", pk=item.pk)


@require_POST
@domain_errors
def field_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a field to the form."""
    item = get_form_for_user(request.user, pk)
    form = FieldForm(request.POST)
    if form.is_valid():
        try:
            services.add_field(item, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            return redirect(reverse("webforms:detail", kwargs={"pk": item.pk}) + "#fields")
    return _builder(request, item, field_form=form, status=400)


def _field_of(request: AuthenticatedHttpRequest, pk: int, field_id: int) -> FormField:
    item = get_form_for_user(request.user, pk)
    return get_object_or_404(FormField, pk=field_id, form=item)


@require_http_methods(["GET", "POST"])
@domain_errors
def field_edit(request: AuthenticatedHttpRequest, pk: int, field_id: int) -> HttpResponse:
    """Change one field."""
    field = _field_of(request, pk, field_id)
    initial = {k: getattr(field, k) for k in FieldForm.base_fields if hasattr(field, k)}
    initial["custom_field"] = str(field.custom_field_id or "")
    form = FieldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_field(field, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            return redirect(reverse("webforms:detail", kwargs={"pk": pk}) + "#fields")
    return render(
        request, "webforms/field_form.html", {"form": form, "item": field.form, "field": field}
    )


@require_POST
@domain_errors
def field_remove(request: AuthenticatedHttpRequest, pk: int, field_id: int) -> HttpResponse:
    """Remove one field."""
    services.remove_field(_field_of(request, pk, field_id), actor=request.user)
    return redirect(reverse("webforms:detail", kwargs={"pk": pk}) + "#fields")


@require_POST
@domain_errors
def field_move(request: AuthenticatedHttpRequest, pk: int, field_id: int) -> HttpResponse:
    """Move one field up or down."""
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_field(_field_of(request, pk, field_id), actor=request.user, offset=offset)
    return redirect(reverse("webforms:detail", kwargs={"pk": pk}) + "#fields")


@require_POST
@domain_errors
def consent_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a consent checkbox."""
    item = get_form_for_user(request.user, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.add_consent(item, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            return redirect(reverse("webforms:detail", kwargs={"pk": item.pk}) + "#consents")
    return _builder(request, item, consent_form=form, status=400)


def _consent_of(request: AuthenticatedHttpRequest, pk: int, consent_id: int) -> FormConsent:
    item = get_form_for_user(request.user, pk)
    return get_object_or_404(FormConsent, pk=consent_id, form=item)


@require_http_methods(["GET", "POST"])
@domain_errors
def consent_edit(request: AuthenticatedHttpRequest, pk: int, consent_id: int) -> HttpResponse:
    """Change a consent (a new legal text becomes a new version)."""
    consent = _consent_of(request, pk, consent_id)
    initial = {k: getattr(consent, k) for k in ConsentForm.base_fields}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_consent(consent, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _errors_onto(form, exc.errors)
        else:
            return redirect(reverse("webforms:detail", kwargs={"pk": pk}) + "#consents")
    texts = list(consent.texts.order_by("-version"))
    return render(
        request,
        "webforms/consent_form.html",
        {"form": form, "item": consent.form, "consent": consent, "texts": texts},
    )


@require_POST
@domain_errors
def consent_remove(request: AuthenticatedHttpRequest, pk: int, consent_id: int) -> HttpResponse:
    """Remove a consent that no submission points at yet."""
    consent = _consent_of(request, pk, consent_id)
    try:
        services.remove_consent(consent, actor=request.user)
    except ValidationFailed as exc:
        for message_list in exc.errors.values():
            for message in message_list:
                messages.error(request, message)
    return redirect(reverse("webforms:detail", kwargs={"pk": pk}) + "#consents")


@require_GET
@domain_errors
def form_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Render the public form as a visitor sees it, in Spanish or English (HTMX partial)."""
    item = get_form_for_user(request.user, pk)
    language = "en" if request.GET.get("lang") == "en" else "es"
    with translation.override(language):
        context = {**form_context(request, item, preview=True), "language": language}
        return render(request, "webforms/form_preview.html", context)


@require_GET
@domain_errors
def submission_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """List a form's submissions, newest first, filtered by state."""
    item = get_form_for_user(request.user, pk)
    filters = StateFilterForm(request.GET or None)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    page = paginate(submissions_of(item, state=state), page_number(request.GET), cap=10_000)
    return render(
        request,
        "webforms/submission_list.html",
        {"item": item, "page": page, "filters": filters, "state": state,
         "prev_url": "?" + querystring(request.GET, page=page.number - 1),
         "next_url": "?" + querystring(request.GET, page=page.number + 1)},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@domain_errors
def submission_detail(
    request: AuthenticatedHttpRequest, pk: int, submission_id: int
) -> HttpResponse:
    """Show one submission with its raw payload (escaped); POST retries a failed one."""
    item = get_form_for_user(request.user, pk)
    submission = get_submission_for_user(request.user, item, submission_id)
    if request.method == "POST":
        done = services.retry_submission(submission, actor=request.user)
        if done.state == "processed":
            messages.success(request, _("The submission was processed."))
        else:
            messages.error(
                request, _("The submission failed again: %(error)s") % {"error": done.error[:200]}
            )
        return redirect("webforms:submission", pk=item.pk, submission_id=submission.pk)
    payload = json.dumps(submission.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render(
        request,
        "webforms/submission_detail.html",
        {"item": item, "submission": submission, "payload": payload},
    )


@require_GET
@domain_errors
def submission_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """Download the form's submissions (CSV or Excel), audited by core exports."""
    item = get_form_for_user(request.user, pk)
    rows = submissions_of(item).values_list(
        "reference", "created_at", "state", "source", "contact_id", "page_url", "referrer",
        "visitor_id", "payload",
    )  # fmt: skip
    headers = [
        _("Reference"), _("Received"), _("State"), _("Source"), _("Contact"), _("Page"),
        _("Referrer"), _("Visitor id"), _("Payload"),
    ]  # fmt: skip
    return export_download(
        actor=request.user,
        kind="form_submissions",
        fmt=fmt,
        headers=headers,
        rows=(
            [
                ref,
                at,
                state,
                source,
                contact or "",
                page,
                referrer,
                visitor,
                json.dumps(payload, ensure_ascii=False),
            ]
            for ref, at, state, source, contact, page, referrer, visitor, payload in rows.iterator()
        ),
        name=f"form-{item.pk}-submissions",
        title=_("Submissions of “%(name)s”") % {"name": item.name},
        filters={"form": item.pk},
    )
