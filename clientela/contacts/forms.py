"""Django forms for the contact and company screens: they parse and render; services validate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    CustomFieldType,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.custom_inputs import (
    CUSTOM_PREFIX,
    CustomFieldsForm,
    custom_initial,
)
from clientela.contacts.entities import entity_choices
from clientela.contacts.models import Company, Contact, CustomField
from clientela.contacts.normalize import format_phone

UTM_PARTS = ("source", "medium", "campaign", "term", "content")
UTM_FIELDS = tuple(f"{touch}_utm_{part}" for touch in ("first", "last") for part in UTM_PARTS)
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]


# The company is typed by name, with suggestions fetched as the user types.
COMPANY_INPUT = forms.TextInput(
    attrs={
        "list": "company-options",
        "autocomplete": "off",
        "hx-get": reverse_lazy("contacts:company_options"),
        "hx-trigger": "input changed delay:250ms",
        "hx-target": "#company-options",
        "hx-swap": "innerHTML",
    }
)


def _blank(choices: Iterable[tuple[str, Any]], label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _text(label: Any, **attrs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


class RecordForm(CustomFieldsForm):
    """Shared behaviour: custom fields appended from their definitions, service errors mapped."""

    def apply_service_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Show a service's ValidationFailed errors on the matching fields (else on top)."""
        aliases = {"company": "company_name", "body": "body"}
        for key, messages in errors.items():
            name = aliases.get(key, key)
            if name.startswith("custom."):
                name = CUSTOM_PREFIX + name.removeprefix("custom.")
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


def set_owner_choices(form: forms.Form, owners: Iterable[Any], allow_nobody: bool) -> None:
    """Fill the owner select; without "Nobody" when an unowned record would vanish for the user."""
    choices: list[tuple[Any, Any]] = [(u.pk, str(u)) for u in owners]
    field = form.fields["owner"]
    field.choices = _blank(choices, _("Nobody")) if allow_nobody else choices  # type: ignore[attr-defined]
    field.required = not allow_nobody


def tag_names(raw: str) -> list[str]:
    """Split 'VIP, Feria 2026' into tag names."""
    return [name.strip() for name in raw.split(",") if name.strip()]


