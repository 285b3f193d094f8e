"""A merged contact's purchases follow the surviving contact, and go back on undo."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.contacts import services as contact_services
from clientela.orders.models import Order
from clientela.orders.tests.helpers import contact_of, order_for

pytestmark = pytest.mark.django_db


def test_it_moves_orders_to_the_survivor_and_back_on_undo(personas):
    survivor = contact_of(personas.manager, "Ana")
    other = contact_of(personas.manager, "Anita")
    kept = order_for(personas.manager, survivor, dt.date(2026, 3, 1))
    moved = order_for(personas.manager, other, dt.date(2026, 4, 1))

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
