"""Forms of billing: a quote's terms, the plan proposer, a plan row, a payment, the settings.

Forms parse what the browser sends; the services decide (their field errors land on these
forms' fields through `show_errors`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from clientela.billing.choices import InvoiceStatus, Light, OrdersFrom, PaymentMethod, QuoteStatus
from clientela.billing.models import Instalment
from clientela.billing.services import INSTALMENTS_MAX, TERMS_MAX, VALIDITY_MAX_DAYS
from clientela.core.exceptions import ValidationFailed

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LANGUAGES = (("es", _("Spanish")), ("en", _("English")))


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (unknown fields on the whole form)."""
    for name, messages in exc.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, ValidationError(message))


def _money(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=18, decimal_places=2, min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), **kwargs,
    )  # fmt: skip


class QuoteForm(forms.Form):
    """A quote's validity, language and terms (its lines come from the deal)."""

    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    language = forms.ChoiceField(
        label=_("Language of the PDF"), choices=LANGUAGES,
        help_text=_("The contact's language by default."),
    )  # fmt: skip
    terms = forms.CharField(
        label=_("Terms"), required=False, max_length=TERMS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Payment conditions, what the price includes, delivery."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class PlanForm(forms.Form):
    """What a plan is proposed from: a down payment and a number of monthly cuotas."""

    down_payment = _money(_("Down payment"))
    down_due = forms.DateField(label=_("Down payment due"), widget=DATE)
    count = forms.IntegerField(
        label=_("Monthly instalments"), min_value=0, max_value=INSTALMENTS_MAX,
        help_text=_("0 to bill the whole amount as one payment."),
    )  # fmt: skip
    first_due = forms.DateField(label=_("First instalment due"), widget=DATE)


class PaymentForm(forms.Form):
    """A payment received against one instalment."""

    instalment = forms.TypedChoiceField(label=_("Instalment"), coerce=int)
    amount = _money(_("Amount"))
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=100,
        help_text=_("Transfer number, receipt, cheque…"),
    )  # fmt: skip

    def __init__(self, *args: Any, instalments: list[Instalment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instalment"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (row.pk, instalment_label(row)) for row in instalments if row.paid < row.amount
        ]


def instalment_label(row: Instalment) -> str:
    """Name an instalment for a picker: "Cuota 3 · 2027-03-01 · saldo 7.500,00"."""
    name = _("Down payment") if row.position == 0 else _("Instalment %(n)s") % {"n": row.position}
    balance = formats.number_format(row.amount - row.paid, 2, use_l10n=True, force_grouping=True)
    return f"{name} · {formats.date_format(row.due_on, 'SHORT_DATE_FORMAT')} · {balance}"


class SendForm(forms.Form):
    """Whom the quote goes to, and the message with it."""

    to = forms.EmailField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    message = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )


class QuoteFilterForm(forms.Form):
    """The quote list's filters."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *QuoteStatus.choices]
    )


class InvoiceFilterForm(forms.Form):
    """The invoice list's filters."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    light = forms.ChoiceField(
        label=_("Payment status"), required=False, choices=[("", _("All")), *Light.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *InvoiceStatus.choices]
    )


class SettingsForm(forms.Form):
    """The billing settings."""

    orders_from = forms.ChoiceField(
        label=_("Sales that become orders"), choices=OrdersFrom.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Orders feed RFM, CLV and LTV. Choose one source so that no sale counts twice."
        ),
    )  # fmt: skip
    quote_validity_days = forms.IntegerField(
        label=_("Quotes valid for (days)"), min_value=1, max_value=VALIDITY_MAX_DAYS
    )
    quote_terms = forms.CharField(
        label=_("Default quote terms"), required=False, max_length=TERMS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    seller_name = forms.CharField(label=_("Company name"), required=False, max_length=200)
    seller_tax_id = forms.CharField(label=_("Tax id (NIT)"), required=False, max_length=40)
    seller_address = forms.CharField(label=_("Address"), required=False, max_length=300)
    seller_contact = forms.CharField(label=_("Phone and e-mail"), required=False, max_length=200)
