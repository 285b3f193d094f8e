"""The contact picker offers only contacts the user may see, and shows what it offers safely."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


def _offered(client, user, q: str) -> list[str]:
    page = client_for(client, user).get(reverse("contacts:contact_options"), {"picker_q": q})
    assert page.status_code == 200
    return [str(c) for c in page.context["found"]]


def test_it_offers_visible_contacts_only_and_waits_for_two_letters(client, personas) -> None:
    ContactFactory.create(first_name="Ana", last_name="Ríos", owner=personas.rep)
    ContactFactory.create(first_name="Anabel", last_name="Soto", owner=personas.rep2)
    assert _offered(client, personas.rep, "a") == []
    assert _offered(client, personas.rep, "Ana") == ["Ana Ríos"]
    assert _offered(client, personas.rep2, "Ana") == ["Anabel Soto"]
    assert sorted(_offered(client, personas.admin, "ana")) == ["Ana Ríos", "Anabel Soto"]


def test_it_escapes_what_it_shows(client, personas) -> None:
    ContactFactory.create(
        first_name="<img src=x onerror=alert(1)>", last_name="Mal", owner=personas.rep
    )
    page = client_for(client, personas.rep).get(
        reverse("contacts:contact_options"), {"picker_q": "Mal"}
    )
    body = page.content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'data-pick-contact="' in body


def test_the_order_form_picks_the_buyer_with_it(client, personas) -> None:
    page = client_for(client, personas.rep).get(reverse("orders:order_create"))
    body = page.content.decode()
    assert "data-contact-picker" in body
    assert reverse("contacts:contact_options") in body
    assert body.count('name="contact"') == 1
