"""Forms of the deal screens: they parse text; the services validate and explain."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Department, User
from clientela.contacts.choices import Source
from clientela.contacts.custom_inputs import CUSTOM_PREFIX, CustomFieldsForm, custom_input_name
from clientela.contacts.models import CustomField
from clientela.core.exceptions import ValidationFailed
from clientela.core.numbers import DB_INT_MAX
from clientela.deals.choices import Attendance, Authority, StageKind, Timeframe
from clientela.deals.models import LostReason, Stage
from clientela.deals.services import NAME_MAX, NEED_MAX, NOTE_MAX, ROTTING_MAX, TITLE_MAX

MONEY_MAX = 10**14 - 1


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (unknown fields on the whole form).

    A custom field's error (`custom.<key>`) goes on its input.
    """
    for key, messages in exc.errors.items():
        name = custom_input_name(key)
        for message in messages:
            form.add_error(name if name in form.fields else None, ValidationError(message))


def _id_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=DB_INT_MAX, **kwargs)


class DealForm(CustomFieldsForm):
    """A deal's fields and its custom fields; the owner only for who may give deals to others."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("Lot 14 in Ocala for the Pérez family")}),
    )
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_value=MONEY_MAX, decimal_places=2, required=False
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    expected_close = forms.DateField(
        label=_("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    budget = forms.DecimalField(
        label=_("Budget"), min_value=0, max_value=MONEY_MAX, decimal_places=2, required=False
    )
    authority = forms.ChoiceField(label=_("Who decides"), choices=Authority.choices, required=False)
    timeframe = forms.ChoiceField(label=_("Timeframe"), choices=Timeframe.choices, required=False)
    need = forms.CharField(
        label=_("Need"),
        max_length=NEED_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attendance = forms.ChoiceField(
        label=_("Came to the appointment"), choices=Attendance.choices, required=False
    )
    contact = _id_field(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=DB_INT_MAX
    )

    def __init__(
        self,
        *args: Any,
        stages: list[Stage] | None = None,
        owners: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        assert isinstance(stage, forms.TypedChoiceField)
        if stages:
            stage.choices = [(s.pk, s.name) for s in stages if s.kind != StageKind.LOST]
        else:
            del self.fields["stage"]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        if owners:
            owner.choices = [(u.pk, u.get_full_name() or u.username) for u in owners]
        else:
            del self.fields["owner"]


class QuickDealForm(forms.Form):
    """The quick-create of a board column: a title and an amount."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_value=MONEY_MAX, decimal_places=2, required=False
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    stage = _id_field(widget=forms.HiddenInput)


