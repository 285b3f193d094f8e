"""Template filters for money, shares and heatmap cells in the Spanish (or English) formats."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()
DASH = "—"


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def money(value: Any, digits: int = 0) -> str:
    """Return a grouped amount in the language's format (1.234.567 in Spanish); — when unknown."""
    number = _number(value)
    if number is None:
        return DASH
    return str(floatformat(Decimal(str(round(number, int(digits)))), f"{int(digits)}g"))


@register.filter
def number(value: Any, digits: int = 1) -> str:
    """Return a grouped number with `digits` decimals; — when unknown."""
    number_ = _number(value)
    return DASH if number_ is None else str(floatformat(number_, f"{int(digits)}g"))


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    """Return a share (0.25) as a percentage (25 %); — when unknown."""
    number_ = _number(value)
    if number_ is None:
        return DASH
    return f"{floatformat(number_ * 100, f'{int(digits)}g')} %"


@register.filter
def heat(value: Any, top: Any = 1.0) -> str:
    """Return a CSS background for a heatmap cell: deeper green for a larger share of `top`."""
    number_ = _number(value)
    limit = _number(top) or 1.0
    if number_ is None or limit <= 0:
        return "background: transparent"
    strength = max(0.0, min(1.0, number_ / limit))
    alpha = 0.06 + 0.84 * math.sqrt(strength)
    ink = "#fff" if alpha > 0.55 else "#1f2933"
    return f"background: rgba(11, 110, 79, {alpha:.2f}); color: {ink}"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (None when missing)."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.inclusion_tag("analytics/includes/tabs.html", takes_context=True)
def value_tabs(context: Any, active: str) -> dict[str, Any]:
    """Return the tabs of the customer-value section that this user may open."""
    from clientela.analytics.queries import can_manage_settings, can_view_value
    from clientela.orders.queries import can_manage_rates, can_manage_spend

    user = context["request"].user
    return {
        "active": active,
        "value": can_view_value(user),
        "spend": can_manage_spend(user),
        "rates": can_manage_rates(user),
        "settings": can_manage_settings(user),
    }


@register.filter
def phone(value: Any) -> str:
    """Return an E.164 number in international format (+57 300 1234567)."""
    from clientela.contacts.normalize import format_phone

    return format_phone(str(value or ""))


@register.inclusion_tag("analytics/includes/customer_value.html", takes_context=True)
def customer_value_card(context: Any, contact: Any) -> dict[str, Any]:
    """Return the card's value panel: segment, CLV, P(alive), expected purchases, orders."""
    from clientela.accounts.queries import has_capability
    from clientela.analytics.queries import can_view_value, customer_value_for
    from clientela.orders.queries import company_currency

    user = context["request"].user
    if not can_view_value(user):
        return {"value": None, "contact": None}
    return {
        "value": customer_value_for(user, contact),
        "contact": contact,
        "currency": company_currency(),
        "can_add_order": has_capability(user, "orders.write"),
    }


@register.inclusion_tag("analytics/includes/reading.html")
def reading(message: Any) -> dict[str, Any]:
    """Return an LTV:CAC reading as a short label, with the full sentence as its tooltip."""
    from django.utils.translation import gettext as _

    short = {
        "loses_money": _("Loses money"),
        "risky": _("Risky"),
        "healthy": _("Healthy"),
        "very_profitable": _("Clearly profitable"),
        "under_investing": _("Under-investing"),
    }
    code = getattr(message, "code", "")
    return {"reading": message, "short": short.get(code, "")}
