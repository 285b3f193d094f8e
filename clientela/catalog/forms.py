"""Forms of the catalogue screens: they parse text; the services validate and explain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientela.catalog.choices import AttributeType, ItemStatus, ProductKind
from clientela.catalog.models import AttributeDefinition
from clientela.catalog.services import (
    CAPTION_MAX,
    DESCRIPTION_MAX,
    LABEL_MAX,
    NAME_MAX,
    SKU_MAX,
    TEXT_ATTRIBUTE_MAX,
    attribute_field,
)
from clientela.core.exceptions import ValidationFailed
from clientela.orders.choices import COMMON_CURRENCIES


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (unknown fields on the whole form)."""
    for name, messages in exc.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, ValidationError(message))


class ProductFilterForm(forms.Form):
    """The product list's search and filters."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *ProductKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ItemStatus.choices], required=False
    )
    active = forms.ChoiceField(
        label=_("Offered"),
        choices=[("yes", _("Active")), ("no", _("Archived")), ("all", _("Active and archived"))],
        required=False,
    )


def _attribute_form_field(definition: AttributeDefinition) -> forms.Field:
    label = definition.label(get_language() or "es")
    if definition.type == AttributeType.NUMBER:
        return forms.CharField(label=label, required=False, max_length=20)
    if definition.type == AttributeType.DECIMAL:
        return forms.CharField(label=label, required=False, max_length=30)
    if definition.type == AttributeType.DATE:
        return forms.CharField(
            label=label,
            required=False,
            max_length=10,
            widget=forms.DateInput(attrs={"type": "date"}),
        )
    if definition.type == AttributeType.CHOICE:
        options = [("", "—"), *((str(o), str(o)) for o in definition.options)]
        return forms.ChoiceField(label=label, choices=options, required=False)
    return forms.CharField(label=label, required=False, max_length=TEXT_ATTRIBUTE_MAX)


class ProductForm(forms.Form):
    """A product's fields, plus one field per active attribute (`attr_<code>`)."""

    sku = forms.CharField(label=_("SKU"), max_length=SKU_MAX)
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductKind.choices)
    unit_price = forms.CharField(label=_("Unit price"), max_length=30, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in COMMON_CURRENCIES])
    tax_rate = forms.CharField(label=_("Tax rate (%)"), max_length=10, required=False)
    quantity_on_hand = forms.CharField(
        label=_("Quantity on hand"),
        max_length=20,
        required=False,
        help_text=_("Stock items only; leave empty not to count the units."),
    )
    latitude = forms.CharField(label=_("Latitude"), max_length=20, required=False)
    longitude = forms.CharField(label=_("Longitude"), max_length=20, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, definitions: list[AttributeDefinition], **kwargs: Any) -> None:
        """Add a field per attribute definition."""
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        for definition in definitions:
            self.fields[attribute_field(definition.code)] = _attribute_form_field(definition)

    def attribute_fields(self) -> list[forms.BoundField]:
        """Return the bound fields of the attributes, in their order."""
        return [self[attribute_field(d.code)] for d in self.definitions]

    def service_data(self) -> dict[str, Any]:
        """Return the cleaned fields as the services take them (attributes nested)."""
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("attr_")}
        data.pop("version", None)
        data["attributes"] = {
            d.code: self.cleaned_data.get(attribute_field(d.code)) for d in self.definitions
        }
        return data


class PhotoForm(forms.Form):
    """A photo to add to a product."""

    photo = forms.FileField(label=_("Photo"))
    caption = forms.CharField(label=_("Caption"), max_length=CAPTION_MAX, required=False)


class AttributeForm(forms.Form):
    """A product attribute definition (code and type only when it is new)."""

    code = forms.CharField(
        label=_("Code"), max_length=40, help_text=_("For example lot_number; it cannot change.")
    )
    type = forms.ChoiceField(label=_("Type"), choices=AttributeType.choices)
    label_es = forms.CharField(label=_("Label (Spanish)"), max_length=LABEL_MAX)
    label_en = forms.CharField(label=_("Label (English)"), max_length=LABEL_MAX)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a choice: one option per line."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        """Drop code and type when an existing attribute is edited."""
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
            del self.fields["type"]
