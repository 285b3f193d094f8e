"""Panels higher apps add to the customer card (activities: log a call, the open tasks).

Contacts sits below the apps that know about a contact's activities, deals or tickets, so the
card learns about them through this registry: an app registers a `ContactPanel` in its
AppConfig.ready(), and the card includes each panel's template with the context it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clientela.contacts.models import Contact
from clientela.core.users import AuthenticatedHttpRequest


@dataclass(frozen=True)
class ContactPanel:
    """A panel of the customer card: a template and the function that fills it.

    `context(request, contact)` returns the template's context (merged over the card's, so the
    template may use `contact` and `request`), or None when the panel is not for this reader.
    Panels are shown by `order`, above the consent and timeline panels.
    """

    name: str
    order: int
    template: str
    context: Callable[[AuthenticatedHttpRequest, Contact], Mapping[str, Any] | None]


CONTACT_PANELS: dict[str, ContactPanel] = {}


def register_contact_panel(panel: ContactPanel) -> ContactPanel:
    """Add a panel to the customer card (call from an AppConfig.ready); the key is its name."""
    CONTACT_PANELS[panel.name] = panel
    return panel


def contact_panels(
    request: AuthenticatedHttpRequest, contact: Contact
) -> list[tuple[str, Mapping[str, Any]]]:
    """Return (template, context) of every panel this reader gets on the contact's card."""
    shown: list[tuple[str, Mapping[str, Any]]] = []
    for panel in sorted(CONTACT_PANELS.values(), key=lambda item: item.order):
        context = panel.context(request, contact)
        if context is not None:
            shown.append((panel.template, context))
    return shown
