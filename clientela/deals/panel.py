"""The deals panel of the customer card (registered in DealsConfig.ready())."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientela.contacts.models import Contact
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals.choices import StageKind
from clientela.deals.queries import can_write, contact_deals, is_rotting, pipelines_visible_to


def contact_panel_context(
    request: AuthenticatedHttpRequest, contact: Contact
) -> Mapping[str, Any] | None:
    """Fill the panel: the contact's deals the reader sees, and "new deal" for who may write."""
    user = request.user
    deals = contact_deals(user, contact.pk)
    for deal in deals:
        deal.is_rotting = is_rotting(deal)  # type: ignore[attr-defined]
    won = sum(1 for d in deals if d.state == StageKind.WON)
    return {
        "deals": deals,
        "won_count": won,
        "can_create": can_write(user) and pipelines_visible_to(user).exists(),
    }
