"""Custom field definitions of contacts and companies (an administration task)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.contacts.choices import CustomFieldType, Entity
from clientela.contacts.models import CustomField
from clientela.contacts.services.records import require_capability
from clientela.contacts.validation import Errors
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Verb
from clientela.timeline.services import record_event


@transaction.atomic
def save_custom_field(
    *,
    actor: Any,
    entity: str,
    key: str,
    label: str,
    field_type: str,
    choices: Iterable[str] = (),
    field: CustomField | None = None,
) -> CustomField:
    """Create or change a custom field definition (administrators only)."""
    require_capability(
        actor, "accounts.manage_users", _("Only administrators can define custom fields.")
    )
    errors: Errors = {}
    key = slugify(key or label).replace("-", "_")[:50]
    if not label.strip():
        errors["label"] = [_("This field is required.")]
    if entity not in Entity.values:
        errors["entity"] = [_("Choose contacts or companies.")]
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("Choose a type.")]
    options = [c.strip() for c in choices if c.strip()]
    if field_type == CustomFieldType.CHOICE and not options:
        errors["choices"] = [_("List at least one choice.")]
    clash = CustomField.objects.filter(entity=entity, key=key)
    if field is not None:
        clash = clash.exclude(pk=field.pk)
    if key and clash.exists():
        errors["key"] = [_("Another field already uses this key.")]
    if errors:
        raise ValidationFailed(errors)
    field = field or CustomField(entity=entity, key=key)
    field.label = label.strip()
    field.field_type = field_type
    field.choices = options
    field.save()
    record_event(
        Verb.UPDATED, actor=actor, target=field, data={"label": field.label, "type": field_type}
    )
    return field
