"""Order, exchange-rate and marketing-spend services: validation, conversion, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.contacts.tests.factories import EnteredCompanyFactory, EnteredContactFactory
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.orders import services
from clientela.orders.choices import PURCHASE_VERB
from clientela.orders.models import ExchangeRate, MarketingSpend, Order
from clientela.orders.queries import cac_by_channel, convert
from clientela.orders.tests.factories import EnteredOrderFactory, ExchangeRateFactory, at
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def test_it_creates_an_order_in_the_company_currency_and_puts_it_on_the_timeline(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = services.create_order(
        actor=personas.rep,
        data={
            "contact": ana.pk,
            "ordered_at": at(DAY),
            "amount": "125.000,50",
            "channel": "facebook",
        },
    )
    assert order.currency == "COP"
    assert order.amount == Decimal("125000.50")
    assert order.exchange_rate == 1
    assert order.amount_company_currency == Decimal("125000.50")
    assert order.ordered_on == DAY
    assert order.created_by == personas.rep
    event = Event.objects.get(contact=ana, verb=PURCHASE_VERB)
    assert event.data["amount"] == "125000.50"


def test_it_dates_an_order_by_the_local_day(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    # 02:00 UTC on the 11th is still the 10th in Bogotá (UTC-5).
    moment = dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.UTC)
    order = services.create_order(
        actor=personas.rep, data={"contact": ana.pk, "ordered_at": moment, "amount": 10}
    )
    assert order.ordered_on == dt.date(2026, 3, 10)


def test_it_converts_with_the_rate_in_force_on_the_order_date(personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 3, 1), rate=Decimal("4000"))
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 3, 15), rate=Decimal("4200"))
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    before = services.create_order(
        actor=personas.rep,
        data={"contact": ana.pk, "ordered_at": at(DAY), "amount": "10.50", "currency": "usd"},
    )
    after = services.create_order(
        actor=personas.rep,
        data={
            "contact": ana.pk,
            "ordered_at": at(dt.date(2026, 3, 20)),
            "amount": "10",
            "currency": "USD",
        },
    )
    assert (before.currency, before.exchange_rate) == ("USD", Decimal("4000"))
    assert before.amount_company_currency == Decimal("42000.00")
    assert after.amount_company_currency == Decimal("42000.00")
    assert convert(Decimal("1"), "USD", dt.date(2026, 3, 15)).rate == Decimal("4200")


def test_it_refuses_a_foreign_currency_without_a_rate(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 4, 1), rate=Decimal("4000"))
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(
            actor=personas.rep,
            data={"contact": ana.pk, "ordered_at": at(DAY), "amount": "10", "currency": "USD"},
        )
    assert caught.value.errors["currency"] == [
        "There is no exchange rate for USD on or before 2026-03-10. "
        "Add it under Exchange rates first."
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": ""}, "amount", "This field is required."),
        ({"amount": "-5"}, "amount", "Enter an amount of zero or more."),
        ({"amount": "doce"}, "amount", "Enter a number, such as 125000 or 125.000,50."),
        ({"currency": "pesos"}, "currency", "Use a three-letter currency code such as COP or USD."),
        (
            {"ordered_at": "ayer"},
            "ordered_at",
            "Enter a date such as 2026-03-15 or 2026-03-15 10:30.",
        ),
        ({"ordered_at": ""}, "ordered_at", "This field is required."),
        ({"channel": "tv"}, "channel", "Choose one of the channels offered."),
        ({"contact": None}, "contact", "Choose the contact or the company who bought."),
        ({"margin": "200"}, "margin", "The margin cannot be larger than the amount."),
        ({"note": "x" * 301}, "note", "Use at most 300 characters."),
    ],
)
def test_it_explains_what_is_wrong_with_an_order(personas, data, field, message):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    values = {"contact": ana.pk, "ordered_at": "2026-03-10", "amount": "100", **data}
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(actor=personas.rep, data=values)
    assert message in caught.value.errors[field]


def test_it_refuses_an_order_dated_in_the_future(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    later = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(
            actor=personas.rep, data={"contact": ana.pk, "ordered_at": later, "amount": 1}
        )
    assert caught.value.errors["ordered_at"] == ["An order cannot be dated in the future."]


def test_it_sums_the_lines_when_no_amount_is_given_and_keeps_margin_as_cost(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = services.create_order(
        actor=personas.rep,
        data={
            "contact": ana.pk,
            "ordered_at": "2026-03-10 10:30",
            "margin": "40000",
            "lines": [
                {"product_name": "Perfume 50 ml", "quantity": "2", "unit_price": "45000"},
                {"product_name": "Labial", "quantity": 1, "unit_price": "10000"},
                {"product_name": "", "unit_price": ""},
            ],
        },
    )
    assert order.amount == Decimal("100000.00")
    assert order.cost == Decimal("60000.00")
    assert order.margin == Decimal("40000.00")
    assert [line.total for line in order.lines.all()] == [Decimal("90000"), Decimal("10000")]


def test_it_reports_a_bad_line_by_its_number(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(
            actor=personas.rep,
            data={
                "contact": ana.pk,
                "ordered_at": "2026-03-10",
                "lines": [{"product_name": "Crema", "quantity": "0", "unit_price": "5"}],
            },
        )
    assert caught.value.errors == {"lines.1.quantity": ["The quantity must be more than zero."]}


def test_it_keeps_external_ids_unique_per_source_system(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    values = {"contact": ana.pk, "ordered_at": at(DAY), "amount": "100000", "external_id": "F-1"}
    services.create_order(actor=personas.rep, data={**values, "source_system": "shop"})
    services.create_order(actor=personas.rep, data={**values, "source_system": "web"})
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(actor=personas.rep, data={**values, "source_system": "shop"})
    assert caught.value.errors["external_id"] == ["An order with this external id already exists."]


def test_it_records_a_company_order_on_the_company_timeline(personas):
    company = EnteredCompanyFactory.create(actor=personas.rep, name="Perfumería Andina")
    order = services.create_order(
        actor=personas.rep, data={"company": company.pk, "ordered_at": DAY, "amount": 5}
    )
    assert order.customer == company
    assert Event.objects.filter(company=company, verb=PURCHASE_VERB).exists()


def test_it_refuses_customers_the_actor_may_not_see_and_read_only_roles(personas):
    theirs = EnteredContactFactory.create(actor=personas.rep2, first_name="Beatriz")
    with pytest.raises(ValidationFailed) as caught:
        services.create_order(
            actor=personas.rep,
            data={"contact": theirs.pk, "ordered_at": at(DAY), "amount": "100000"},
        )
    assert caught.value.errors["contact"] == ["Contact not found."]
    mine = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    with pytest.raises(Forbidden):
        services.create_order(
            actor=personas.colleague,
            data={"contact": mine.pk, "ordered_at": at(DAY), "amount": "100000"},
        )


def test_it_updates_an_order_converting_it_again(personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = EnteredOrderFactory.create(actor=personas.rep, contact=ana, day=DAY, amount=100)
    changed = services.update_order(
        order, actor=personas.rep, data={"currency": "USD", "amount": "2"}, expected_version=1
    )
    assert changed.amount_company_currency == Decimal("8000.00")
    assert changed.version == 2
    event = Event.objects.filter(verb="updated", target_id=str(order.pk)).get()
    assert event.data["changes"]["currency"] == ["COP", "USD"]
    with pytest.raises(Conflict):
        services.update_order(order, actor=personas.rep, data={"amount": 3}, expected_version=1)


def test_it_deletes_orders_only_for_roles_that_delete(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = EnteredOrderFactory.create(actor=personas.rep, contact=ana, day=DAY)
    with pytest.raises(Forbidden):
        services.delete_order(order, actor=personas.rep)
    services.delete_order(order, actor=personas.manager)
    assert not Order.objects.exists()
    assert Event.objects.filter(contact=ana, verb="deleted").exists()


def test_it_converts_again_the_orders_a_new_rate_covers(personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    early = EnteredOrderFactory.create(
        actor=personas.rep, contact=ana, day=dt.date(2026, 2, 1), amount=1, currency="USD"
    )
    covered = EnteredOrderFactory.create(
        actor=personas.rep,
        contact=ana,
        day=dt.date(2026, 3, 5),
        amount=1,
        currency="USD",
        cost="0.5",
    )
    later = EnteredOrderFactory.create(
        actor=personas.rep, contact=ana, day=dt.date(2026, 4, 2), amount=1, currency="USD"
    )
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 4, 1), rate=Decimal("3900"))
    services.set_rate(actor=personas.manager, currency="usd", day="2026-03-01", rate="4.100,5")
    for order in (early, covered, later):
        order.refresh_from_db()
    assert early.amount_company_currency == Decimal("4000.00")
    assert covered.amount_company_currency == Decimal("4100.50")
    assert covered.cost_company_currency == Decimal("2050.25")
    assert later.amount_company_currency == Decimal("4000.00")  # created before the April rate
    services.set_rate(actor=personas.manager, currency="USD", day=dt.date(2026, 4, 1), rate=3900)
    later.refresh_from_db()
    assert later.amount_company_currency == Decimal("3900.00")


def test_it_validates_rates_and_limits_them_to_managers(personas):
    with pytest.raises(Forbidden):
        services.set_rate(actor=personas.marketer, currency="USD", day=DAY, rate="4000")
    with pytest.raises(ValidationFailed) as caught:
        services.set_rate(actor=personas.admin, currency="COP", day="", rate="0")
    assert caught.value.errors == {
        "currency": ["The company currency always converts at 1."],
        "date": ["Enter a date such as 2026-03-15."],
        "rate": ["The rate must be more than zero."],
    }


def test_it_deletes_a_rate_falling_back_to_the_previous_one(personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    newer = ExchangeRateFactory.create(
        currency="USD", date=dt.date(2026, 3, 1), rate=Decimal("4200")
    )
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = EnteredOrderFactory.create(
        actor=personas.rep, contact=ana, day=DAY, amount=1, currency="USD"
    )
    services.delete_rate(newer, actor=personas.manager)
    order.refresh_from_db()
    assert order.amount_company_currency == Decimal("4000.00")
    only = ExchangeRate.objects.get()
    with pytest.raises(Conflict):
        services.delete_rate(only, actor=personas.manager)


def test_it_records_spend_per_channel_and_month_converting_it(personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    row = services.record_spend(
        actor=personas.marketer,
        channel="google_ads",
        month=dt.date(2026, 3, 17),
        amount="250",
        currency="USD",
    )
    assert row is not None
    assert (row.month, row.amount_company_currency) == (dt.date(2026, 3, 1), Decimal("1000000.00"))
    services.record_spend(
        actor=personas.marketer, channel="google_ads", month=dt.date(2026, 3, 1), amount=""
    )
    assert not MarketingSpend.objects.exists()
    with pytest.raises(Forbidden):
        services.record_spend(
            actor=personas.rep, channel="facebook", month=DAY, amount="1", currency="COP"
        )


def test_it_saves_a_spend_grid_only_when_every_cell_is_valid(personas):
    with pytest.raises(ValidationFailed) as caught:
        services.record_spend_grid(
            actor=personas.manager,
            year=2026,
            currency="COP",
            values={("facebook", 1): "100000", ("facebook", 2): "-1"},
        )
    assert caught.value.errors == {"facebook-2": ["Enter an amount of zero or more."]}
    assert not MarketingSpend.objects.exists()
    changed = services.record_spend_grid(
        actor=personas.manager,
        year=2026,
        currency="COP",
        values={("facebook", 1): "100000", ("facebook", 2): "", ("event", 3): "2.000.000"},
    )
    assert changed == 2
    assert MarketingSpend.objects.get(channel="event").amount == Decimal("2000000")


def test_it_computes_cac_per_channel_from_first_orders(personas):
    services.record_spend(
        actor=personas.manager, channel="facebook", month=dt.date(2026, 3, 1), amount="300000"
    )
    services.record_spend(
        actor=personas.manager, channel="event", month=dt.date(2026, 3, 1), amount="500000"
    )
    rep = personas.rep
    first = EnteredContactFactory.create(actor=rep, first_name="Ana", source="facebook")
    second = EnteredContactFactory.create(actor=rep, first_name="Bea", source="instagram")
    third = EnteredContactFactory.create(actor=rep, first_name="Caro", source="event")
    old = EnteredContactFactory.create(actor=rep, first_name="Dora", source="facebook")
    EnteredOrderFactory.create(
        actor=rep, contact=first, day=dt.date(2026, 3, 2)
    )  # no channel: the contact's source
    EnteredOrderFactory.create(
        actor=rep, contact=first, day=dt.date(2026, 3, 20), channel="walk_in"
    )  # a repeat purchase
    EnteredOrderFactory.create(
        actor=rep, contact=second, day=dt.date(2026, 3, 3), channel="facebook"
    )  # the order's channel wins
    EnteredOrderFactory.create(actor=rep, contact=third, day=dt.date(2026, 3, 4))
    EnteredOrderFactory.create(
        actor=rep, contact=old, day=dt.date(2026, 1, 4)
    )  # acquired before the period
    EnteredOrderFactory.create(actor=rep, contact=old, day=dt.date(2026, 3, 4))
    rows = {row.channel: row for row in cac_by_channel(dt.date(2026, 3, 1), dt.date(2026, 3, 31))}
    assert rows["facebook"].new_customers == 2
    assert rows["facebook"].cac == Decimal("150000.00")
    assert rows["event"].cac == Decimal("500000.00")
    assert "walk_in" not in rows


def test_it_leaves_out_customers_in_the_trash_from_cac(personas):
    rep = personas.rep
    gone = EnteredContactFactory.create(actor=rep, first_name="Ana", source="facebook")
    EnteredOrderFactory.create(actor=rep, contact=gone, day=dt.date(2026, 3, 2))
    from clientela.contacts.services import delete_contact

    delete_contact(gone, actor=personas.manager)
    assert cac_by_channel(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == []


def test_it_accepts_a_datetime_for_an_order(personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    order = services.create_order(
        actor=personas.rep, data={"contact": ana, "ordered_at": at(DAY, 9), "amount": 1}
    )
    assert order.ordered_at.astimezone(dt.UTC).hour == 14  # 09:00 in Bogotá is 14:00 UTC


def _events(model: str) -> list[tuple[str, str, dict]]:
    rows = Event.objects.filter(target_type=f"orders.{model}").order_by("id")
    return [(e.verb, e.actor.username if e.actor else "", e.data) for e in rows]


def test_it_audits_every_rate_set_change_and_deletion(personas):
    services.set_rate(actor=personas.manager, currency="USD", day=DAY, rate="4000")
    services.set_rate(actor=personas.manager, currency="USD", day=DAY, rate="4000")  # no change
    services.set_rate(actor=personas.admin, currency="USD", day=DAY, rate="4100")
    earlier = services.set_rate(
        actor=personas.manager, currency="USD", day=dt.date(2026, 1, 1), rate="3900"
    )
    services.delete_rate(ExchangeRate.objects.get(date=DAY), actor=personas.manager)
    events = _events("exchangerate")
    assert [(verb, who) for verb, who, _data in events] == [
        ("created", personas.manager.username),
        ("updated", personas.admin.username),
        ("created", personas.manager.username),
        ("deleted", personas.manager.username),
    ]
    assert events[1][2]["changes"] == {"rate": ["4000.00000000", "4100.00000000"]}
    assert events[3][2]["currency"] == "USD" and earlier.pk != events[3][2].get("id")


def test_it_audits_every_spend_change_by_cell_and_by_grid(personas):
    month = dt.date(2026, 3, 1)
    services.record_spend(actor=personas.marketer, channel="facebook", month=month, amount="100")
    services.record_spend(actor=personas.marketer, channel="facebook", month=month, amount="100")
    services.record_spend(actor=personas.manager, channel="facebook", month=month, amount="150")
    services.record_spend(actor=personas.manager, channel="facebook", month=month, amount="")
    services.record_spend(actor=personas.manager, channel="facebook", month=month, amount="")
    assert [verb for verb, _who, _data in _events("marketingspend")] == [
        "created", "updated", "deleted",
    ]  # fmt: skip
    services.record_spend_grid(
        actor=personas.manager,
        year=2026,
        currency="COP",
        values={("event", 1): "1000", ("event", 2): "2000", ("event", 3): ""},
    )
    grid = _events("marketingspend")[3:]
    assert [(verb, data["month"]) for verb, _who, data in grid] == [
        ("created", "2026-01"),
        ("created", "2026-02"),
    ]
