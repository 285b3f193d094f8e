"""A visible contact at a company the user may not see (issue 11, 5.10; docs/decisions.md):
the company's name shows with the contact (API, card, list), its card is never linked."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts import services
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    """Headers authenticating as `user`."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def contact_at_hidden_company(personas):
    """rep's contact at a company owned by rep2, which rep may not see."""
    company = services.create_company(actor=personas.rep2, data={"name": "Constructora Oculta"})
    contact = services.create_contact(
        actor=personas.manager,
        data={"first_name": "Visible", "company": company.pk, "owner": personas.rep.pk},
    )
    return contact, company


def test_it_names_the_company_in_the_api(client, personas, contact_at_hidden_company):
    contact, company = contact_at_hidden_company
    body = client.get(f"/api/v1/contacts/{contact.pk}", **bearer(personas.rep)).json()
    assert body["company"] == {"id": company.pk, "name": "Constructora Oculta"}
    hidden = client.get(f"/api/v1/companies/{company.pk}", **bearer(personas.rep))
    assert hidden.status_code == 404


def test_it_names_the_company_on_the_card_and_the_list_without_a_link(
    client, personas, contact_at_hidden_company
):
    contact, company = contact_at_hidden_company
    c = client_for(client, personas.rep)
    link = reverse("contacts:company_detail", args=[company.pk])
    for url in (
        reverse("contacts:contact_detail", args=[contact.pk]),
        reverse("contacts:contact_list"),
    ):
        body = c.get(url).content.decode()
        assert "Constructora Oculta" in body
        assert link not in body
    assert c.get(link).status_code == 404
    # Whoever may see the company gets the link.
    body = (
        client_for(client, personas.manager)
        .get(reverse("contacts:contact_detail", args=[contact.pk]))
        .content.decode()
    )
    assert link in body
