"""Inbound lead sources: the URL and secrets to give Meta, Google or any system (form managers).

Adapters only: writes go through webforms.services.inbound, which checks `webforms.manage`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, forbid_unless
from clientela.core.users import AuthenticatedHttpRequest
from clientela.webforms.forms import LeadSourceForm
from clientela.webforms.inbound import signed
from clientela.webforms.models import LeadSource
from clientela.webforms.queries import may_manage_forms
from clientela.webforms.services.inbound import (
    create_lead_source,
    delete_lead_source,
    update_lead_source,
)

HOOK_ROUTES = {"meta": "webforms:hook_meta", "google": "webforms:hook_google",
               "webhook": "webforms:hook_json"}  # fmt: skip


def _require(request: AuthenticatedHttpRequest) -> None:
    forbid_unless(may_manage_forms(request.user), _("Your role cannot manage web forms."))


def hook_url(request: AuthenticatedHttpRequest, source: LeadSource) -> str:
    """Return the absolute URL the sender posts this source's leads to."""
    path = reverse(HOOK_ROUTES[source.kind], kwargs={"public_id": source.public_id})
    return request.build_absolute_uri(path)


def _edit(request: AuthenticatedHttpRequest, source: LeadSource | None) -> HttpResponse:
    initial: dict[str, Any] | None = None
    if source is not None:
        initial = {
            "name": source.name,
            "form": str(source.form_id),
            "is_active": source.is_active,
            "mapping": "\n".join(f"{k} = {v}" for k, v in (source.mapping or {}).items()),
            "id_path": source.id_path,
        }
    form = LeadSourceForm(request.POST or None, initial=initial, editing=source is not None)
    if request.method == "POST" and form.is_valid():
        try:
            if source is None:
                saved = create_lead_source(actor=request.user, data=form.cleaned_data)
            else:
                version = request.POST.get("version", "")
                saved = update_lead_source(
                    source,
                    actor=request.user,
                    data=form.cleaned_data,
                    expected_version=int(version) if version.isdigit() else None,
                )
        except ValidationFailed as error:
            for key, problems in error.errors.items():
                for problem in problems:
                    form.add_error(key if key in form.fields else None, problem)
        else:
            messages.success(request, _("Source “%(name)s” saved.") % {"name": saved.name})
            return redirect("webforms:source_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "source": source}
    if source is not None:
        context["url"] = hook_url(request, source)
        context["example_signature"] = signed.HEADER
    return render(request, "webforms/source_form.html", context)


@require_GET
@domain_errors
def source_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the lead sources with their counts."""
    _require(request)
    sources = list(LeadSource.objects.select_related("form").order_by("name", "id"))
    return render(request, "webforms/source_list.html", {"sources": sources})


@require_http_methods(["GET", "POST"])
@domain_errors
def source_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a lead source."""
    _require(request)
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@domain_errors
def source_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a lead source's URL and secrets, and change it."""
    _require(request)
    return _edit(request, get_object_or_404(LeadSource, pk=pk))


@require_POST
@domain_errors
def source_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a lead source (its URL stops answering; its leads stay)."""
    _require(request)
    source = get_object_or_404(LeadSource, pk=pk)
    delete_lead_source(source, actor=request.user)
    messages.success(request, _("Source “%(name)s” deleted.") % {"name": source.name})
    return redirect("webforms:sources")
