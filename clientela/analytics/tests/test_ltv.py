"""LTV formulas reproduce the product brief's worked examples; readings and warnings."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.analytics.ltv import (
    INDUSTRY_BY_CODE,
    LtvInputError,
    LtvInputsUsed,
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


@pytest.fixture(autouse=True)
def _english_labels():
    """Labels are asserted in English; the project's default language is Spanish."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_it_computes_subscription_ltv() -> None:
    assert ltv_subscription(30, 24) == 720


def test_it_computes_retail_ltv() -> None:
    assert ltv_retail(80, 4, 3) == 960


def test_it_computes_saas_ltv() -> None:
    assert ltv_saas(15, 0.60, 0.04) == pytest.approx(225)


def test_it_computes_npv_ltv_with_its_parts() -> None:
    result = ltv_npv([200, 240, 300], margin=0.5, discount_rate=0.10, cac=100)
    assert [round(p, 2) for p in result.parts] == [90.91, 99.17, 112.70]
    assert round(result.value, 2) == 202.78


def test_it_computes_segment_ltv() -> None:
    segments = [SegmentInput(1000, 0.8, 0.5), SegmentInput(400, 0.5, 0.25)]
    assert ltv_by_segments(segments) == pytest.approx(1000 * 0.8 * 0.5 + 400 * 0.5 * 0.25)


def test_it_computes_the_cafe_example() -> None:
    # PRODUCT.md: 1,000 a month for three years is about 36,000.
    assert ltv_subscription(1000, 36) == 36_000


def test_it_refuses_inputs_outside_the_domain() -> None:
    with pytest.raises(LtvInputError, match="churn_rate"):
        ltv_saas(15, 0.6, 0)
    with pytest.raises(LtvInputError, match="margin"):
        ltv_npv([100], margin=1.5, discount_rate=0.1, cac=0)
    with pytest.raises(LtvInputError, match="cac"):
        ltv_cac_ratio(100, 0)


@pytest.mark.parametrize(
    ("ratio", "code"),
    [
        (0.5, "loses_money"),
        (1.0, "risky"),
        (1.99, "risky"),
        (3.0, "healthy"),
        (4.0, "very_profitable"),
        (5.0, "very_profitable"),
        (5.01, "under_investing"),
    ],
)
def test_it_reads_ltv_cac_ratios(ratio: float, code: str) -> None:
    assert read_ltv_cac(ratio).code == code


def test_it_ships_the_industry_references() -> None:
    assert INDUSTRY_BY_CODE["adtech"].typical_low == 7
    assert INDUSTRY_BY_CODE["business_services"].typical_high == 3
    assert (INDUSTRY_BY_CODE["pharma"].typical_low, INDUSTRY_BY_CODE["pharma"].typical_high) == (
        3,
        4,
    )
    assert INDUSTRY_BY_CODE["manufacturing"].note is not None
    assert len(INDUSTRY_BY_CODE) == 15


def test_it_computes_payback_months() -> None:
    assert payback_months(cac=300, monthly_revenue=50, gross_margin=0.6) == pytest.approx(10)
    assert payback_months(cac=300, monthly_revenue=50, gross_margin=0) is None


def test_it_warns_about_each_common_ltv_mistake() -> None:
    careless = LtvInputsUsed(
        gross_margin=None,
        retention_cost_per_customer=None,
        segment_count=1,
        data_until=dt.date(2024, 1, 1),
        as_of=dt.date(2024, 12, 1),
    )
    codes = [w.code for w in ltv_warnings(careless)]
    assert codes == [
        "revenue_without_margin",
        "ignores_retention_costs",
        "unsegmented_average",
        "stale_or_incomplete_data",
    ]
    assert str(ltv_warnings(careless)[0].message).startswith("LTV uses revenue")


def test_it_gives_no_warning_for_careful_inputs() -> None:
    careful = LtvInputsUsed(
        gross_margin=0.4,
        retention_cost_per_customer=0.0,
        segment_count=4,
        data_until=dt.date(2024, 11, 30),
        as_of=dt.date(2024, 12, 1),
        missing_share=0.01,
    )
    assert ltv_warnings(careful) == []


def test_it_warns_about_incomplete_data() -> None:
    partial = LtvInputsUsed(0.4, 5.0, 3, dt.date(2024, 11, 30), dt.date(2024, 12, 1), 0.2)
    assert [w.code for w in ltv_warnings(partial)] == ["stale_or_incomplete_data"]
