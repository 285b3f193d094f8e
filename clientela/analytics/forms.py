"""Forms of the customer-value screens: filters, drill-downs, LTV overrides and settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.analytics.decimals import check_decimal, field_limits
from clientela.analytics.ltv import INDUSTRY_BENCHMARKS
from clientela.analytics.models import AnalyticsSettings
from clientela.analytics.queries import (
    DRILL_ORDERINGS,
    NEW_CUSTOMER,
    PERIODS,
    DrillFilters,
    ValueFilters,
)
from clientela.analytics.rfm import INACTIVITY_STATES, SEGMENTS
from clientela.core.http import parse_month
from clientela.orders.choices import Channel


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """Give a choice field of a form its choices (built per request: they are translated)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def segment_choices(blank: Any) -> list[tuple[str, Any]]:
    """Return the 11 RFM segments after a blank option."""
    return [("", blank), *((s.code, s.label) for s in SEGMENTS)]


class ValueFilterForm(forms.Form):
    """Period, acquisition channel and segment of the dashboard."""

    months = forms.ChoiceField(label=_("Period"), required=False)
    channel = forms.ChoiceField(label=_("Acquisition channel"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "months",
            [
                *((str(n), _("Last %(n)d months") % {"n": n}) for n in PERIODS),
                ("all", _("All time")),
            ],
        )
        set_choices(self, "channel", [("", _("Every channel")), *Channel.choices])
        set_choices(self, "segment", segment_choices(_("Every segment")))

    def to_filters(self) -> ValueFilters:
        """Return the valid filters; 12 months by default."""
        data = self.cleaned_data if self.is_valid() else {}
        raw = data.get("months") or "12"
        return ValueFilters(
            months=None if raw == "all" else int(raw),
            channel=data.get("channel") or "",
            segment=data.get("segment") or "",
        )


class DrillForm(forms.Form):
    """Which customers a number stands for (from the query string of a drill-down link)."""

    segment = forms.ChoiceField(required=False)
    previous_segment = forms.ChoiceField(required=False)
    inactivity = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False)
    cohort = forms.CharField(required=False, max_length=7)
    clv_min = forms.FloatField(required=False)
    clv_max = forms.FloatField(required=False)
    q = forms.CharField(required=False, max_length=100)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in DRILL_ORDERINGS])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "segment", segment_choices(_("Every segment")))
        set_choices(
            self,
            "previous_segment",
            [
                *segment_choices(_("Any")),
                (NEW_CUSTOMER, _("Not a customer before")),
            ],
        )
        set_choices(self, "inactivity", [("", _("Any")), *INACTIVITY_STATES])
        set_choices(self, "channel", [("", _("Every channel")), *Channel.choices])

    def to_filters(self) -> DrillFilters:
        """Return the valid filters (a wrong value is ignored rather than widening to everyone)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DrillFilters(
            segment=data.get("segment") or "",
            previous_segment=data.get("previous_segment") or "",
            inactivity=data.get("inactivity") or "",
            channel=data.get("channel") or "",
            cohort=parse_month(data.get("cohort")),
            clv_min=data.get("clv_min"),
            clv_max=data.get("clv_max"),
            q=(data.get("q") or "").strip(),
            ordering=data.get("sort") or "-clv",
        )


def _decimal_field(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


# Digits an LTV input may have: (max_digits, decimal_places). Money and percentages that can
# be saved take the limits of the settings field they are saved to; the others are bounded so
# the formulas stay within floating point.
_MONEY = field_limits(AnalyticsSettings, "retention_cost_per_customer")
# A margin is saved as a fraction (0-1): as a percentage it has two places fewer.
_MARGIN = field_limits(AnalyticsSettings, "default_gross_margin")
_PERCENT = (_MARGIN[0], _MARGIN[1] - 2)
INPUT_LIMITS: dict[str, tuple[int, int]] = {
    "arpu": _MONEY,
    "aov": _MONEY,
    "purchases_per_year": (9, 4),
    "lifespan_years": (7, 4),
    "churn_monthly": _PERCENT,
    "gross_margin": _PERCENT,
    "discount_rate": _PERCENT,
    "cac": _MONEY,
    "retention_cost": _MONEY,
}


class LtvInputsForm(forms.Form):
    """The LTV inputs the user may replace on screen (percentages as 0-100)."""

    arpu = _decimal_field(_("ARPU (revenue per customer and month)"))
    aov = _decimal_field(_("Average order value"))
    purchases_per_year = _decimal_field(_("Purchases per customer and year"))
    lifespan_years = _decimal_field(_("Customer lifespan (years)"))
    churn_monthly = _decimal_field(_("Monthly churn (%)"))
    gross_margin = _decimal_field(_("Gross margin (%)"))
    discount_rate = _decimal_field(_("Yearly discount rate (%)"))
    cac = _decimal_field(_("CAC"))
    retention_cost = _decimal_field(_("Yearly retention cost per customer"))
    industry = forms.ChoiceField(label=_("Industry reference"), required=False)

    PERCENT_FIELDS = ("churn_monthly", "gross_margin", "discount_rate")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "industry",
            [
                ("", _("General rule (3:1)")),
                *((b.code, b.label) for b in INDUSTRY_BENCHMARKS),
            ],
        )

    def clean(self) -> dict[str, Any]:
        """Parse each number within its digits; percentages become fractions."""
        from clientela.core.tabular.values import parse_decimal

        data = super().clean() or {}
        for name in self.fields:
            if name == "industry":
                continue
            raw = (data.get(name) or "").strip()
            if not raw:
                data[name] = None
                continue
            try:
                number = parse_decimal(raw)
            except (ValueError, ArithmeticError):
                self.add_error(name, _("Enter a number, such as 1.250.000 or 3,5."))
                continue
            if number is None or not number.is_finite() or number < 0:
                self.add_error(name, _("Enter a number of zero or more."))
                continue
            digits, places = INPUT_LIMITS[name]
            try:
                number = check_decimal(number, max_digits=digits, decimal_places=places)
            except ValidationError as exc:
                self.add_error(name, exc)
                continue
            value = float(number)
            if name in self.PERCENT_FIELDS:
                if value > 100:
                    self.add_error(name, _("Enter a percentage between 0 and 100."))
                    continue
                value /= 100
            data[name] = value
        return data

    def overrides(self) -> dict[str, float | None]:
        """Return the numbers the user typed (None where the computed value stays)."""
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if k != "industry"}


class PercentField(forms.DecimalField):
    """A fraction stored as 0-1, shown and typed as a percentage (0-100) in the user's format."""

    def prepare_value(self, value: Any) -> Any:
        """Show a stored fraction as a percentage."""
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            value = (Decimal(str(value)) * 100).normalize()
            value = value.quantize(Decimal(1)) if value == value.to_integral() else value
        return super().prepare_value(value)

    def clean(self, value: Any) -> Any:
        """Turn the typed percentage back into a fraction."""
        number = super().clean(value)
        return None if number is None else number / 100


