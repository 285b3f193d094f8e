"""Small template filters for the contact screens."""

from __future__ import annotations

import re

from django import template

from clientela.contacts.normalize import format_phone

register = template.Library()
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@register.filter
def phone(value: str) -> str:
    """An E.164 number in international format (+57 300 1234567)."""
    return format_phone(value or "")


@register.filter
def tag_color(value: str) -> str:
    """A tag colour safe to put in a style attribute (anything else gets the default grey)."""
    return value if isinstance(value, str) and HEX_COLOUR.match(value) else "#64748b"


# In dense lists the two qualified-lead stages read better as the acronyms everyone uses.
SHORT_STAGES = {"mql": "MQL", "sql": "SQL"}


@register.filter
def stage_short(contact: object) -> str:
    """A contact's lifecycle stage as shown in lists (MQL/SQL abbreviated)."""
    code = getattr(contact, "lifecycle_stage", "")
    if code in SHORT_STAGES:
        return SHORT_STAGES[code]
    display = getattr(contact, "get_lifecycle_stage_display", None)
    return str(display()) if callable(display) else str(code)
