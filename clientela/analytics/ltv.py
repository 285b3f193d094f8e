"""Customer lifetime value formulas, LTV:CAC reading, industry references and LTV warnings.

Pure functions over plain numbers; every formula reproduces the worked example of the
product brief (see docs/analytics.md). Readings and warnings are a stable code plus an
English message marked for translation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class LtvInputError(ValueError):
    """Raised when an LTV formula gets inputs outside its domain."""


@dataclass(frozen=True)
class Message:
    """A stable machine code with a translatable human message."""

    code: str
    message: Promise


def ltv_subscription(arpu: float, lifetime_periods: float) -> float:
    """Return LTV = ARPU x customer lifetime (same period for both, e.g. months)."""
    _require_non_negative(arpu=arpu, lifetime_periods=lifetime_periods)
    return arpu * lifetime_periods


def ltv_retail(
    average_order_value: float, purchases_per_year: float, lifespan_years: float
) -> float:
    """Return LTV = average order value x purchase frequency x lifespan."""
    _require_non_negative(
        average_order_value=average_order_value,
        purchases_per_year=purchases_per_year,
        lifespan_years=lifespan_years,
    )
    return average_order_value * purchases_per_year * lifespan_years


def ltv_saas(arpu: float, gross_margin: float, churn_rate: float) -> float:
    """Return LTV = ARPU x gross margin / churn rate (per period)."""
    _require_non_negative(arpu=arpu)
    _require_fraction(gross_margin=gross_margin)
    if not 0 < churn_rate <= 1:
        raise LtvInputError("churn_rate must be in (0, 1]")
    return arpu * gross_margin / churn_rate


@dataclass(frozen=True)
class NpvLtv:
    """Net present value LTV with its discounted per-period parts and the CAC subtracted."""

    value: float
    parts: tuple[float, ...]
    cac: float


def ltv_npv(revenues: Sequence[float], margin: float, discount_rate: float, cac: float) -> NpvLtv:
    """Return LTV = sum_t revenue_t x margin / (1 + d)^t - CAC, t = 1..n."""
    _require_fraction(margin=margin)
    _require_non_negative(cac=cac)
    if discount_rate <= -1:
        raise LtvInputError("discount_rate must be greater than -1")
    parts = tuple(
        revenue * margin / (1 + discount_rate) ** t for t, revenue in enumerate(revenues, start=1)
    )
    return NpvLtv(value=math.fsum(parts) - cac, parts=parts, cac=cac)


@dataclass(frozen=True)
class SegmentInput:
    """Revenue, retention probability and margin of one customer segment."""

    revenue: float
    retention_probability: float
    margin: float


def ltv_by_segments(segments: Sequence[SegmentInput]) -> float:
    """Return LTV = sum over segments of revenue x retention probability x margin."""
    for seg in segments:
        _require_non_negative(revenue=seg.revenue)
        _require_fraction(retention_probability=seg.retention_probability, margin=seg.margin)
    return math.fsum(s.revenue * s.retention_probability * s.margin for s in segments)


def ltv_cac_ratio(ltv: float, cac: float) -> float:
    """Return LTV / CAC; CAC must be positive."""
    if cac <= 0:
        raise LtvInputError("cac must be positive to compute LTV:CAC")
    return ltv / cac


READING_LOSES_MONEY = Message(
    "loses_money", _("Below 1: each customer costs more than it brings in.")
)
READING_RISKY = Message("risky", _("Between 1 and 2: barely profitable, risky."))
READING_HEALTHY = Message(
    "healthy", _("Around 3: a healthy balance between acquisition cost and value.")
)
READING_VERY_PROFITABLE = Message(
    "very_profitable",
    _("Between 4 and 5: clearly profitable; you may be under-investing in growth."),
)
READING_UNDER_INVESTING = Message(
    "under_investing",
    _("Above 5: very profitable; you are probably under-investing in acquisition."),
)


def read_ltv_cac(ratio: float) -> Message:
    """Return the reading of LTV:CAC: [0,1) loses, [1,2) risky, [2,4) healthy, [4,5], >5."""
    if math.isnan(ratio):
        raise LtvInputError("ratio must be a number")
    if ratio < 1:
        return READING_LOSES_MONEY
    if ratio < 2:
        return READING_RISKY
    if ratio < 4:
        return READING_HEALTHY
    if ratio <= 5:
        return READING_VERY_PROFITABLE
    return READING_UNDER_INVESTING


@dataclass(frozen=True)
class IndustryBenchmark:
    """Typical LTV:CAC of an industry (low == high when the source gives a single figure)."""

    code: str
    label: Promise
    typical_low: float
    typical_high: float
    note: Promise | None = None


_PAID_NOTE = _("About 5 when all customers come from paid channels.")

INDUSTRY_BENCHMARKS: tuple[IndustryBenchmark, ...] = (
    IndustryBenchmark("b2b_saas", _("B2B SaaS"), 4, 4),
    IndustryBenchmark("b2c_saas", _("B2C SaaS"), 5, 5),
    IndustryBenchmark("adtech", _("Adtech"), 7, 7),
    IndustryBenchmark("cybersecurity", _("Cybersecurity"), 5, 5),
    IndustryBenchmark("fintech", _("Fintech"), 5, 5),
    IndustryBenchmark("edtech", _("Edtech"), 5, 5),
    IndustryBenchmark("design", _("Design"), 6, 6),
    IndustryBenchmark("business_services", _("Business services"), 3, 3),
    IndustryBenchmark("manufacturing", _("Manufacturing"), 3, 4, _PAID_NOTE),
    IndustryBenchmark("pharma", _("Pharma"), 3, 4, _PAID_NOTE),
    IndustryBenchmark("biotech", _("Biotech"), 4, 4),
    IndustryBenchmark("consulting", _("Consulting"), 4, 4),
    IndustryBenchmark("construction", _("Construction"), 4, 4),
    IndustryBenchmark("financial_services", _("Financial services"), 4, 4),
    IndustryBenchmark("real_estate", _("Real estate"), 4, 4),
)
INDUSTRY_BY_CODE: dict[str, IndustryBenchmark] = {b.code: b for b in INDUSTRY_BENCHMARKS}


def payback_months(cac: float, monthly_revenue: float, gross_margin: float) -> float | None:
    """Return months of gross profit needed to recover CAC, or None if it is never recovered."""
    _require_non_negative(cac=cac, monthly_revenue=monthly_revenue)
    _require_fraction(gross_margin=gross_margin)
    monthly_profit = monthly_revenue * gross_margin
    if monthly_profit <= 0:
        return None if cac > 0 else 0.0
    return cac / monthly_profit


@dataclass(frozen=True)
class LtvInputsUsed:
    """What an LTV figure was computed from, to detect the four common LTV mistakes."""

    gross_margin: float | None
    retention_cost_per_customer: float | None
    segment_count: int
    data_until: dt.date | None
    as_of: dt.date
    missing_share: float = 0.0
    max_data_age_days: int = 90
    max_missing_share: float = 0.05


WARNING_REVENUE_WITHOUT_MARGIN = Message(
    "revenue_without_margin",
    _("LTV uses revenue without the gross margin: it overstates the value of customers."),
)
WARNING_IGNORES_RETENTION_COSTS = Message(
    "ignores_retention_costs",
    _("Retention costs (discounts, loyalty programmes, service) are not subtracted."),
)
WARNING_UNSEGMENTED_AVERAGE = Message(
    "unsegmented_average",
    _("A single average for all customers hides very different segments and channels."),
)
WARNING_STALE_OR_INCOMPLETE = Message(
    "stale_or_incomplete_data",
    _("The data is stale or incomplete: refresh it before trusting this LTV."),
)


def ltv_warnings(inputs: LtvInputsUsed) -> list[Message]:
    """Return a warning for each of the four common LTV mistakes found in the inputs."""
    warnings: list[Message] = []
    if inputs.gross_margin is None or inputs.gross_margin >= 1:
        warnings.append(WARNING_REVENUE_WITHOUT_MARGIN)
    if inputs.retention_cost_per_customer is None:
        warnings.append(WARNING_IGNORES_RETENTION_COSTS)
    if inputs.segment_count < 2:
        warnings.append(WARNING_UNSEGMENTED_AVERAGE)
    stale = (
        inputs.data_until is None
        or (inputs.as_of - inputs.data_until).days > inputs.max_data_age_days
    )
    if stale or inputs.missing_share > inputs.max_missing_share:
        warnings.append(WARNING_STALE_OR_INCOMPLETE)
    return warnings


def _require_non_negative(**values: float) -> None:
    """Raise LtvInputError for a negative or non-finite value."""
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise LtvInputError(f"{name} must be a non-negative number")


def _require_fraction(**values: float) -> None:
    """Raise LtvInputError for a value outside [0, 1]."""
    for name, value in values.items():
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise LtvInputError(f"{name} must be between 0 and 1")
