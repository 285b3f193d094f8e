"""Forms of the sales section: the report filters and the plan grid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.contacts.choices import Source
from clientela.core.exceptions import ValidationFailed
from clientela.deals.models import Pipeline
from clientela.sales.services import DEALS_MAX

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
PERIOD_DAYS_MAX = 366 * 5


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (unknown fields on the whole form)."""
    for name, messages in exc.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, ValidationError(message))


def _date(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ReportFilterForm(forms.Form):
    """Filters of every sales report: pipeline, period, rep, source and product."""

    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False)
    since = _date(_("From"))
    until = _date(_("Until"))
    owner = forms.TypedChoiceField(label=_("Rep"), coerce=int, required=False, empty_value=None)
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All sources")), *Source.choices], required=False
    )
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        pipelines: list[Pipeline],
        owners: list[User],
        products: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.TypedChoiceField)
        product.choices = [("", _("All products")), *(products or [])]
        pipeline = self.fields["pipeline"]
        assert isinstance(pipeline, forms.TypedChoiceField)
        pipeline.choices = [(p.pk, p.name) for p in pipelines]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        owner.choices = [
            ("", _("Everyone")),
            *((u.pk, u.get_full_name() or u.username) for u in owners),
        ]

    def clean(self) -> dict[str, Any]:
        """Check the period: real dates, in order, at most five years long."""
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not DATE_MIN <= day <= DATE_MAX:
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        elif since and until and (until - since).days > PERIOD_DAYS_MAX:
            self.add_error("until", _("Choose a period of at most five years."))
        return data


class PlanForm(forms.Form):
    """The plan grid of a pipeline and month: an amount and a number of deals per rep."""

    def __init__(
        self, *args: Any, reps: list[User], initial_targets: dict[int, tuple[Decimal, int]],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.reps = reps
        for rep in reps:
            amount, deals = initial_targets.get(rep.pk, (Decimal(0), 0))
            name = rep.get_full_name() or rep.username
            self.fields[f"amount_{rep.pk}"] = forms.DecimalField(
                label=_("Amount target of %(name)s") % {"name": name},
                min_value=0,
                max_digits=16,
                decimal_places=2,
                initial=amount,
                localize=True,
            )
            self.fields[f"deals_{rep.pk}"] = forms.IntegerField(
                label=_("Deals target of %(name)s") % {"name": name},
                min_value=0,
                max_value=DEALS_MAX,
                initial=deals,
            )

    def rows(self) -> list[tuple[User, forms.BoundField, forms.BoundField]]:
        """Return each rep with its two inputs, for the grid."""
        return [(r, self[f"amount_{r.pk}"], self[f"deals_{r.pk}"]) for r in self.reps]

    def targets(self) -> dict[int, tuple[Decimal, int]]:
        """Return {rep id: (amount, deals)} of a valid form."""
        data = self.cleaned_data
        return {r.pk: (data[f"amount_{r.pk}"], data[f"deals_{r.pk}"]) for r in self.reps}
