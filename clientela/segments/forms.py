"""Forms of the segment screens, and the condition catalogue the builder's script reads."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.numbers import DB_INT_MAX, bounded_int
from clientela.segments.registry import OPERATORS, Operand, all_conditions

# A definition of MAX_CONDITIONS conditions with long operands fits well within this.
MAX_DEFINITION_CHARS = 100_000
MAX_IDS = 500


class SegmentForm(forms.Form):
    """Name, description and the builder's JSON definition of a dynamic segment."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    definition = forms.CharField(
        required=False, max_length=MAX_DEFINITION_CHARS, widget=forms.HiddenInput
    )
    version = forms.IntegerField(
        required=False, min_value=0, max_value=DB_INT_MAX, widget=forms.HiddenInput
    )

    def clean_definition(self) -> Any:
        """Read the definition as JSON data; tree.parse (in the service) validates its meaning."""
        return read_definition(self.cleaned_data.get("definition") or "")


def read_definition(text: str) -> Any:
    """JSON text from the builder as data, or a ValidationError the user can act on."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError(_("The conditions could not be read; reload the page.")) from None


class StaticListForm(forms.Form):
    """Name and description of a static list."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)


class SaveAsListForm(forms.Form):
    """The name of the static list that keeps a segment's current members."""

    name = forms.CharField(label=gettext_lazy("Name of the new list"), max_length=120)


class IdListField(forms.Field):
    """Several record ids (a repeated form field), each within what the database stores."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        """Read the ids as integers; a malformed or out-of-range one is an error."""
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > MAX_IDS:
            raise ValidationError(_("Choose at most %(max)s contacts at once.") % {"max": MAX_IDS})
        ids = [bounded_int(item, minimum=1) for item in values]
        if any(pk is None for pk in ids):
            raise ValidationError(_("Choose contacts from the list."))
        return [pk for pk in ids if pk is not None]


class ContactsForm(forms.Form):
    """The contacts a list edit adds or removes."""

    contact = IdListField(label=gettext_lazy("Contacts"))


class SearchForm(forms.Form):
    """A name, e-mail or phone to look a contact up."""

    q = forms.CharField(label=gettext_lazy("Name, e-mail or phone"), max_length=100, required=False)

    def text(self) -> str:
        """Return the search text, empty when the form is not valid."""
        return str(self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


# --- What the builder's script offers -------------------------------------------------------


def builder_catalogue(exclude_segment: int | None = None) -> dict[str, Any]:
    """Every condition grouped by its registry group, the operators, months and UI words.

    Labels are rendered in the reader's language here, so the script shows them as given.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for spec in all_conditions():
        operands = {OPERATORS[code].operand for code in spec.allowed_operators}
        choices: list[list[str]] = []
        if operands & {Operand.CHOICES, Operand.SEGMENT}:
            choices = [
                [code, label]
                for code, label in spec.choice_values().items()
                if not (Operand.SEGMENT in operands and code == str(exclude_segment))
            ]
        params = [
            {
                "name": param.name,
                "label": str(param.label),
                "choices": [[str(code), str(label)] for code, label in param.choices()]
                if param.choices
                else None,
                "days": param.days,
                "required": param.required,
            }
            for param in spec.params
        ]
        groups.setdefault(str(spec.group), []).append(
            {
                "field": spec.field,
                "label": str(spec.label),
                "kind": str(spec.kind),
                "operators": list(spec.allowed_operators),
                "choices": choices,
                "params": params,
            }
        )
    return {
        "groups": [{"label": label, "fields": fields} for label, fields in groups.items()],
        "operators": {
            code: {"label": str(op.label), "operand": str(op.operand)}
            for code, op in OPERATORS.items()
        },
        "months": [[number, str(name)] for number, name in MONTHS.items()],
        "words": _builder_words(),
    }


def _builder_words() -> dict[str, str]:
    return {
        "all": _("All of these conditions (AND)"),
        "any": _("Any of these conditions (OR)"),
        "not": _("Exclude (NOT)"),
        "addCondition": _("+ Condition"),
        "addGroup": _("+ Group"),
        "remove": _("Remove"),
        "removeGroup": _("Remove group"),
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "chooseField": _("Choose a field…"),
        "from": _("from"),
        "to": _("to"),
        "days": _("days"),
        "group": _("Group of conditions"),
        "conditions": _("Conditions"),
        "emptyGroup": _("Add a condition to this group."),
        "and": _("and"),
        "or": _("or"),
        "condition": _("Condition"),
        "empty": _("No conditions yet: the segment holds every contact."),
        "counting": _("Counting…"),
        "fix": _("Complete the highlighted conditions to see the count."),
        "failed": _("The count could not be updated; try again."),
        "noMembers": _("No contact matches."),
        "firstMembers": _("First members"),
        "optional": _("optional"),
    }
