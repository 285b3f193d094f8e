"""An empty list says what the role's scope hides: the service agent on a database of
contacts he may not see read "No contacts yet"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts.models import User
from clientela.contacts.queries import contacts_visible_to
from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
from clientela.demo.seeding import seed_contacts


@pytest.fixture
def others_book(personas: Any) -> None:
    """Contacts and a company of the sales team, none of the service department."""
    ContactFactory.create_batch(3, owner=personas.rep)
    CompanyFactory.create(name="Acme", owner=personas.rep2)


def read(client: Client, user: Any, url: str, language: str = "es") -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_contacts_list_says_the_service_scope_hides_the_rest(
    client: Client, personas: Any, others_book: None
) -> None:
    text = read(client, personas.outsider, reverse("contacts:contact_list"))
    assert "Aún no hay contactos" not in text
    assert (
        "Su rol solo muestra los contactos de sus departamentos; no hay ninguno en Servicio."
        in text
    )


def test_the_companies_list_says_it_too(client: Client, personas: Any, others_book: None) -> None:
    text = read(client, personas.outsider, reverse("contacts:company_list"), "en")
    assert "No companies yet" not in text
    assert (
        "Your role shows only the companies of your departments; there are none in Servicio."
        in text
    )


def test_the_start_page_says_it_too(client: Client, personas: Any, others_book: None) -> None:
    text = read(client, personas.outsider, reverse("core:home_panel"), "en")
    assert "Your role shows only the contacts of your departments; there are none in" in text


def test_a_rep_is_told_his_role_shows_his_own(
    client: Client, personas: Any, others_book: None
) -> None:
    text = read(client, personas.rep2, reverse("contacts:contact_list"), "en")
    assert "Your role shows only the contacts you own, and you own none yet." in text


def test_a_role_that_sees_everything_gets_the_plain_empty_state(
    client: Client, personas: Any
) -> None:
    text = read(client, personas.admin, reverse("contacts:contact_list"), "en")
    assert "No contacts yet" in text
    assert "Your role shows only" not in text


@pytest.mark.django_db
def test_the_demo_gives_the_service_department_contacts_of_its_own() -> None:
    seed_contacts(120, seed=11)
    service = User.objects.get(username="servicio")
    assert contacts_visible_to(service).exists()
