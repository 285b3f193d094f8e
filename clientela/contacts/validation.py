"""Turning raw input (forms, API, import rows) into clean contact/company values or field errors."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from clientela.contacts.choices import CustomFieldType, LeadStatus, LifecycleStage, Source
from clientela.contacts.models import CustomField
from clientela.contacts.normalize import InvalidValue, clean_name, normalize_email, normalize_phone

TEXT_LIMITS = {
    "first_name": 100, "last_name": 100, "job_title": 120, "city": 100, "external_id": 100,
    "first_utm_source": 100, "first_utm_medium": 100, "first_utm_campaign": 150,
    "first_utm_term": 100, "first_utm_content": 100, "last_utm_source": 100,
    "last_utm_medium": 100, "last_utm_campaign": 150, "last_utm_term": 100, "last_utm_content": 100,
    "name": 200, "tax_id": 40, "domain": 200, "industry": 100,
}  # fmt: skip
CHOICE_FIELDS: dict[str, Any] = {
    "lifecycle_stage": LifecycleStage,
    "lead_status": LeadStatus,
    "source": Source,
}
CONTACT_FIELDS = frozenset(
    {"first_name", "last_name", "email", "phone", "job_title", "city", "country", "birthday", "language",
     "lifecycle_stage", "lead_status", "source", "external_id", "first_touch_at", "last_touch_at",
     *(f"{t}_utm_{p}" for t in ("first", "last") for p in ("source", "medium", "campaign", "term", "content"))}
)  # fmt: skip
COMPANY_FIELDS = frozenset(
    {"name", "tax_id", "domain", "industry", "phone", "email", "city", "country", "external_id"}
)

Errors = dict[str, list[str]]


def _add(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def clean_common(
    data: Mapping[str, Any], allowed: frozenset[str], *, region: str, errors: Errors
) -> dict[str, Any]:
    """Validate and normalise the plain fields shared by contacts and companies."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            continue
        if value is None:
            value = "" if key not in {"birthday", "first_touch_at", "last_touch_at"} else None
        if key == "email":
            try:
                clean[key] = normalize_email(str(value))
            except InvalidValue as exc:
                _add(errors, key, str(exc))
        elif key == "phone":
            try:
                clean[key] = normalize_phone(str(value), region)
            except InvalidValue as exc:
                _add(errors, key, str(exc))
        elif key == "birthday":
            if value in (None, ""):
                clean[key] = None
            elif isinstance(value, date):
                if value > date.today() or value.year < 1900:
                    _add(errors, key, _("Enter a birthday between 1900 and today."))
                else:
                    clean[key] = value
            else:
                _add(errors, key, _("Enter a valid date."))
        elif key in {"first_touch_at", "last_touch_at"}:
            clean[key] = value or None
        elif key == "country":
            text = str(value).strip().upper()
            if text and (len(text) != 2 or not text.isalpha()):
                _add(errors, key, _("Use the two-letter country code (CO, MX, US…)."))
            else:
                clean[key] = text
        elif key == "language":
            text = str(value).strip().lower()[:2]
            if text and text not in {"es", "en"}:
                _add(errors, key, _("Choose Spanish (es) or English (en)."))
            else:
                clean[key] = text or "es"
        elif key in CHOICE_FIELDS:
            text = str(value).strip()
            if text and text not in CHOICE_FIELDS[key].values:
                allowed_values = ", ".join(CHOICE_FIELDS[key].values)
                _add(
                    errors,
                    key,
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": text, "allowed": allowed_values},
                )
            else:
                clean[key] = text
        else:
            text = clean_name(str(value))
            limit = TEXT_LIMITS.get(key)
            if limit and len(text) > limit:
                _add(
                    errors,
                    key,
                    _("Use at most %(limit)d characters (it has %(count)d).")
                    % {"limit": limit, "count": len(text)},
                )
            else:
                clean[key] = text
    return clean


def clean_custom(
    values: Mapping[str, Any], definitions: Mapping[str, CustomField], errors: Errors
) -> dict[str, Any]:
    """Validate custom field values against their definitions; JSON-safe output."""
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        error_key = f"custom.{key}"
        if definition is None:
            _add(errors, error_key, _("Unknown custom field “%(key)s”.") % {"key": key})
            continue
        if raw is None or raw == "":
            clean[key] = None
            continue
        kind = definition.field_type
        if kind == CustomFieldType.NUMBER:
            try:
                number = (
                    float(str(raw).replace(",", ".")) if not isinstance(raw, int | float) else raw
                )
            except ValueError:
                number = None
            # "1e400" is inf and "nan" is NaN: neither is a number JSON (or PostgreSQL) stores.
            if number is None or isinstance(number, bool) or not math.isfinite(number):
                _add(errors, error_key, _("Enter a number."))
            else:
                clean[key] = number
        elif kind == CustomFieldType.DATE:
            try:
                clean[key] = (
                    raw.isoformat()
                    if isinstance(raw, date)
                    else date.fromisoformat(str(raw)).isoformat()
                )
            except ValueError:
                _add(errors, error_key, _("Enter a valid date (YYYY-MM-DD)."))
        elif kind == CustomFieldType.BOOLEAN:
            if isinstance(raw, bool):
                clean[key] = raw
            elif str(raw).strip().lower() in {"1", "true", "si", "sí", "yes", "x"}:
                clean[key] = True
            elif str(raw).strip().lower() in {"0", "false", "no"}:
                clean[key] = False
            else:
                _add(errors, error_key, _("Enter yes or no."))
        elif kind == CustomFieldType.CHOICE:
            if str(raw) not in [str(c) for c in definition.choices]:
                _add(
                    errors, error_key, _("“%(value)s” is not one of the choices.") % {"value": raw}
                )
            else:
                clean[key] = str(raw)
        else:
            text = str(raw).strip()
            if len(text) > 500:
                _add(errors, error_key, _("Use at most 500 characters."))
            else:
                clean[key] = text
    return clean


def require_identity(values: Mapping[str, Any], errors: Errors) -> None:
    """Require a name, an e-mail or a phone: without one a contact cannot be found again."""
    if not any(values.get(k) for k in ("first_name", "last_name", "email", "phone")):
        _add(errors, "first_name", _("Enter at least a name, an e-mail or a phone."))
