"""The LTV screen's arithmetic. Pure: plain numbers in, plain out.

The five formulas applied to one set of inputs, LTV:CAC and its reading, payback and the
four LTV-mistake warnings.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientela.analytics.ltv import (
    INDUSTRY_BY_CODE,
    IndustryBenchmark,
    LtvInputError,
    LtvInputsUsed,
    Message,
    SegmentInput,
    ltv_by_segments,
    ltv_cac_ratio,
    ltv_npv,
    ltv_retail,
    ltv_saas,
    ltv_subscription,
    ltv_warnings,
    payback_months,
    read_ltv_cac,
)

MAX_LIFESPAN_YEARS = 10.0


@dataclass
class LtvInputs:
    """Inputs of the LTV formulas (None = unknown) and what they were computed from."""

    arpu: float | None = None  # revenue per customer and month
    aov: float | None = None  # average order value
    purchases_per_year: float | None = None
    lifespan_years: float | None = None
    churn_monthly: float | None = None
    gross_margin: float | None = None
    discount_rate: float = 0.0  # yearly
    cac: float | None = None
    retention_cost: float | None = None  # per customer and year
    # What the inputs rest on (not overridable).
    customers: int = 0
    orders: int = 0
    revenue: float = 0.0
    months: float = 0.0
    data_until: dt.date | None = None
    missing_share: float = 0.0
    margin_source: str = ""
    segments: list[SegmentInput] = field(default_factory=list)


OVERRIDABLE = (
    "arpu", "aov", "purchases_per_year", "lifespan_years", "churn_monthly", "gross_margin",
    "discount_rate", "cac", "retention_cost",
)  # fmt: skip


def with_overrides(inputs: LtvInputs, overrides: dict[str, float | None]) -> LtvInputs:
    """Return the inputs with the user's values in place of computed ones (None keeps computed)."""
    allowed = {f.name for f in fields(LtvInputs)} & set(OVERRIDABLE)
    changes: dict[str, Any] = {k: v for k, v in overrides.items() if k in allowed and v is not None}
    return replace(inputs, **changes)


def lifespan_from_churn(churn_monthly: float | None) -> float | None:
    """Return expected customer lifetime in years for a monthly churn rate (1 / churn), capped."""
    if churn_monthly is None or churn_monthly <= 0:
        return None
    return min(1 / churn_monthly / 12, MAX_LIFESPAN_YEARS)


@dataclass(frozen=True)
class FormulaResult:
    """One LTV formula, its value (None when inputs are missing) and why."""

    code: str
    label: Promise
    expression: Promise
    value: float | None
    note: Promise | str = ""


@dataclass(frozen=True)
class LtvReport:
    """Everything the LTV screen shows for one set of inputs."""

    inputs: LtvInputs
    formulas: list[FormulaResult]
    ltv: float | None  # the headline: retail formula on gross profit, minus retention costs
    ratio: float | None
    reading: Message | None
    payback_months: float | None
    warnings: list[Message]
    industry: IndustryBenchmark | None


def _margin(inputs: LtvInputs) -> float:
    return 1.0 if inputs.gross_margin is None else inputs.gross_margin


def net_ltv(
    aov: float | None,
    purchases_per_year: float | None,
    lifespan_years: float | None,
    margin: float | None,
    retention_cost: float | None,
) -> float | None:
    """Retail LTV on gross profit minus yearly retention costs, over the lifespan."""
    if aov is None or purchases_per_year is None or lifespan_years is None:
        return None
    try:
        gross = ltv_retail(aov, purchases_per_year, lifespan_years) * (
            1.0 if margin is None else margin
        )
    except LtvInputError:
        return None
    return gross - (retention_cost or 0.0) * lifespan_years


def ratio_and_reading(ltv: float | None, cac: float | None) -> tuple[float | None, Message | None]:
    """LTV:CAC and its reading, when both are known and CAC is positive."""
    if ltv is None or cac is None or cac <= 0:
        return None, None
    ratio = ltv_cac_ratio(ltv, cac)
    return ratio, read_ltv_cac(max(ratio, 0.0))


def _safe(function: Any, *args: Any) -> float | None:
    try:
        value = function(*args)
    except (LtvInputError, TypeError, ZeroDivisionError):
        return None
    return value if value is None or math.isfinite(value) else None


def build_report(
    inputs: LtvInputs, *, as_of: dt.date, industry_code: str = "", segment_count: int = 0
) -> LtvReport:
    """Apply the five formulas, LTV:CAC, payback and the four warnings to the inputs."""
    margin = _margin(inputs)
    lifespan = inputs.lifespan_years
    formulas: list[FormulaResult] = []
    months = None if lifespan is None else lifespan * 12
    formulas.append(
        FormulaResult(
            "subscription",
            _("Subscription"),
            _("ARPU × customer lifetime (months)"),
            _safe(ltv_subscription, inputs.arpu, months)
            if inputs.arpu is not None and months is not None
            else None,
        )
    )
    formulas.append(
        FormulaResult(
            "retail",
            _("Retail"),
            _("Average order value × purchases per year × lifespan (years)"),
            _safe(ltv_retail, inputs.aov, inputs.purchases_per_year, lifespan)
            if None not in (inputs.aov, inputs.purchases_per_year, lifespan)
            else None,
        )
    )
    formulas.append(
        FormulaResult(
            "saas",
            _("SaaS"),
            _("ARPU × gross margin ÷ monthly churn"),
            _safe(ltv_saas, inputs.arpu, margin, inputs.churn_monthly)
            if inputs.arpu is not None and inputs.churn_monthly
            else None,
        )
    )
    npv = None
    if None not in (inputs.aov, inputs.purchases_per_year, lifespan):
        assert inputs.aov is not None and inputs.purchases_per_year is not None
        assert lifespan is not None
        yearly = inputs.aov * inputs.purchases_per_year
        years = max(1, math.ceil(lifespan))
        # Whole years at full revenue, the last one at its fraction of a year.
        revenues = [yearly * min(1.0, lifespan - t) for t in range(years)]
        try:
            npv = ltv_npv(revenues, margin, inputs.discount_rate, inputs.cac or 0.0).value
        except LtvInputError:
            npv = None
    formulas.append(
        FormulaResult(
            "npv",
            _("Net present value"),
            _("Σ yearly revenue × margin ÷ (1 + discount rate)ᵗ − CAC"),
            npv,
        )
    )
    by_segments = _safe(ltv_by_segments, inputs.segments) if inputs.segments else None
    formulas.append(
        FormulaResult(
            "segments",
            _("By segment"),
            _("Σ segment revenue × retention probability × margin (per customer, one year)"),
            by_segments,
        )
    )
    ltv = net_ltv(
        inputs.aov, inputs.purchases_per_year, lifespan, inputs.gross_margin, inputs.retention_cost
    )
    ratio, reading = ratio_and_reading(ltv, inputs.cac)
    payback = None
    if inputs.cac is not None and inputs.arpu is not None:
        payback = _safe(payback_months, inputs.cac, inputs.arpu, min(max(margin, 0.0), 1.0))
    warnings = ltv_warnings(
        LtvInputsUsed(
            gross_margin=inputs.gross_margin,
            retention_cost_per_customer=inputs.retention_cost,
            segment_count=segment_count,
            data_until=inputs.data_until,
            as_of=as_of,
            missing_share=inputs.missing_share,
        )
    )
    return LtvReport(
        inputs=inputs,
        formulas=formulas,
        ltv=ltv,
        ratio=ratio,
        reading=reading,
        payback_months=payback,
        warnings=warnings,
        industry=INDUSTRY_BY_CODE.get(industry_code),
    )
