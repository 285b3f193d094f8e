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
