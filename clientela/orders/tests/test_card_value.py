"""The customer card shows the contact's value panel to roles that see customer value."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clientela.analytics.services import compute_customer_value_snapshot
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.orders.tests.factories import EnteredOrderFactory

pytestmark = pytest.mark.django_db


def test_it_shows_segment_and_orders_on_the_card(client, personas):
    contact = EnteredContactFactory.create(actor=personas.manager, first_name="Beatriz")
    for day in (dt.date(2025, 1, 10), dt.date(2025, 6, 1), dt.date(2025, 11, 2)):
        EnteredOrderFactory.create(actor=personas.manager, contact=contact, day=day, amount=250000)
    compute_customer_value_snapshot(as_of=dt.date(2025, 12, 1), with_clv=False)
    client.force_login(personas.manager)
    body = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert 'id="customer-value-title"' in body
    assert f"?contact={contact.pk}" in body  # link to this contact's orders


def test_it_hides_the_panel_from_roles_without_value_access(client, personas):
    contact = EnteredContactFactory.create(actor=personas.outsider, first_name="Ramiro")
    client.force_login(personas.outsider)
    body = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "customer-value" not in body
