"""One live contact per e-mail (issue 11, 5.9): every creating path refuses a second one.

The API answers 409 naming the contact that has the e-mail (when the caller may see it), the
UI shows the message on the e-mail field, the import matches the existing contact instead of
adding one, and 20 concurrent creates leave exactly one contact on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.contacts.tests.import_helpers import csv_bytes, run
from clientela.core.exceptions import DuplicateRecord
from clientela.core.testing import client_for


def bearer(user: Any) -> dict[str, str]:
    """Headers authenticating as `user`, answers in English."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


def post_contact(client: Any, user: Any, body: dict[str, Any]) -> Any:
    """POST /api/v1/contacts as `user`."""
    return client.post(
        "/api/v1/contacts", data=json.dumps(body), content_type="application/json", **bearer(user)
    )


def live(email: str) -> int:
    """How many live contacts have this e-mail."""
    return Contact.objects.filter(email=email, deleted_at__isnull=True).count()


@pytest.mark.django_db
def test_it_answers_409_naming_the_contact_that_has_the_email(personas, client):
    first = post_contact(client, personas.rep, {"first_name": "Ana", "email": "ana@example.co"})
    assert first.status_code == 201
    second = post_contact(client, personas.rep, {"first_name": "Ana M.", "email": "ANA@example.co"})
    assert second.status_code == 409
    body = second.json()
    assert body["existing_id"] == first.json()["id"]
    assert str(first.json()["id"]) in body["errors"]["email"][0]
    assert live("ana@example.co") == 1


@pytest.mark.django_db
def test_it_does_not_name_a_contact_the_caller_may_not_see(personas, client):
    theirs = services.create_contact(
        actor=personas.rep2, data={"first_name": "Ana", "email": "ana@example.co"}
    )
    response = post_contact(client, personas.rep, {"first_name": "Ana", "email": "ana@example.co"})
    assert response.status_code == 409
    assert response.json()["existing_id"] is None
    assert str(theirs.pk) not in response.json()["detail"]
    assert live("ana@example.co") == 1


@pytest.mark.django_db
def test_it_refuses_changing_the_email_to_one_in_use(personas, client):
    services.create_contact(actor=personas.rep, data={"first_name": "Ana", "email": "a@example.co"})
    other = services.create_contact(actor=personas.rep, data={"first_name": "Eva"})
    response = client.patch(
        f"/api/v1/contacts/{other.pk}",
        data=json.dumps({"email": "a@example.co"}),
        content_type="application/json",
        **bearer(personas.rep),
    )
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.email == ""
    # Saving a contact with its own e-mail unchanged is no conflict.
    same = services.update_contact(other, actor=personas.rep, data={"city": "Cali"})
    assert same.city == "Cali"


@pytest.mark.django_db
def test_it_lets_a_trashed_contacts_email_be_used_again(personas):
    old = services.create_contact(actor=personas.rep, data={"first_name": "Ana", "email": "a@e.co"})
    services.delete_contact(old, actor=personas.admin)
    services.create_contact(actor=personas.rep, data={"first_name": "Ana", "email": "a@e.co"})
    assert live("a@e.co") == 1


@pytest.mark.django_db
def test_it_shows_the_conflict_on_the_email_field_of_the_ui_form(personas, client):
    services.create_contact(actor=personas.rep, data={"first_name": "Ana", "email": "a@e.co"})
    c = client_for(client, personas.rep)
    response = c.post(
        reverse("contacts:contact_create"),
        {"first_name": "Ana", "email": "a@e.co", "lifecycle_stage": "lead"},
    )
    assert response.status_code == 200
    assert response.context["quick_form"].errors["email"]
    assert live("a@e.co") == 1


@pytest.mark.django_db
def test_it_makes_the_import_match_the_existing_contact_instead(personas):
    services.create_contact(actor=personas.admin, data={"first_name": "Ana", "email": "a@e.co"})
    result = run(personas.admin, csv_bytes("nombre;correo", "Ana María;A@E.co"))
    assert (result.created, result.unchanged) == (0, 1)
    assert live("a@e.co") == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_exactly_one_of_twenty_concurrent_creates(personas):
    if connection.vendor == "sqlite":
        # SQLite's in-memory test database is one connection's; writers are serialised by
        # BEGIN IMMEDIATE there. The race this guards against needs PostgreSQL's concurrency.
        pytest.skip("concurrent writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            barrier.wait()
            services.create_contact(
                actor=personas.rep, data={"first_name": f"Ana{n}", "email": "race@example.co"}
            )
            outcomes.append("created")
        except DuplicateRecord:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["refused"] * 19
    assert live("race@example.co") == 1
