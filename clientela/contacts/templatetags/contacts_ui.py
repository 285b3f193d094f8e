"""Small template filters for the contact screens."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import may_see_owner
from clientela.contacts.models import Company, Contact
from clientela.contacts.normalize import format_phone

register = template.Library()
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@register.filter
def phone(value: str) -> str:
    """Return an E.164 number in international format (+57 300 1234567)."""
    return format_phone(value or "")


@register.filter
def email_breaks(value: str) -> str:
    """Return an e-mail address that wraps after its "@" or before a dot, never mid-word.

    Escaped, with <wbr> break opportunities; the CSS of `a.email` forbids other breaks unless
    one part alone is wider than its box.
    """
    parts = [escape(part) for part in re.split(r"(@|\.)", value or "")]
    out = []
    for part in parts:
        if part == ".":
            out.append("<wbr>.")
        elif part == "@":
            out.append("@<wbr>")
        else:
            out.append(part)
    return mark_safe("".join(out))  # noqa: S308 - every part is escaped above


@register.filter
def tag_color(value: str) -> str:
    """Return a tag colour safe in a style attribute (anything else gets the default grey)."""
    return value if isinstance(value, str) and HEX_COLOUR.match(value) else "#64748b"


# In dense lists the two qualified-lead stages read better as the acronyms everyone uses.
SHORT_STAGES = {"mql": "MQL", "sql": "SQL"}


@register.filter
def stage_short(contact: object) -> str:
    """Return a contact's lifecycle stage as shown in lists (MQL/SQL abbreviated)."""
    code = getattr(contact, "lifecycle_stage", "")
    if code in SHORT_STAGES:
        return SHORT_STAGES[code]
    display = getattr(contact, "get_lifecycle_stage_display", None)
    return str(display()) if callable(display) else str(code)


@register.filter
def person_short(user: User | None) -> str:
    """Return a user as a narrow list column shows them: first name and last initial ("Ana M.")."""
    if not user:
        return ""
    first = user.first_name.strip()
    last = user.last_name.strip()
    if first and last:
        return f"{first} {last[0]}."
    return first or last or user.username


@register.filter
def preview_cells(cells: list[Any], targets: list[tuple[str, str]]) -> list[str]:
    """Return a preview row's values as people read them (phones spaced, dates localised)."""
    shown: list[str] = []
    for value, (key, _label) in zip(cells, targets, strict=False):
        shown.append(_preview_value(key, value))
    return shown


def _preview_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if key == "phone" or key.endswith("_phone") or key == "mobile":
        return format_phone(str(value))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


COUNTRY_NAMES = {
    "CO": gettext_lazy("Colombia"), "MX": gettext_lazy("Mexico"), "VE": gettext_lazy("Venezuela"),
    "EC": gettext_lazy("Ecuador"), "PE": gettext_lazy("Peru"), "CL": gettext_lazy("Chile"),
    "AR": gettext_lazy("Argentina"), "PA": gettext_lazy("Panama"),
    "US": gettext_lazy("United States"), "ES": gettext_lazy("Spain"),
}  # fmt: skip


@register.filter
def country_name(code: str) -> str:
    """Return a country's name for the common ones, else its ISO code."""
    return str(COUNTRY_NAMES.get((code or "").upper(), code or ""))


@register.filter
def visible_to(record: Contact | Company | None, user: User) -> bool:
    """Whether `user` may open this (select_related) company or contact: link it, else name it.

    A contact's company name is shown wherever the contact is (see docs/decisions.md); its card
    is linked only for whoever may see it, so no link leads to a 404.
    """
    if record is None or getattr(record, "deleted_at", None) is not None:
        return False
    return may_see_owner(user, record.owner_id)
