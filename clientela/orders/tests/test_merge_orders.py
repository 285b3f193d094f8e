"""A merged contact's purchases follow the surviving contact, and go back on undo."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.contacts import services as contact_services
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.orders.models import Order
from clientela.orders.tests.factories import EnteredOrderFactory

pytestmark = pytest.mark.django_db


def test_it_moves_orders_to_the_survivor_and_back_on_undo(personas):
    survivor = EnteredContactFactory.create(actor=personas.manager, first_name="Ana")
    other = EnteredContactFactory.create(actor=personas.manager, first_name="Anita")
    kept = EnteredOrderFactory.create(
        actor=personas.manager, contact=survivor, day=dt.date(2026, 3, 1)
    )
    moved = EnteredOrderFactory.create(
        actor=personas.manager, contact=other, day=dt.date(2026, 4, 1)
    )

    merge = contact_services.merge_contacts(survivor, other, actor=personas.manager)
    assert set(Order.objects.filter(contact=survivor).values_list("pk", flat=True)) == {
        kept.pk,
        moved.pk,
    }

    contact_services.undo_merge(merge, actor=personas.manager)
    assert list(Order.objects.filter(contact=survivor).values_list("pk", flat=True)) == [kept.pk]
    assert list(Order.objects.filter(contact=other).values_list("pk", flat=True)) == [moved.pk]


def test_it_keeps_an_empty_survivor_field_when_asked(personas):
    survivor = contact_services.create_contact(actor=personas.manager, data={"first_name": "Ana"})
    other = contact_services.create_contact(
        actor=personas.manager, data={"first_name": "Ana", "job_title": "Contadora"}
    )
    contact_services.merge_contacts(survivor, other, actor=personas.manager, fill_empty=False)
    survivor.refresh_from_db()
    assert survivor.job_title == ""
