"""Contacts and companies list exports (CSV/XLSX, as filtered on screen).

Adapters only: every rule lives in contacts.exporting (and core.exports, which audits them).
The import screens are core's (core.import_screens); the kinds are in contacts.importing.kinds.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from clientela.contacts.choices import Entity
from clientela.contacts.exporting import export_companies, export_contacts
from clientela.contacts.queries import CompanyFilters, ContactFilters, custom_fields_for
from clientela.contacts.views.common import require_capability
from clientela.core.exceptions import ValidationFailed
from clientela.core.exports import export_response
from clientela.core.http import domain_errors
from clientela.core.users import AuthenticatedHttpRequest


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


@domain_errors
@require_GET
def export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Download the contacts list as it is filtered on screen, as CSV or XLSX."""
    require_capability(request.user, "contacts.export")
    fmt = request.GET.get("format", "csv")
    filters = ContactFilters.from_params(request.GET, custom_fields_for(Entity.CONTACT))
    try:
        prepared = export_contacts(actor=request.user, filters=filters, fmt=fmt)
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)


@domain_errors
@require_GET
def company_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Download the companies list as it is filtered on screen, as CSV or XLSX."""
    require_capability(request.user, "contacts.export")
    try:
        prepared = export_companies(
            actor=request.user,
            filters=CompanyFilters.from_params(request.GET),
            fmt=request.GET.get("format", "csv"),
        )
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)