class MoveForm(forms.Form):
    """Where a deal goes, and why when it is lost."""

    stage = forms.TypedChoiceField(label=_("Move to"), coerce=int)
    lost_reason = forms.TypedChoiceField(label=_("Lost reason"), coerce=int, required=False)
    lost_note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=DB_INT_MAX
    )

    def __init__(
        self, *args: Any, stages: list[Stage], reasons: list[LostReason], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        assert isinstance(stage, forms.TypedChoiceField)
        stage.choices = [(s.pk, s.name) for s in stages]
        reason = self.fields["lost_reason"]
        assert isinstance(reason, forms.TypedChoiceField)
        reason.choices = [("", "—"), *((r.pk, r.name) for r in reasons)]


class NextStepForm(forms.Form):
    """The next step of a deal: what to do and when."""

    subject = forms.CharField(label=_("Next step"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class JoinedSelect(forms.Select):
    """A select whose options are joined in Python, not rendered one template each.

    The same markup as Django's select.html; the board's product filter lists hundreds of
    products, which the template way took a third of the board's time to render.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        """Return the <select> with its <option>s (no option groups in these filters)."""
        widget = self.get_context(name, value, attrs)["widget"]
        options = "".join(
            f'<option value="{_escape(str(option["value"]))}"'
            f"{flatatt(option['attrs']) if option['attrs'] else ''}>"
            f"{_escape(str(option['label']))}</option>"
            for _group, choices, _index in widget["optgroups"]
            for option in choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe(options),  # noqa: S308 - every value is escaped above
        )


class DealFilterForm(forms.Form):
    """Filters of the board and the list."""

    owner = forms.TypedChoiceField(
        label=_("Owner"), coerce=int, required=False, empty_value=None, widget=JoinedSelect
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("All sources")), *Source.choices],
        required=False,
        widget=JoinedSelect,
    )
    tag = forms.TypedChoiceField(
        label=_("Tag"), coerce=int, required=False, empty_value=None, widget=JoinedSelect
    )
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None, widget=JoinedSelect
    )
    close_from = forms.DateField(
        label=_("Closing from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    close_to = forms.DateField(
        label=_("Closing until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rotting = forms.BooleanField(label=_("Only rotting"), required=False)
    q = forms.CharField(label=_("Title contains"), max_length=100, required=False)

    def __init__(
        self,
        *args: Any,
        owners: list[User] | None = None,
        tags: list[tuple[int, str]] | None = None,
        choice_fields: list[CustomField] | None = None,
        products: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.TypedChoiceField)
        product.choices = [("", _("All products")), *(products or [])]
        # One select per deal custom field of the Choice type, after the built-in filters.
        self.custom_keys = [definition.key for definition in choice_fields or []]
        for definition in choice_fields or []:
            self.fields[CUSTOM_PREFIX + definition.key] = forms.ChoiceField(
                label=definition.label,
                choices=[("", _("All")), *definition.options()],
                required=False,
                widget=JoinedSelect,
            )
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        owner.choices = [
            ("", _("Everyone")),
            *((u.pk, u.get_full_name() or u.username) for u in owners or []),
        ]
        tag = self.fields["tag"]
        assert isinstance(tag, forms.TypedChoiceField)
        tag.choices = [("", _("All tags")), *(tags or [])]

    def custom_filter_fields(self) -> list[forms.BoundField]:
        """Return the custom field selects, for the templates."""
        return [self[CUSTOM_PREFIX + key] for key in self.custom_keys]

    def custom_filters(self) -> tuple[tuple[str, str], ...]:
        """Return the chosen (custom field key, option) pairs of a valid form."""
        chosen = (
            (key, self.cleaned_data.get(CUSTOM_PREFIX + key) or "") for key in self.custom_keys
        )
        return tuple((key, value) for key, value in chosen if value)


class PipelineForm(forms.Form):
    """A pipeline's name and the departments it is restricted to."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    departments = forms.ModelMultipleChoiceField(
        label=_("Only for these departments"),
        queryset=Department.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave them all unticked for a pipeline everyone uses."),
    )


class StageForm(forms.Form):
    """A stage's name, probability, kind and rotting days."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)
    rotting_days = forms.IntegerField(
        label=_("Rotting after (days)"), min_value=1, max_value=ROTTING_MAX, required=False
    )


class RemoveStageForm(forms.Form):
    """Where a removed stage's deals go."""

    move_to = forms.TypedChoiceField(label=_("Move its deals to"), coerce=int, required=False)

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["move_to"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((s.pk, s.name) for s in stages)]


class LostReasonForm(forms.Form):
    """A lost reason's name."""

    name = forms.CharField(label=_("Lost reason"), max_length=NAME_MAX)


class DealLineForm(forms.Form):
    """A line to add to a deal: a product (its price and tax by default) or free text."""

    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=20, initial="1")
    unit_price = forms.CharField(
        label=_("Unit price"), max_length=30, required=False,
        help_text=_("Empty: the product's price."),
    )  # fmt: skip
    discount_pct = forms.CharField(label=_("Discount (%)"), max_length=10, required=False)
    tax_rate = forms.CharField(
        label=_("Tax (%)"), max_length=10, required=False, help_text=_("Empty: the product's.")
    )

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        """Offer the products a line may name."""
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.TypedChoiceField)
        product.choices = [("", _("Free text line")), *products]
