"""Contacts and companies list exports (CSV/XLSX, as filtered on screen).

Adapters only: every rule lives in contacts.exporting (and core.exports, which audits them).
The import screens are core's (core.import_screens); the kinds are in contacts.importing.kinds.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clientela.contacts.choices import Entity
from clientela.contacts.exporting import export_companies, export_contacts
from clientela.contacts.models import Consent
from clientela.contacts.queries import (
    CompanyFilters,
    ContactFilters,
    custom_fields_for,
    get_contact_for_user,
)
from clientela.contacts.views.common import require_capability
from clientela.core.exceptions import ValidationFailed
from clientela.core.exports import export_download, export_response
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


# Keys a consent's proof may hold (a public form writes them; see clientela.webforms), each
# becoming its own column; the whole proof is kept in the last column as recorded.
PROOF_KEYS = (
    "form_name", "consent_text_version", "ip", "user_agent", "page_url", "at",
    "confirmed_at", "confirm_ip", "confirm_user_agent",
)  # fmt: skip


def _proof(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.startswith("{") else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


@domain_errors
@require_GET
def contact_consent_export(
    request: AuthenticatedHttpRequest, pk: int, fmt: str
) -> HttpResponseBase:
    """Download a contact's consent decisions with their proof (CSV or XLSX), audited."""
    contact = get_contact_for_user(request.user, pk)
    require_capability(request.user, "contacts.export")
    rows = Consent.objects.filter(contact=contact).order_by("recorded_at", "id")
    headers = [
        _("Recorded"), _("Channel"), _("Purpose"), _("Status"), _("Source"), _("Form"),
        _("Legal text version"), _("IP address"), _("Browser"), _("Page"), _("Given at"),
        _("Confirmed at"), _("Confirmation IP address"), _("Confirmation browser"), _("Proof"),
    ]  # fmt: skip
    return export_download(
        actor=request.user,
        kind="consents",
        fmt=fmt,
        headers=headers,
        rows=(
            [
                c.recorded_at,
                c.get_channel_display(),
                c.get_purpose_display(),
                c.get_status_display(),
                c.source,
                *(_proof(c.proof).get(key, "") for key in PROOF_KEYS),
                c.proof,
            ]
            for c in rows
        ),
        name=f"contact-{contact.pk}-consents",
        title=_("Consents of %(name)s") % {"name": str(contact)},
        filters={"contact": contact.pk},
    )
