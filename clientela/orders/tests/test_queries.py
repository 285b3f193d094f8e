"""Order reads: visibility follows the customer; filters; totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.contacts.services import delete_contact
from clientela.contacts.tests.factories import EnteredCompanyFactory, EnteredContactFactory
from clientela.core.exceptions import NotFound
from clientela.orders import services
from clientela.orders.queries import (
    OrderFilters,
    add_months,
    filter_orders,
    get_order_for_user,
    order_totals,
    orders_visible_to,
)
from clientela.orders.tests.factories import EnteredOrderFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def orders(personas):
    """Two orders of rep's customer, one of rep2's, one of a company rep owns (no contact)."""
    mine = EnteredContactFactory.create(actor=personas.rep, first_name="Ana", source="facebook")
    theirs = EnteredContactFactory.create(actor=personas.rep2, first_name="Beatriz")
    company = EnteredCompanyFactory.create(actor=personas.rep, name="Perfumería Andina")
    return {
        "mine": EnteredOrderFactory.create(
            actor=personas.rep, contact=mine, day=DAY, amount=100, channel="walk_in"
        ),
        "mine_later": EnteredOrderFactory.create(
            actor=personas.rep, contact=mine, day=dt.date(2026, 4, 2), amount=300, channel="website"
        ),
        "theirs": EnteredOrderFactory.create(
            actor=personas.rep2, contact=theirs, day=DAY, amount=50
        ),
        "company": services.create_order(
            actor=personas.rep, data={"company": company.pk, "ordered_at": DAY, "amount": 7}
        ),
        "contact": mine,
    }


def test_it_shows_each_persona_the_orders_of_customers_they_see(personas, orders):
    def names(user):
        return {key for key, order in orders.items() if key != "contact" and
                orders_visible_to(user).filter(pk=order.pk).exists()}  # fmt: skip

    everything = {"mine", "mine_later", "theirs", "company"}
    assert names(personas.manager) == everything
    assert names(personas.marketer) == everything
    assert names(personas.rep) == {"mine", "mine_later", "company"}
    assert names(personas.colleague) == {"mine", "mine_later", "company"}  # same department
    assert names(personas.rep2) == {"theirs"}
    assert names(personas.outsider) == set()


def test_it_answers_not_found_for_an_order_the_user_may_not_see(personas, orders):
    assert get_order_for_user(personas.rep, orders["mine"].pk) == orders["mine"]
    for bad in (orders["theirs"].pk, "x", None, 10**9):
        with pytest.raises(NotFound):
            get_order_for_user(personas.rep, bad)


def test_it_hides_the_orders_of_a_contact_in_the_trash(personas, orders):
    delete_contact(orders["contact"], actor=personas.manager)
    assert not orders_visible_to(personas.manager).filter(contact=orders["contact"]).exists()


def test_it_filters_and_sums_orders(personas, orders):
    rep = personas.rep
    assert list(filter_orders(rep, OrderFilters(channel="website"))) == [orders["mine_later"]]
    assert list(filter_orders(rep, OrderFilters(q="Ana", ordering="amount"))) == [
        orders["mine"],
        orders["mine_later"],
    ]
    in_march = filter_orders(rep, OrderFilters(date_from=dt.date(2026, 3, 1), date_to=DAY))
    assert set(in_march) == {orders["mine"], orders["company"]}
    assert order_totals(in_march) == {"count": 2, "total": Decimal("107.00")}
    assert list(filter_orders(rep, OrderFilters(q="Beatriz"))) == []


def test_it_counts_months_across_years():
    assert add_months(dt.date(2026, 11, 20), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 1, 5), -1) == dt.date(2025, 12, 1)
