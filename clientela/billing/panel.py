"""The billing panel of a deal's page (registered in BillingConfig.ready())."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientela.billing.choices import InvoiceStatus
from clientela.billing.queries import (
    can_quote,
    deal_invoices,
    deal_quotes,
    worst_light,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal
from clientela.deals.queries import may_change


def deal_panel_context(request: AuthenticatedHttpRequest, deal: Deal) -> Mapping[str, Any] | None:
    """Fill the panel: the deal's quotes and invoices with their light, and "make a quote"."""
    user = request.user
    quotes = deal_quotes(deal)
    invoices = deal_invoices(deal)
    lights = [i.light for i in invoices if i.status != InvoiceStatus.VOID]  # type: ignore[attr-defined]
    return {
        "quotes": quotes,
        "invoices": invoices,
        "deal_light": worst_light(lights),
        # Offered on every open deal: the quote's page lists the lines it takes (and says so
        # when there are none yet), and lines added on this page arrive without a reload.
        "can_quote": can_quote(user) and may_change(user, deal) and deal.state == StageKind.OPEN,
    }