class QuickContactForm(RecordForm):
    """The few fields a rep fills in to capture a lead quickly."""

    first_name = _text(_("First name"), autocomplete="off", autofocus=True)
    last_name = _text(_("Last name"), autocomplete="off")
    email = forms.CharField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("Any format: 300 123 4567, +57 300 123 4567 or 601 234 5678 ext 9."),
    )
    company_name = forms.CharField(label=_("Company"), required=False, widget=COMPANY_INPUT)
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, initial=LifecycleStage.LEAD
    )
    # The new company name the user already confirmed once (see views.contacts.contact_create).
    confirmed_company = forms.CharField(required=False, widget=forms.HiddenInput())

    def service_data(self) -> dict[str, Any]:
        """Values for services.create_contact_at_company."""
        skip = {"company_name", "confirmed_company"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class ContactForm(RecordForm):
    """Every editable contact field; saved through services.update_contact."""

    first_name = _text(_("First name"))
    last_name = _text(_("Last name"))
    email = forms.CharField(label=_("E-mail"), required=False, widget=forms.EmailInput())
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text=_("Any format: 300 123 4567, +57 300 123 4567 or 601 234 5678 ext 9."),
    )
    job_title = _text(_("Job title"))
    company_name = forms.CharField(label=_("Company"), required=False, widget=COMPANY_INPUT)
    city = _text(_("City"))
    country = forms.CharField(
        label=_("Country"),
        required=False,
        help_text=_("Two-letter code: CO, MX, US…"),
        widget=forms.TextInput(attrs={"size": 3, "style": "width:6em"}),
    )
    birthday = forms.DateField(
        label=_("Birthday"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    lifecycle_stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=LifecycleStage.choices)
    lead_status = forms.ChoiceField(
        label=_("Lead status"), required=False, choices=_blank(LeadStatus.choices)
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_blank(Source.choices))
    tags = _text(_("Tags"), placeholder=_("VIP, Feria 2026"))
    version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(
        self, *args: Any, owners: Iterable[Any] = (), allow_nobody: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_owner_choices(self, owners, allow_nobody)
        for name in UTM_FIELDS:
            touch, part = name.split("_utm_")
            label = getattr(Contact._meta.get_field(name), "verbose_name", name)
            self.fields[name] = forms.CharField(label=label, required=False)
            self.fields[name].widget.attrs["data-touch"] = touch
            self.fields[name].widget.attrs["data-part"] = part

    @classmethod
    def initial_for(
        cls, contact: Contact, custom_fields: Mapping[str, CustomField]
    ) -> dict[str, Any]:
        """Return the form's initial values from a contact."""
        initial: dict[str, Any] = {
            name: getattr(contact, name)
            for name in (
                "first_name", "last_name", "email", "phone", "job_title", "city", "country",
                "birthday", "language", "lifecycle_stage", "lead_status", "source", "version",
                *UTM_FIELDS,
            )
        }  # fmt: skip
        initial["phone"] = format_phone(contact.phone)
        initial["owner"] = contact.owner_id
        initial["company_name"] = contact.company.name if contact.company else ""
        initial["tags"] = ", ".join(t.name for t in contact.tags.all())
        for key, definition in custom_fields.items():
            initial[CUSTOM_PREFIX + key] = custom_initial(definition, contact.custom.get(key))
        return initial

    def utm_rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        """(part label, first-touch field, last-touch field) rows for a two-column layout."""
        labels = {
            "source": _("UTM source"),
            "medium": _("UTM medium"),
            "campaign": _("UTM campaign"),
            "term": _("UTM term"),
            "content": _("UTM content"),
        }
        return [
            (labels[part], self[f"first_utm_{part}"], self[f"last_utm_{part}"])
            for part in UTM_PARTS
        ]


class CompanyForm(RecordForm):
    """Every editable company field; saved through the company services."""

    name = _text(_("Name"))
    tax_id = _text(_("Tax id (NIT)"))
    domain = _text(_("Web domain"), placeholder="example.co")
    industry = _text(_("Industry"))
    phone = forms.CharField(
        label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    email = forms.CharField(label=_("E-mail"), required=False, widget=forms.EmailInput())
    city = _text(_("City"))
    country = forms.CharField(
        label=_("Country"),
        required=False,
        help_text=_("Two-letter code: CO, MX, US…"),
        widget=forms.TextInput(attrs={"size": 3, "style": "width:6em"}),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    tags = _text(_("Tags"), placeholder=_("Constructora, Aliado"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(
        self, *args: Any, owners: Iterable[Any] = (), allow_nobody: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_owner_choices(self, owners, allow_nobody)

    @classmethod
    def initial_for(
        cls, company: Company, custom_fields: Mapping[str, CustomField]
    ) -> dict[str, Any]:
        """Return the form's initial values from a company."""
        initial: dict[str, Any] = {
            name: getattr(company, name)
            for name in (
                "name", "tax_id", "domain", "industry", "phone", "email", "city", "country",
                "version",
            )
        }  # fmt: skip
        initial["phone"] = format_phone(company.phone)
        initial["owner"] = company.owner_id
        initial["tags"] = ", ".join(t.name for t in company.tags.all())
        for key, definition in custom_fields.items():
            initial[CUSTOM_PREFIX + key] = custom_initial(definition, company.custom.get(key))
        return initial


class NoteForm(RecordForm):
    """A note on a contact or company."""

    body = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What happened? Call summary, next step…")}
        ),
    )


class TagsForm(RecordForm):
    """The tags of a record as one comma-separated line."""

    tags = _text(_("Tags"), placeholder=_("VIP, Feria 2026"))


class ConsentForm(RecordForm):
    """A new consent decision with its source and proof."""

    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(ConsentChannel.choices))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=_blank(ConsentPurpose.choices))
    status = forms.ChoiceField(label=_("Decision"), choices=_blank(ConsentStatus.choices))
    source = _text(_("Where was it given?"), placeholder=_("Web form, phone call, signed paper…"))
    proof = forms.CharField(
        label=_("Proof"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What shows the decision: form answer, recording reference, document number."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service reports missing choices with its own messages.
        for name in ("channel", "purpose", "status"):
            self.fields[name].required = False


FILTERABLE_CUSTOM_TYPES = (CustomFieldType.CHOICE, CustomFieldType.BOOLEAN, CustomFieldType.TEXT)


class CustomFieldForm(forms.Form):
    """Definition of an admin-defined field on a registered record type."""

    entity = forms.ChoiceField(label=_("Record type"), choices=entity_choices)
    # Both languages: each reader sees theirs, or the other one while it is empty.
    label_es = forms.CharField(label=_("Label in Spanish"), max_length=100, required=False)
    label_en = forms.CharField(label=_("Label in English"), max_length=100, required=False)
    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        required=False,
        help_text=_(
            "Used in imports, exports and the API. Left empty, it is made from the label. "
            "It cannot change later."
        ),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For the Choice type: one option per line, in Spanish."),
    )
    choices_en = forms.CharField(
        label=_("Choices in English"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The same options in English, in the same order; an empty line keeps it."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The key and record type identify stored values; they are fixed once created.
            for name in ("entity", "key"):
                self.fields[name].disabled = True
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        """Require a label in at least one language."""
        data = super().clean() or {}
        if not (data.get("label_es") or "").strip() and not (data.get("label_en") or "").strip():
            self.add_error("label_es", _("Enter the label people will see."))
        return data

    def choice_lines(self) -> list[str]:
        """Return the choices, one per non-empty line."""
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line]

    def english_choice_lines(self) -> list[str]:
        """Return the English names of the choices, line by line (empty keeps the choice)."""
        lines = self.cleaned_data.get("choices_en", "").splitlines()
        return [line.strip() for line in lines]

    def apply_service_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Show a service's ValidationFailed errors on the matching fields (else on top)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
