"""The contacts card of the start page (registered in ContactsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from clientela.contacts.queries import start_page_summary
from clientela.core.users import AuthenticatedHttpRequest


def start_panel_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """My contacts by stage and my latest contacts, each linked to its card."""
    summary = start_page_summary(request.user)
    for contact in summary.latest:
        contact.card_url = reverse("contacts:contact_detail", args=[contact.pk])  # type: ignore[attr-defined]
    return {"summary": summary, "contacts_url": reverse("contacts:contact_list")}
