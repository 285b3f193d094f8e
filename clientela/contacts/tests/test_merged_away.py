"""A merged-away contact: its old address leads to the survivor, for those who may see both,
and the trash names the survivor only to them (issue 11, sections 3 and 5.7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts import services
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    """Headers authenticating as `user`, answers in English."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def merged(personas):
    """rep2's contact merged by the manager into rep's: rep2 sees only her trashed one."""
    survivor = services.create_contact(
        actor=personas.rep, data={"first_name": "Superviviente", "last_name": "Secreto"}
    )
    other = services.create_contact(actor=personas.rep2, data={"first_name": "Fusionada"})
    services.merge_contacts(survivor, other, actor=personas.manager)
    return survivor, other


def test_it_sends_the_old_address_to_the_survivor(client, personas, merged):
    survivor, other = merged
    c = client_for(client, personas.manager)
    response = c.get(reverse("contacts:contact_detail", args=[other.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_detail", args=[survivor.pk])


def test_it_follows_a_chain_of_merges(client, personas, merged):
    survivor, other = merged
    last = services.create_contact(actor=personas.rep, data={"first_name": "Última"})
    services.merge_contacts(last, survivor, actor=personas.manager)
    c = client_for(client, personas.manager)
    response = c.get(reverse("contacts:contact_detail", args=[other.pk]))
    assert response["Location"] == reverse("contacts:contact_detail", args=[last.pk])


def test_it_keeps_the_404_for_whoever_may_not_see_the_survivor(client, personas, merged):
    _survivor, other = merged
    for persona in ("rep2", "outsider"):
        c = client_for(client, getattr(personas, persona))
        assert c.get(reverse("contacts:contact_detail", args=[other.pk])).status_code == 404


def test_it_names_the_survivor_in_the_trash_only_to_whoever_may_see_it(client, personas, merged):
    survivor, _other = merged
    url = reverse("contacts:trash")
    hidden = client_for(client, personas.rep2).get(url).content.decode()
    assert "Fusionada" in hidden
    assert "Merged into a contact you may not see" in hidden
    assert "Secreto" not in hidden
    assert reverse("contacts:contact_detail", args=[survivor.pk]) not in hidden
    shown = client_for(client, personas.manager).get(url).content.decode()
    assert "Secreto" in shown
    assert reverse("contacts:contact_detail", args=[survivor.pk]) in shown


def test_it_answers_301_to_the_survivor_in_the_api(client, personas, merged):
    survivor, other = merged
    response = client.get(f"/api/v1/contacts/{other.pk}", **bearer(personas.manager))
    assert response.status_code == 301
    assert response["Location"] == f"http://testserver/api/v1/contacts/{survivor.pk}"
    assert response.json()["merged_into"] == survivor.pk
    slash = client.get(f"/api/v1/contacts/{other.pk}/", **bearer(personas.manager))
    assert slash["Location"] == f"http://testserver/api/v1/contacts/{survivor.pk}"
    # Writes never land on the survivor; those who may not see it get a plain 404.
    assert (
        client.delete(f"/api/v1/contacts/{other.pk}", **bearer(personas.manager)).status_code == 404
    )
    hidden = client.get(f"/api/v1/contacts/{other.pk}", **bearer(personas.rep2))
    assert hidden.status_code == 404
    assert "merged_into" not in hidden.json()
