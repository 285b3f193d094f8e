"""The duplicates page: what each user sees, the notice while a large change is checked, queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.contacts import duplicates, services
from clientela.contacts.tests.factories import contact_allowing_email_twin
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db

URL = reverse("contacts:duplicates")


@pytest.fixture(params=["live", "precomputed"])
def mode(request, monkeypatch):
    """Both ways the page reads: grouped live (small table) and from the precomputed rows."""
    if request.param == "precomputed":
        monkeypatch.setattr(duplicates, "LIVE_UP_TO", 0)
    return request.param


@pytest.fixture
def groups(personas):
    """The rep's pairs (e-mail, similar name at a company) and a cross-rep pair by phone."""
    rep, rep2 = personas.rep, personas.rep2
    company = services.create_company(actor=rep, data={"name": "Lotes <del> Sur"})

    def make(actor, **data):
        return contact_allowing_email_twin(actor, **data)

    return {
        "email": [
            make(rep, first_name="Ana", email="ana@example.co"),
            make(rep, first_name="Ana M.", email="ana@example.co"),
        ],
        "name": [
            make(rep, first_name="José", last_name="Pérez <b>", company=company.pk),
            make(rep, first_name="Jose", last_name="Perez <b>", company=company.pk),
        ],
        "cross": [
            make(rep, first_name="Luis", phone="3001112233"),
            make(rep2, first_name="Lucho", phone="3001112233"),
        ],
        "company": company,
    }


def page(client, user):
    return client_for(client, user).get(URL).content.decode()


def test_it_shows_the_reps_groups_with_merge_links_and_escapes_names(
    client, personas, groups, mode
):
    body = page(client, personas.rep)
    a, b = groups["email"]
    assert "ana@example.co" in body
    assert f"{reverse('contacts:merge')}?a={a.pk}&amp;b={b.pk}" in body
    assert "similar name at the same company" in body
    assert "José Pérez &lt;b&gt;" in body and "Lotes &lt;del&gt; Sur" in body
    assert "<b>" not in body and "<del>" not in body
    # The phone pair spans two reps: neither rep sees it.
    assert "+57 300 1112233" not in body
    assert "Lucho" not in body


def test_it_shows_nothing_of_other_reps_or_to_outsiders(client, personas, groups, mode):
    for user in (personas.rep2, personas.outsider):
        body = page(client, user)
        assert "No duplicates found" in body
        assert "ana@example.co" not in body and "Pérez" not in body


def test_it_shows_the_manager_every_group_and_the_read_only_colleague_no_merge_link(
    client, personas, groups, mode
):
    body = page(client, personas.manager)
    assert "ana@example.co" in body and "+57 300 1112233" in body and "Lucho" in body
    colleague = page(client, personas.colleague)
    assert "ana@example.co" in colleague
    assert reverse("contacts:merge") not in colleague
    assert "Your role cannot merge contacts" in colleague


def test_it_lists_a_contact_created_a_moment_ago(client, personas, groups, mode):
    page(client, personas.rep)
    services.create_contact(actor=personas.rep, data={"first_name": "Nueva", "phone": "3001112233"})
    body = page(client, personas.rep)
    assert "+57 300 1112233" in body and "Nueva" in body


def test_it_says_when_many_changes_are_still_being_checked(
    client, personas, groups, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(duplicates, "LIVE_UP_TO", 0)
    monkeypatch.setattr(duplicates, "FIRST_BUILD_INLINE", 1)
    with django_capture_on_commit_callbacks() as queued:
        body = page(client, personas.rep)
    assert "still being checked in the background" in body
    assert len(queued) == 1
    duplicates.catch_up_duplicates()  # what the worker does
    body = page(client, personas.rep)
    assert "still being checked" not in body
    assert "ana@example.co" in body


def test_it_pins_the_queries_of_the_page(
    client, personas, groups, mode, django_assert_max_num_queries
):
    if mode == "precomputed":
        duplicates.refresh_duplicate_groups()
    for i in range(15):
        for twin in ("a", "b"):
            contact_allowing_email_twin(
                personas.rep, first_name=f"Gemelo{i}{twin}", email=f"g{i}@e.co"
            )
    c = client_for(client, personas.rep)
    # The first view after changes also catches the precomputed rows up (a fixed number of
    # queries per 500 changed contacts).
    with django_assert_max_num_queries(10 if mode == "live" else 30):
        first = c.get(URL).content.decode()
    # Then: session, user, table size, scan state, changes (2), role, groups, contacts, role; on a
    # small PostgreSQL test table the size also takes an exact count after the estimate.
    with django_assert_max_num_queries(11):
        again = c.get(URL).content.decode()
    assert "Gemelo14b" in first and "Gemelo14b" in again
