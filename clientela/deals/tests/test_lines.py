"""A deal's line items: Decimal totals, the amount they make, and the items they hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clientela.catalog.choices import ItemStatus
from clientela.catalog.tests.factories import ProductFactory, UniqueItemFactory
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.deals import lines, services
from clientela.deals.choices import DealVerb
from clientela.deals.models import DealLine
from clientela.deals.tests.factories import (
    EnteredDealFactory,
    LostReasonFactory,
    real_estate_pipeline,
    stage_named,
)
from clientela.orders.tests.factories import ExchangeRateFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_line_totals_are_decimal_and_round_half_up() -> None:
    totals = lines.line_totals(Decimal("3"), Decimal("33.335"), Decimal("10"), Decimal("19"), "USD")
    # 3 × 33.335 = 100.005; −10 % = 90.0045 → 90.00; tax 19 % = 17.10; total 107.10
    assert (totals.net, totals.tax, totals.total) == (
        Decimal("90.00"),
        Decimal("17.10"),
        Decimal("107.10"),
    )
    clp = lines.line_totals(Decimal("1"), Decimal("1000.50"), Decimal("0"), Decimal("19"), "CLP")
    assert (clp.net, clp.tax, clp.total) == (
        Decimal("1001.00"),
        Decimal("190.00"),
        Decimal("1191.00"),
    )


def test_the_deals_amount_is_the_total_of_its_lines(personas: Any) -> None:
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=real_estate_pipeline(), amount=5)
    kit = ProductFactory.create(unit_price=Decimal("100000"), tax_rate=Decimal("19"))
    lines.add_line(deal, actor=personas.rep, product=kit, quantity="2", discount_pct="5")
    lines.add_line(
        deal, actor=personas.rep, description="Escrituración", unit_price="50000", tax_rate="0"
    )
    deal.refresh_from_db()
    # 2 × 100,000 − 5 % = 190,000 + 19 % = 226,100; plus 50,000
    assert deal.amount == Decimal("276100.00") and deal.amount_company == Decimal("276100.00")
    with pytest.raises(ValidationFailed) as caught:
        services.update_deal(deal, actor=personas.rep, data={"amount": "1"})
    assert "amount" in caught.value.errors
    line = DealLine.objects.get(description="Escrituración")
    lines.remove_line(line, actor=personas.rep)
    deal.refresh_from_db()
    assert deal.amount == Decimal("226100.00")
    assert Event.objects.filter(verb=DealVerb.LINE_ADDED, target_id=str(deal.pk)).count() == 2


def test_a_line_explains_each_wrong_field(personas: Any) -> None:
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=real_estate_pipeline())
    with pytest.raises(ValidationFailed) as caught:
        lines.add_line(deal, actor=personas.rep, quantity="0", unit_price="abc", discount_pct="120")
    errors = caught.value.errors
    assert errors["description"] == ["Choose a product or describe the line."]
    assert errors["unit_price"] == ["Enter a number."]
    assert set(errors) == {"description", "quantity", "unit_price", "discount_pct"}


def test_a_plot_in_dollars_is_priced_in_the_deals_currency(personas: Any) -> None:
    import datetime as dt

    ExchangeRateFactory.create(currency="USD", date=dt.date(2020, 1, 1), rate=Decimal("4000"))
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=real_estate_pipeline())
    plot = UniqueItemFactory.create(unit_price=Decimal("25000"))
    line = lines.add_line(deal, actor=personas.rep, product=plot)
    assert line.unit_price == Decimal("100000000.00") and line.tax_rate == Decimal("0")


def test_a_plot_follows_its_deal_reserved_sold_and_released(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    plot = UniqueItemFactory.create(currency="COP", unit_price=Decimal("90000000"))
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    rival = EnteredDealFactory.create(actor=personas.rep2, pipeline=pipeline)
    lines.add_line(deal, actor=personas.rep, product=plot)
    plot.refresh_from_db()
    assert (plot.status, plot.deal_id) == (ItemStatus.RESERVED, deal.pk)
    with pytest.raises(Conflict) as caught:
        lines.add_line(rival, actor=personas.rep2, product=plot)
    assert "reserved by another deal" in str(caught.value)
    assert not DealLine.objects.filter(deal=rival).exists()

    won = services.move_deal(deal, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    plot.refresh_from_db()
    assert (plot.status, plot.deal_id) == (ItemStatus.SOLD, deal.pk)
    services.move_deal(won, stage=stage_named(pipeline, "Cotizado"), actor=personas.rep)
    plot.refresh_from_db()
    assert plot.status == ItemStatus.RESERVED  # reopened: back to reserved for the same deal
    services.move_deal(
        won, stage=stage_named(pipeline, "Cierre perdido"), actor=personas.rep,
        lost_reason=LostReasonFactory.create(),
    )  # fmt: skip
    plot.refresh_from_db()
    assert (plot.status, plot.deal_id) == (ItemStatus.AVAILABLE, None)
    lines.add_line(rival, actor=personas.rep2, product=plot)


def test_winning_a_deal_whose_plot_was_sold_elsewhere_is_refused(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    plot = UniqueItemFactory.create(currency="COP")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    lines.add_line(deal, actor=personas.rep, product=plot)
    type(plot).objects.filter(pk=plot.pk).update(status=ItemStatus.SOLD, deal_id=deal.pk + 1000)
    with pytest.raises(ValidationFailed) as caught:
        services.move_deal(deal, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    assert "has been sold already" in caught.value.errors["stage"][0]
    deal.refresh_from_db()
    assert deal.state == "open"


def test_deleting_a_deal_releases_its_plot(personas: Any) -> None:
    plot = UniqueItemFactory.create(currency="COP")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=real_estate_pipeline())
    lines.add_line(deal, actor=personas.rep, product=plot)
    services.delete_deal(deal, actor=personas.rep)
    plot.refresh_from_db()
    assert (plot.status, plot.deal_id) == (ItemStatus.AVAILABLE, None)


def test_lines_of_a_closed_deal_do_not_change(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    deal = services.move_deal(
        deal, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep
    )
    with pytest.raises(ValidationFailed):
        lines.add_line(deal, actor=personas.rep, description="Tarde", unit_price="1")
