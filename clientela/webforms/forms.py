"""Django forms of the builder screens; the services validate again and own the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, LifecycleStage, Source
from clientela.contacts.models import CustomField
from clientela.webforms.choices import (
    AssignmentStrategy,
    ContactTarget,
    FieldKind,
    HiddenSource,
    LeadSourceKind,
    SubmissionState,
)

LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]


class NewFormForm(forms.Form):
    """Name and default language of a new form."""

    name = forms.CharField(label=_("Name"), max_length=120)
    language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGES)


class SettingsForm(forms.Form):
    """A form's settings: texts, what a submission gets, redirects and embedding."""

    name = forms.CharField(label=_("Name"), max_length=120)
    language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGES)
    thank_you_es = forms.CharField(
        label=_("Thank-you message (Spanish)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    thank_you_en = forms.CharField(
        label=_("Thank-you message (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    redirect_url = forms.CharField(
        label=_("Or redirect to"), required=False, max_length=500,
        help_text=_("Only to the sites your administrator allowed."),
    )  # fmt: skip
    tags = forms.CharField(
        label=_("Tags for the contact"), required=False, help_text=_("Separated by commas.")
    )
    lifecycle_stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=LifecycleStage.choices)
    contact_source = forms.ChoiceField(label=_("Contact source"), choices=Source.choices)
    allowed_origins = forms.CharField(
        label=_("Sites that may embed the form"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One origin per line, e.g. https://www.example.co"),
    )  # fmt: skip
    welcome_subject_es = forms.CharField(label=_("Welcome subject (Spanish)"), required=False)
    welcome_body_es = forms.CharField(
        label=_("Welcome message (Spanish)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("You may use {{ first_name }}, {{ last_name }} and {{ form }}."),
    )  # fmt: skip
    welcome_subject_en = forms.CharField(label=_("Welcome subject (English)"), required=False)
    welcome_body_en = forms.CharField(
        label=_("Welcome message (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31
    )

    def service_data(self) -> dict[str, Any]:
        """Return the cleaned values as the service takes them."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["tags"] = [t for t in data["tags"].split(",") if t.strip()]
        data["allowed_origins"] = data["allowed_origins"].split()
        return data


def custom_field_choices() -> list[tuple[str, str]]:
    """Return the active custom fields of contacts as choices."""
    rows = CustomField.objects.filter(entity="contact", is_active=True).order_by("position", "id")
    return [("", "—"), *((str(f.pk), f.label) for f in rows)]


class FieldForm(forms.Form):
    """One field of a form."""

    kind = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices)
    target = forms.ChoiceField(
        label=_("Contact field"), choices=[("", "—"), *ContactTarget.choices], required=False
    )
    custom_field = forms.ChoiceField(label=_("Custom field"), choices=(), required=False)
    hidden_source = forms.ChoiceField(
        label=_("Hidden value from"), choices=[("", "—"), *HiddenSource.choices], required=False
    )
    hidden_value = forms.CharField(label=_("Fixed value"), required=False, max_length=200)
    required = forms.BooleanField(label=_("Required"), required=False)
    label_es = forms.CharField(label=_("Label (Spanish)"), required=False, max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), required=False, max_length=200)
    help_es = forms.CharField(label=_("Help (Spanish)"), required=False, max_length=300)
    help_en = forms.CharField(label=_("Help (English)"), required=False, max_length=300)
    placeholder = forms.CharField(label=_("Placeholder"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Offer the active custom fields."""
        super().__init__(*args, **kwargs)
        field = self.fields["custom_field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = custom_field_choices()


class ConsentForm(forms.Form):
    """A consent checkbox and its legal text."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    text_es = forms.CharField(
        label=_("Legal text (Spanish)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    text_en = forms.CharField(
        label=_("Legal text (English)"), max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class StateFilterForm(forms.Form):
    """The state filter of the submissions list."""

    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All")), *SubmissionState.choices], required=False
    )


def _people() -> list[tuple[str, str]]:
    from clientela.accounts.models import User

    return [
        (str(user.pk), user.get_full_name() or user.username)
        for user in User.objects.filter(is_active=True).order_by("first_name", "last_name", "pk")
    ]


class RuleForm(forms.Form):
    """A lead-routing rule: what it takes, who it gives leads to, and the rep's task."""

    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    form_ids = forms.MultipleChoiceField(
        label=_("Forms"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: leads from any form or webhook."),
    )
    sources = forms.MultipleChoiceField(
        label=_("Sources"),
        required=False,
        choices=Source.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any source."),
    )
    products = forms.CharField(
        label=_("Products of interest"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas, as the form's “product” value carries them."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        max_length=300,
        help_text=_("Two-letter codes separated by commas (CO, MX). Empty: any."),
    )
    cities = forms.CharField(
        label=_("Cities"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas; accents and capitals do not matter. Empty: any."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        required=False,
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    strategy = forms.ChoiceField(
        label=_("How the rep is chosen"), choices=AssignmentStrategy.choices
    )
    members = forms.MultipleChoiceField(
        label=_("Reps"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only active users take leads."),
    )
    fixed_owner = forms.ChoiceField(label=_("Always to"), required=False)
    fallback_owner = forms.ChoiceField(
        label=_("If nobody is available"),
        required=False,
        help_text=_("Who gets the lead when every rep of the rule is inactive."),
    )
    sla_hours = forms.IntegerField(
        label=_("Hours to first contact"), min_value=1, max_value=720, initial=24
    )
    task_es = forms.CharField(
        label=_("Task in Spanish"), required=False, max_length=200, initial="Llamar dentro de 24 h"
    )
    task_en = forms.CharField(
        label=_("Task in English"), required=False, max_length=200, initial="Call within 24 h"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from clientela.webforms.models import Form as WebForm

        people = _people()
        choices = [(f.public_id, f.name) for f in WebForm.objects.order_by("name", "id")]
        self.fields["form_ids"].choices = choices  # type: ignore[attr-defined]
        self.fields["members"].choices = people  # type: ignore[attr-defined]
        self.fields["fixed_owner"].choices = [("", "—"), *people]  # type: ignore[attr-defined]
        self.fields["fallback_owner"].choices = [("", "—"), *people]  # type: ignore[attr-defined]


class LeadSourceForm(forms.Form):
    """An inbound lead source: where leads come from, the form they fill, the sender's secrets."""

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Leads come from"), choices=LeadSourceKind.choices)
    form = forms.ChoiceField(
        label=_("Form they fill in"),
        help_text=_(
            "Its fields, tags, stage, welcome message and lead routing apply: answers it has "
            "no field for stay on the submission, not on the contact."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    app_secret = forms.CharField(
        label=_("Meta app secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("From the Meta app's basic settings. Leave empty to keep the saved one."),
    )
    access_token = forms.CharField(
        label=_("Meta page access token"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("A long-lived token of the page with the leads_retrieval permission."),
    )
    mapping = forms.CharField(
        label=_("Field mapping (JSON webhook)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One line per field: email = contact.email"),
    )
    id_path = forms.CharField(
        label=_("Path of the lead's id (JSON webhook)"),
        required=False,
        max_length=200,
        help_text=_("E.g. id or lead.id: a lead sent twice is then taken once."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from clientela.webforms.models import Form as WebForm

        self.fields["form"].choices = [  # type: ignore[attr-defined]
            (str(f.pk), f.name) for f in WebForm.objects.order_by("name", "id")
        ]
        if editing:
            del self.fields["kind"]

    def clean_mapping(self) -> dict[str, str]:
        """Read "field = path" lines into a mapping."""
        mapping: dict[str, str] = {}
        for number, line in enumerate(str(self.cleaned_data["mapping"]).splitlines(), start=1):
            if not line.strip():
                continue
            field, sep, path = line.partition("=")
            if not sep or not field.strip() or not path.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write it as field = path.") % {"n": number}
                )
            mapping[field.strip()] = path.strip()
        return mapping


class PageSettingsForm(forms.Form):
    """A landing page's address, titles, description and default language."""

    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=_("The page opens at /p/<address>, e.g. webinar-vivienda-2026."),
    )
    title_es = forms.CharField(label=_("Title (Spanish)"), required=False, max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), required=False, max_length=200)
    description_es = forms.CharField(
        label=_("Description for search engines (Spanish)"), required=False, max_length=300
    )
    description_en = forms.CharField(
        label=_("Description for search engines (English)"), required=False, max_length=300
    )
    language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGES)


class BlockForm(forms.Form):
    """One block's words and settings; only the fields of its kind are shown."""

    FIELDS = {
        "heading": ("text_es", "text_en", "level"),
        "text": ("html_es", "html_en"),
        "image": ("image", "alt_es", "alt_en"),
        "form": ("form",),
        "button": ("label_es", "label_en", "url"),
        "video": ("url", "caption_es", "caption_en"),
    }

    text_es = forms.CharField(label=_("Text (Spanish)"), required=False, max_length=200)
    text_en = forms.CharField(label=_("Text (English)"), required=False, max_length=200)
    level = forms.TypedChoiceField(
        label=_("Size"), coerce=int, choices=[(1, _("Title")), (2, _("Section")), (3, _("Small"))]
    )
    html_es = forms.CharField(
        label=_("Text (Spanish)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Paragraphs, bold, italics, lists and links are kept; anything else is removed."
        ),
    )
    html_en = forms.CharField(
        label=_("Text (English)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    image = forms.ChoiceField(label=_("Image"))
    alt_es = forms.CharField(label=_("Description of the image (Spanish)"), required=False)
    alt_en = forms.CharField(label=_("Description of the image (English)"), required=False)
    form = forms.ChoiceField(label=_("Form"))
    label_es = forms.CharField(label=_("Button text (Spanish)"), required=False, max_length=80)
    label_en = forms.CharField(label=_("Button text (English)"), required=False, max_length=80)
    url = forms.CharField(label=_("Link"), required=False, max_length=500)
    caption_es = forms.CharField(label=_("Caption (Spanish)"), required=False, max_length=200)
    caption_en = forms.CharField(label=_("Caption (English)"), required=False, max_length=200)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from clientela.webforms.models import Form as WebForm
        from clientela.webforms.models import PageImage

        keep = set(self.FIELDS.get(kind, ()))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "form" in self.fields:
            self.fields["form"].choices = [  # type: ignore[attr-defined]
                (f.public_id, f.name) for f in WebForm.objects.order_by("name", "id")
            ]
        if "image" in self.fields:
            self.fields["image"].choices = [  # type: ignore[attr-defined]
                (i.token, i.name or i.token) for i in PageImage.objects.defer("data")[:200]
            ]
