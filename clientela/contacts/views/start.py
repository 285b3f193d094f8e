"""The contacts card of the start page (registered in ContactsConfig.ready)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from clientela.accounts.choices import Visibility
from clientela.contacts.queries import start_page_summary
from clientela.contacts.views.scope import scope_hint
from clientela.core.users import AuthenticatedHttpRequest

# Words of the card for each visibility scope: (by stage, latest, link to all, none yet);
# a narrow scope's "none yet" says what the scope hides (views.scope).
HEADINGS: dict[str, tuple[Any, Any, Any, Any]] = {
    Visibility.OWN: (
        _("My contacts by stage"),
        _("My latest contacts"),
        _("All my contacts"),
        None,
    ),
    Visibility.DEPARTMENT: (
        _("My departments' contacts by stage"),
        _("Latest contacts of my departments"),
        _("All my departments' contacts"),
        None,
    ),
    Visibility.ALL: (
        _("Contacts by stage"),
        _("Latest contacts"),
        _("All contacts"),
        _("There are no contacts yet."),
    ),
}


def start_panel_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Count the contacts of the user's scope by stage and list the latest ones.

    Each stage and the whole set link to the contacts list filtered to exactly the contacts
    counted.
    """
    summary = start_page_summary(request.user)
    for contact in summary.latest:
        contact.card_url = reverse("contacts:contact_detail", args=[contact.pk])  # type: ignore[attr-defined]
    base = reverse("contacts:contact_list")
    by_stage, latest, all_link, empty = HEADINGS.get(summary.scope, HEADINGS[Visibility.OWN])
    return {
        "summary": summary,
        "stage_links": [
            (label, count, f"{base}?{urlencode({**summary.params, 'stage': value})}", value)
            for value, label, count in summary.stages
        ],
        "all_url": f"{base}?{urlencode(summary.params)}" if summary.params else base,
        "headings": {
            "stages": by_stage,
            "latest": latest,
            "all": all_link,
            # Called by the template only when the card is empty (no query otherwise).
            "empty": empty or partial(scope_hint, request.user),
        },
    }
