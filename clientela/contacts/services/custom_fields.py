"""Custom field definitions of contacts, companies and registered record types (admin task)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import CustomFieldType
from clientela.contacts.entities import is_custom_field_entity
from clientela.contacts.models import CustomField
from clientela.contacts.services.records import require_capability
from clientela.contacts.validation import Errors
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Verb
from clientela.timeline.services import record_event


@transaction.atomic
def save_custom_field(
    *,
    actor: User,
    entity: str,
    key: str,
    field_type: str,
    label: str = "",
    label_es: str = "",
    label_en: str = "",
    choices: Iterable[str] = (),
    choices_en: Iterable[str] = (),
    field: CustomField | None = None,
) -> CustomField:
    """Create or change a custom field definition (administrators only).

    The label has a Spanish and an English version (`label` sets both when one is enough);
    `choices` are the options' stored values and `choices_en`, position by position, how each
    reads in English.
    """
    require_capability(
        actor, "accounts.manage_users", _("Only administrators can define custom fields.")
    )
    errors: Errors = {}
    label_es, label_en = (label_es or label).strip(), (label_en or label).strip()
    key = slugify(key or label_es or label_en).replace("-", "_")[:50]
    if not (label_es or label_en):
        errors["label_es"] = [_("Enter the label people will see.")]
    if not is_custom_field_entity(entity):
        errors["entity"] = [_("Choose a record type from the list.")]
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("Choose a type.")]
    options = [c.strip() for c in choices if c.strip()]
    if field_type == CustomFieldType.CHOICE and not options:
        errors["choices"] = [_("List at least one choice.")]
    english = [c.strip() for c in choices_en]
    while english and not english[-1]:
        english.pop()
    if len(english) > len(options):
        errors["choices_en"] = [_("Give one English name per choice, in the same order.")]
    clash = CustomField.objects.filter(entity=entity, key=key)
    if field is not None:
        clash = clash.exclude(pk=field.pk)
    if key and clash.exists():
        errors["key"] = [_("Another field already uses this key.")]
    if errors:
        raise ValidationFailed(errors)
    field = field or CustomField(entity=entity, key=key)
    field.label_es, field.label_en = label_es, label_en
    field.field_type = field_type
    field.choices = options
    field.choices_en = english if field_type == CustomFieldType.CHOICE else []
    field.save()
    record_event(
        Verb.UPDATED,
        actor=actor,
        target=field,
        data={"label_es": label_es, "label_en": label_en, "type": field_type},
    )
    return field
