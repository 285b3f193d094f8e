"""The start page: cards and quick links registered by the apps, here the contacts card."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.tests.factories import ContactFactory


@pytest.fixture
def rep_client(client: Client, personas: Any) -> Client:
    """The rep signed in, reading English (the msgids)."""
    client.force_login(personas.rep)
    client.cookies["django_language"] = "en"
    return client


def test_it_summarises_my_contacts_on_the_start_page(
    rep_client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    ContactFactory.create_batch(3, owner=personas.rep, lifecycle_stage="lead")
    ContactFactory(owner=personas.rep, lifecycle_stage="customer", first_name="Cliente")
    ContactFactory(owner=personas.rep2, lifecycle_stage="customer", first_name="Ajeno")
    ContactFactory(owner=personas.rep, lifecycle_stage="mql", first_name="Calificada")
    home = rep_client.get("/")
    assert home.status_code == 200
    assert reverse("core:home_panel") in home.content.decode()
    with django_assert_max_num_queries(8):
        panel = rep_client.get(reverse("core:home_panel"), HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert "5 contacts in total." in text
    assert "Cliente" in text
    # Long stage names are abbreviated as in the lists, the full name on hover.
    assert 'title="Marketing qualified lead">MQL</span>' in text
    assert "Ajeno" not in text  # another rep's contact never shows
    assert f"?owner={personas.rep.pk}&amp;stage=customer" in text  # drill into the list
    assert "<html" not in text  # a fragment


def test_it_shows_an_empty_start_page_to_a_new_user(client: Client, personas: Any) -> None:
    client.force_login(personas.outsider)
    client.cookies["django_language"] = "en"
    text = client.get(reverse("core:home_panel")).content.decode()
    assert "You do not own any contacts yet." in text


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_it_offers_the_import_to_those_who_may_import(
    client: Client, personas: Any, persona: str
) -> None:
    client.force_login(getattr(personas, persona))
    client.cookies["django_language"] = "en"
    text = client.get(reverse("core:home_panel")).content.decode()
    assert f'<a href="{reverse("contacts:import_start")}">Import contacts</a>' in text


def test_it_hides_the_import_from_those_who_may_not(rep_client: Client) -> None:
    text = rep_client.get(reverse("core:home_panel")).content.decode()
    assert "Import contacts" not in text
    assert reverse("contacts:contact_create") in text  # the other quick links still show
