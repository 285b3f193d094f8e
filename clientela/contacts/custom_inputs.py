"""Form inputs of custom fields, for every record type's form (contacts, companies, deals…).

Not in `contacts.forms` because apps above contacts build their own forms with these inputs,
and no app imports another app's forms: a deal form edits its custom fields with the same
inputs and reads them back the same way as the contact form does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from clientela.contacts.choices import CustomFieldType
from clientela.contacts.models import CustomField

# A custom field's input is named after its key with this prefix (no clash with built-in names).
CUSTOM_PREFIX = "cf_"
YES_NO = [("", "—"), ("true", _("Yes")), ("false", _("No"))]


def custom_form_field(definition: CustomField) -> forms.Field:
    """Return the form field that edits one custom field definition."""
    label = definition.label
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.FloatField(label=label, required=False, localize=True)
    if kind == CustomFieldType.DATE:
        return forms.DateField(
            label=label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), *definition.options()],
        )
    if kind == CustomFieldType.BOOLEAN:
        return forms.ChoiceField(label=label, required=False, choices=YES_NO)
    return forms.CharField(label=label, required=False)


def custom_initial(definition: CustomField, value: Any) -> Any:
    """Return a stored custom value as the form field expects it."""
    if value is None:
        return ""
    if definition.field_type == CustomFieldType.BOOLEAN:
        return "true" if value else "false"
    if definition.field_type == CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return ""
    return value


def custom_initials(
    definitions: Mapping[str, CustomField], stored: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the initial values of a record's custom inputs, keyed by input name."""
    return {
        CUSTOM_PREFIX + key: custom_initial(definition, stored.get(key))
        for key, definition in definitions.items()
    }


def custom_input_name(error_key: str) -> str:
    """Return the input a service's error key is about ("custom.size" → "cf_size")."""
    if error_key.startswith("custom."):
        return CUSTOM_PREFIX + error_key.removeprefix("custom.")
    return error_key


class CustomFieldsForm(forms.Form):
    """A form that appends one input per active custom field definition it is given."""

    def __init__(
        self,
        *args: Any,
        custom_fields: Mapping[str, CustomField] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_definitions = dict(custom_fields or {})
        for key, definition in self.custom_definitions.items():
            self.fields[CUSTOM_PREFIX + key] = custom_form_field(definition)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        """Return the custom fields, for templates that lay them out in their own section."""
        return [self[CUSTOM_PREFIX + key] for key in self.custom_definitions]

    def custom_values(self) -> dict[str, Any]:
        """Return cleaned custom values keyed by definition key ('' clears a value)."""
        values: dict[str, Any] = {}
        for key in self.custom_definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + key)
            values[key] = "" if value is None else value
        return values

    def standard_data(self) -> dict[str, Any]:
        """Return the cleaned values of the form's own fields (the custom inputs left out)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith(CUSTOM_PREFIX)
        }


def custom_display(definition: CustomField, value: Any) -> str:
    """Return a custom value as people read it."""
    if value is None or value == "":
        return ""
    if definition.field_type == CustomFieldType.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    if definition.field_type == CustomFieldType.DATE:
        try:
            return formats.date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(value)
    if definition.field_type == CustomFieldType.NUMBER:
        try:
            number = value if isinstance(value, int | float | Decimal) else Decimal(str(value))
        except InvalidOperation:
            return str(value)
        # Grouped the local way (es-CO: 1.234.567,5) even though the setting is off site-wide.
        return formats.number_format(number, use_l10n=True, force_grouping=True)
    if definition.field_type == CustomFieldType.CHOICE:
        return definition.option_label(value)
    return str(value)


def custom_values_shown(
    definitions: Mapping[str, CustomField], stored: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Return (label, value as read) of a record's custom fields, for its detail page."""
    return [
        (definition.label, custom_display(definition, stored.get(key)))
        for key, definition in definitions.items()
    ]