def _settings_decimal(name: str, label: Any, **kwargs: Any) -> forms.DecimalField:
    digits, places = field_limits(AnalyticsSettings, name)
    return forms.DecimalField(
        label=label,
        max_digits=digits,
        decimal_places=places,
        localize=True,
        **kwargs,
    )


class SettingsForm(forms.Form):
    """Analytics settings: inactivity cascade, CLV horizon and discount, margin and costs.

    Numbers are shown and read in the user's format (es: 1.250.000,5); rates are percentages.
    """

    inactive_9m = forms.IntegerField(
        label=_("First reactivation step (months)"), min_value=1, max_value=600
    )
    inactive_12m = forms.IntegerField(
        label=_("Second reactivation step (months)"), min_value=1, max_value=600
    )
    inactive_15m = forms.IntegerField(
        label=_("Third reactivation step (months)"), min_value=1, max_value=600
    )
    churned = forms.IntegerField(label=_("Churned after (months)"), min_value=1, max_value=600)
    clv_horizon_months = forms.IntegerField(
        label=_("CLV horizon (months)"), min_value=1, max_value=120
    )
    monthly_discount_rate = PercentField(
        label=_("Monthly discount rate (%)"),
        min_value=0,
        max_value=Decimal("99.99"),
        max_digits=6,
        decimal_places=2,
        localize=True,
    )
    default_gross_margin = PercentField(
        label=_("Gross margin when orders have no cost (%)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        localize=True,
    )
    retention_cost_per_customer = _settings_decimal(
        "retention_cost_per_customer",
        _("Yearly retention cost per customer"),
        required=False,
        min_value=0,
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    snapshots_kept = forms.IntegerField(
        label=_("Snapshots kept customer by customer"), min_value=2, max_value=400
    )

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            "industry",
            [
                ("", _("Not set")),
                *((b.code, b.label) for b in INDUSTRY_BENCHMARKS),
            ],
        )
        if currency:
            field = self.fields["retention_cost_per_customer"]
            field.label = _("Yearly retention cost per customer (%(currency)s)") % {
                "currency": currency
            }
