"""Forms of the order screens: they parse text; the services validate and explain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from clientela.core.numbers import DB_INT_MAX
from clientela.core.tabular.values import parse_decimal
from clientela.orders.choices import COMMON_CURRENCIES, Channel
from clientela.orders.queries import ORDER_ORDERINGS, OrderFilters, company_currency

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """Give a choice field of a form its choices (built per request: they are translated)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def channel_choices(blank: Any) -> list[tuple[str, Any]]:
    """Return the channels, with a first blank option labelled `blank`."""
    return [("", blank), *Channel.choices]


class OrderForm(forms.Form):
    """An order entered by hand (amounts accept 125.000,50 or 125000.50)."""

    contact = forms.IntegerField(widget=forms.HiddenInput, required=False)
    company = forms.IntegerField(widget=forms.HiddenInput, required=False)
    ordered_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        help_text=_("Leave it empty to add up the lines."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        widget=forms.TextInput(attrs={"list": "currency-options", "autocomplete": "off"}),
    )
    cost = forms.CharField(
        label=_("Cost"),
        required=False,
        help_text=_("What the goods cost you, for the margin. Optional."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    source_system = forms.CharField(label=_("Source system"), max_length=40, required=False)
    external_id = forms.CharField(label=_("External id"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "channel", channel_choices(_("Not known")))
        self.fields["currency"].initial = company_currency()

    def to_data(self) -> dict[str, Any]:
        """Return the cleaned values as service input (amount and cost left out when empty)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if not data.get("contact"):
            data.pop("contact", None)
        if not data.get("company"):
            data.pop("company", None)
        return data


class OrderLineForm(forms.Form):
    """One product line."""

    product_name = forms.CharField(label=_("Product"), max_length=200, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=60, required=False)
    quantity = forms.CharField(
        label=_("Quantity"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit_price = forms.CharField(
        label=_("Unit price"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, max_num=50)


class OrderFilterForm(forms.Form):
    """Filters of the orders list (from the query string)."""

    q = forms.CharField(required=False)
    channel = forms.ChoiceField(required=False)
    currency = forms.CharField(required=False, max_length=3)
    contact = forms.IntegerField(required=False, min_value=1, max_value=DB_INT_MAX)
    company = forms.IntegerField(required=False, min_value=1, max_value=DB_INT_MAX)
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT)
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in ORDER_ORDERINGS])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "channel", channel_choices(_("Any")))

    def clean(self) -> dict[str, Any]:
        """Check that the range does not end before it starts."""
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filters(self) -> OrderFilters:
        """Return the valid filters (invalid ones are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        return OrderFilters(
            q=(data.get("q") or "").strip(),
            channel=data.get("channel") or "",
            currency=(data.get("currency") or "").strip().upper(),
            contact=data.get("contact"),
            company=data.get("company"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            ordering=data.get("sort") or "-date",
        )


class RateForm(forms.Form):
    """An exchange rate: 1 unit of the currency in company currency from a date on."""

    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        widget=forms.TextInput(attrs={"list": "currency-options", "autocomplete": "off"}),
    )
    date = forms.DateField(
        label=_("From"), required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT
    )
    rate = forms.CharField(
        label=_("Rate"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = dt.date.today()


def currency_options() -> list[str]:
    """Currencies suggested by the currency inputs."""
    return list(COMMON_CURRENCIES)


# --- the marketing-spend grid ---------------------------------------------------------------


def spend_amount_text(amount: Decimal) -> str:
    """Return an amount as the language writes it: 1.082.000 (es), 1,082,000 (en), cents if any."""
    cents = 2 if amount != amount.to_integral_value() else 0
    return formats.number_format(amount, cents, use_l10n=True, force_grouping=True)


def spend_cell_value(raw: str) -> str:
    """Return a typed cell in the canonical form the service reads, using the language's separators.

    "1,500" is fifteen hundred in English and one and a half in Spanish: the language decides.
    Text that is not a number in that language is passed on as typed (the service explains).
    """
    if not raw.strip():
        return ""
    comma = formats.get_format("DECIMAL_SEPARATOR") == ","
    try:
        number = parse_decimal(raw, decimal_comma=comma)
    except ValueError:
        return raw
    return "" if number is None else f"{number:f}"


@dataclass
class SpendRow:
    """One channel's row of the grid: its currency and its 12 cells."""

    channel: str
    label: str
    currency: str
    cells: list[dict[str, Any]]
    currency_errors: list[str]


def spend_rows(
    year: int,
    channels: list[str],
    saved: Mapping[tuple[str, int], Any],
    *,
    posted: Mapping[tuple[str, int], str] | None = None,
    posted_currencies: Mapping[str, str] | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> list[SpendRow]:
    """Return the grid's rows: saved amounts in the user's number format, or what was just typed.

    A row's currency is the one its amounts were saved in (the latest month's when they differ:
    a cell in another currency shows its own code), else the company currency.
    """
    posted, posted_currencies, errors = posted or {}, posted_currencies or {}, errors or {}
    home = company_currency()
    rows = []
    for channel in channels:
        months = [saved.get((channel, month)) for month in range(1, 13)]
        kept = [row for row in months if row is not None]
        currency = posted_currencies.get(channel) or (kept[-1].currency if kept else home)
        cells = []
        for month, row in enumerate(months, start=1):
            key = (channel, month)
            if key in posted:
                value = posted[key]
            else:
                value = "" if row is None else spend_amount_text(row.amount)
            cells.append(
                {
                    "name": f"spend-{channel}-{month}",
                    "month": month,
                    "value": value,
                    "errors": errors.get(f"{channel}-{month}", []),
                    "currency": row.currency if row is not None else "",
                }
            )
        rows.append(
            SpendRow(
                channel=channel,
                label=str(Channel(channel).label),
                currency=currency,
                cells=cells,
                currency_errors=errors.get(f"{channel}-currency", []),
            )
        )
    return rows


def spend_grid_input(
    post: Mapping[str, str], channels: list[str], saved: Mapping[tuple[str, int], Any]
) -> tuple[dict[tuple[str, int], str], dict[str, str], dict[tuple[str, int], str]]:
    """(values for the service, row currencies, cells as typed) read from a posted grid.

    A cell saved in another currency than its row's, whose amount was left as shown, is not
    sent: it keeps its own currency instead of being relabelled with the row's.
    """
    values: dict[tuple[str, int], str] = {}
    typed: dict[tuple[str, int], str] = {}
    currencies: dict[str, str] = {}
    for channel in channels:
        code = (post.get(f"currency-{channel}") or "").strip().upper()
        if code:
            currencies[channel] = code
        for month in range(1, 13):
            key = f"spend-{channel}-{month}"
            if key not in post:
                continue
            typed[(channel, month)] = post[key]
            value = spend_cell_value(post[key])
            row = saved.get((channel, month))
            if (
                row is not None
                and row.currency != (code or company_currency())
                and _same_amount(value, row.amount)
            ):
                continue
            values[(channel, month)] = value
    return values, currencies, typed


def _same_amount(value: str, amount: Decimal) -> bool:
    """Whether a canonical cell value is this amount (False for text that is not a number)."""
    try:
        return bool(value) and Decimal(value) == amount
    except InvalidOperation:
        return False
