"""The start page: cards and quick links registered by the apps, here the contacts card."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts import services as account_services
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
    assert "Your role shows only the contacts of your departments; there are none in" in text


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


STAGE_LINK = re.compile(
    r'<a href="(/contacts/\?[^"]*stage=(\w+))"><span class="stage-label">[^<]*</span>'
    r'<span class="stage-count">([\d.,]+)</span>'
)
ALL_LINK = re.compile(r'<a class="all-contacts" href="([^"]+)">[^<]*\(([\d.,]+)\)</a>')


def listed_total(client: Client, url: str) -> int:
    """The total the contacts list states for `url`."""
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    return int(response.context["page"].total)


@pytest.mark.parametrize(("persona", "expected"), [("rep", 3), ("manager", 5), ("admin", 5)])
def test_the_card_counts_exactly_what_its_links_open(
    client: Client, personas: Any, persona: str, expected: int
) -> None:
    ContactFactory.create_batch(2, owner=personas.rep, lifecycle_stage="lead")
    ContactFactory(owner=personas.rep, lifecycle_stage="customer")
    ContactFactory(owner=personas.rep2, lifecycle_stage="customer")
    ContactFactory(owner=None, lifecycle_stage="lead")
    user = getattr(personas, persona)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    text = client.get(reverse("core:home_panel")).content.decode()
    url, shown = ALL_LINK.search(text).groups()  # type: ignore[union-attr]
    assert int(shown) == expected == listed_total(client, url)
    stages = STAGE_LINK.findall(text)
    assert stages
    for stage_url, _stage, count in stages:
        assert listed_total(client, stage_url) == int(count), stage_url
    assert "All my contacts" in text if persona == "rep" else "All contacts" in text


def test_a_manager_sees_the_team_not_only_his_own(client: Client, personas: Any) -> None:
    ContactFactory(owner=personas.rep, first_name="Delequipo")
    client.force_login(personas.manager)
    client.cookies["django_language"] = "es"
    text = client.get(reverse("core:home_panel")).content.decode()
    assert "Delequipo" in text
    assert "Contactos por etapa" in text


def test_the_admins_start_page_has_cards_of_its_own(
    client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    account_services.create_department(actor=personas.admin, name="Postventa")
    with django_assert_max_num_queries(20):
        text = client.get(reverse("core:home_panel")).content.decode()
    assert "Users" in text and "active users" in text
    assert reverse("accounts:user_list") in text
    assert "Latest changes" in text and "Postventa" in text
    assert "Latest imports" in text
    assert "There are no contacts yet." in text


def test_a_rep_gets_no_administration_cards(rep_client: Client) -> None:
    text = rep_client.get(reverse("core:home_panel")).content.decode()
    assert "Latest changes" not in text
    assert "active users" not in text
