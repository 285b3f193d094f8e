"""The record types custom fields extend: contacts and companies here, others from their apps.

Contacts owns `CustomField` and its admin screen, but not every record that has custom fields:
an app above contacts (deals) registers its record type in its AppConfig.ready() with
`register_custom_field_entity(...)`, and the admin screen, the definitions' validation and the
field's choices list it from then on. The app keeps the values in its own `custom` JSON column
and validates them with `contacts.validation.clean_custom(…, custom_fields_for(code), …)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

Text = str | Promise


@dataclass(frozen=True)
class CustomFieldEntity:
    """A record type custom fields can be defined on: its code, its name and its list heading."""

    code: str  # stored in CustomField.entity (at most 10 characters)
    label: Text  # one record: "Deal"
    heading: Text  # the admin screen's section: "Deals"
    order: int = 100


_registry: dict[str, CustomFieldEntity] = {}


def register_custom_field_entity(entity: CustomFieldEntity) -> CustomFieldEntity:
    """Add (or replace) a record type custom fields can extend; apps call it in ready()."""
    if not entity.code or len(entity.code) > 10:
        raise ValueError(f"A custom field entity code has 1 to 10 characters: {entity.code!r}")
    _registry[entity.code] = entity
    return entity


def custom_field_entities() -> list[CustomFieldEntity]:
    """Return the registered record types in screen order."""
    return sorted(_registry.values(), key=lambda e: (e.order, e.code))


def entity_choices() -> list[tuple[str, Text]]:
    """Return (code, label) of every registered record type (CustomField.entity's choices)."""
    return [(e.code, e.label) for e in custom_field_entities()]


def is_custom_field_entity(code: str) -> bool:
    """Whether custom fields may be defined on this record type."""
    return code in _registry
