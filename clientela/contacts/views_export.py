"""Contacts and companies list exports (CSV/XLSX, as filtered on screen).

Adapters only: every rule lives in contacts.exporting (and core.exports, which audits them).
The import screens are core's (core.import_screens); the kinds are in contacts.importing.kinds.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clientela.contacts.choices import Entity
from clientela.contacts.exporting import export_companies, export_contacts
from clientela.contacts.queries import company_filters_from, custom_fields_for
from clientela.contacts.views.common import require_capability
from clientela.core.exceptions import ValidationFailed
from clientela.core.exports import export_response
from clientela.core.http import domain_errors


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


def _list_params(request: HttpRequest) -> QueryDict:
    """The list's query string, also accepting the long names (lifecycle_stage, ordering, custom.)."""
    params = request.GET.copy()
    aliases = {"lifecycle_stage": "stage", "ordering": "sort"}
    for long, short in aliases.items():
        if long in params and short not in params:
            params[short] = request.GET.get(long, "")
    for key in list(params):
        if key.startswith("custom."):
            params.setdefault(f"cf_{key[len('custom.') :]}", request.GET.get(key, ""))
    return params


@domain_errors
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """Download the contacts list as it is filtered on screen, as CSV or XLSX."""
    from clientela.contacts.forms import contact_filters_from

    require_capability(request.user, "export")
    fmt = request.GET.get("format", "csv")
    filters = contact_filters_from(_list_params(request), custom_fields_for(Entity.CONTACT))
    try:
        prepared = export_contacts(actor=request.user, filters=filters, fmt=fmt)
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)


@domain_errors
@require_GET
def company_export(request: HttpRequest) -> HttpResponseBase:
    """Download the companies list as it is filtered on screen, as CSV or XLSX."""
    require_capability(request.user, "export")
    try:
        prepared = export_companies(
            actor=request.user,
            filters=company_filters_from(request.GET),
            fmt=request.GET.get("format", "csv"),
        )
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)
