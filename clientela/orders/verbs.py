"""How a purchase reads on a customer's timeline (registered in OrdersConfig.ready)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from clientela.core.events import register_verb
from clientela.orders.choices import PURCHASE_LABEL, PURCHASE_VERB
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, RecordTimeline, html, stored_value, who


def money_text(data: Mapping[str, Any]) -> str:
    """Return an amount recorded in an event ("234900.00", "COP") as people read it: 234.900 COP."""
    try:
        amount = Decimal(str(data["amount"]))
        currency = str(data["currency"])
    except (KeyError, ArithmeticError, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    places = 0 if amount == amount.to_integral_value() else 2
    number = formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{number} {currency}"


def purchase_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a purchase with its amount and date; without a readable amount, the generic sentence."""
    data = event.data or {}
    amount = money_text(data)
    if amount:
        entry.sentence = html(
            _("%(who)s: purchase of %(amount)s on %(date)s"),
            who=who(event.actor),
            amount=amount,
            date=stored_value("ordered_on", data.get("ordered_on")),
        )
    return entry


def register_order_verbs() -> None:
    """Register the purchase verb and its sentence."""
    register_verb(PURCHASE_VERB, PURCHASE_LABEL, timeline=purchase_entry)
