"""The audit log screen and its CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.accounts import services as account_services
from clientela.contacts.choices import ContactVerb
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.timeline.choices import Verb, Via
from clientela.timeline.models import Event
from clientela.timeline.queries import AuditFilters, audit_page, decode_cursor
from clientela.timeline.services import record_event
from clientela.timeline.tests.factories import EventFactory

AUDIT = "/audit/"


def make_contact(**fields: Any) -> Contact:
    """A saved contact."""
    return cast(Contact, ContactFactory(**fields))


def signed_in(client: Client, user: Any) -> Client:
    """`client` signed in as `user`, reading English (the msgids)."""
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_it_shows_the_audit_log_to_admins_and_managers(
    client: Client, personas: Any, persona: str
) -> None:
    account_services.create_department(actor=personas.admin, name="Postventa")
    response = signed_in(client, getattr(personas, persona)).get(AUDIT)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Audit log" in text
    assert "Postventa" in text


def test_it_links_managers_to_the_audit_log(client: Client, personas: Any) -> None:
    page = signed_in(client, personas.manager).get("/accounts/profile/").content.decode()
    assert f'href="{AUDIT}"' in page
    page = signed_in(Client(), personas.rep).get("/accounts/profile/").content.decode()
    assert f'href="{AUDIT}"' not in page


@pytest.mark.parametrize("persona", ["rep", "rep2", "colleague", "marketer", "outsider"])
def test_it_hides_the_audit_log_from_other_roles(
    client: Client, personas: Any, persona: str
) -> None:
    signed_in(client, getattr(personas, persona))
    assert client.get(AUDIT).status_code == 404
    assert client.get(reverse("timeline:audit_export")).status_code == 404


def test_it_shows_who_changed_which_fields(client: Client, personas: Any) -> None:
    account_services.update_user(personas.rep, actor=personas.admin, last_name="Restrepo")
    text = signed_in(client, personas.admin).get(AUDIT).content.decode()
    assert "Admin" in text  # who
    assert "updated" in text  # what
    assert "Last name" in text  # field label, not the column name
    assert "<ins>Restrepo</ins>" in text
    assert reverse("accounts:user_edit", args=[personas.rep.pk]) in text  # record link


def test_it_links_a_contacts_note_to_the_contact_card(client: Client, personas: Any) -> None:
    contact = make_contact(owner=personas.rep)
    record_event(ContactVerb.NOTE, actor=personas.rep, target=personas.rep, contact_id=contact.pk)
    text = signed_in(client, personas.admin).get(AUDIT, {"verb": "note"}).content.decode()
    assert reverse("contacts:contact_detail", args=[contact.pk]) in text


def test_it_escapes_record_names(client: Client, personas: Any) -> None:
    contact = make_contact(first_name="<script>alert(1)</script>", owner=personas.rep)
    record_event(Verb.CREATED, actor=personas.rep, target=contact, contact_id=contact.pk)
    text = signed_in(client, personas.admin).get(AUDIT).content.decode()
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)" in text


def test_it_filters_by_actor_verb_record_type_and_dates(client: Client, personas: Any) -> None:
    contact = make_contact(owner=personas.rep)
    with_time = [
        (dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC), personas.rep, Verb.CREATED, contact),
        (dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC), personas.manager, Verb.UPDATED, contact),
        (dt.datetime(2026, 2, 11, 9, tzinfo=dt.UTC), personas.admin, Verb.UPDATED, personas.rep),
    ]
    for when, actor, verb, target in with_time:
        event = record_event(verb, actor=actor, target=target)
        Event.objects.filter(pk=event.pk).update(created_at=when)
    signed_in(client, personas.admin)

    def shown(**params: Any) -> int:
        page = client.get(AUDIT, params)
        assert page.status_code == 200
        return len(page.context["page"].events)

    assert shown(actor=personas.rep.pk) == 1
    assert shown(verb="updated") == 2
    assert shown(record_type="contacts.contact") == 2
    assert shown(record_type="accounts.user", verb="updated") == 1
    assert shown(record_type="accounts.user", record_id=personas.rep.pk) == 1
    assert shown(record_type="accounts.user", record_id=personas.rep2.pk) == 0
    assert shown(date_from="2026-02-01") == 2
    assert shown(date_from="2026-02-01", date_to="2026-02-10") == 1
    assert shown(date_to="2026-01-31") == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-02-10", "date_to": "2026-02-01"}, "The end date is before"),
        ({"date_from": "ayer"}, "Enter a valid date."),
        ({"verb": "hacked"}, "Select a valid choice."),
        ({"actor": "999999"}, "Select a valid choice."),
    ],
)
def test_it_explains_invalid_filters(
    client: Client, personas: Any, params: dict[str, str], message: str
) -> None:
    response = signed_in(client, personas.admin).get(AUDIT, params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_pages_through_a_large_log_with_a_cursor(
    client: Client, personas: Any, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    events = [
        EventFactory.build(
            verb=ContactVerb.NOTE,
            actor=personas.rep,
            target_type="accounts.user",
            target_id=str(personas.rep.pk),
            target_repr=f"n{i}",
            created_at=now - dt.timedelta(seconds=i // 2),  # pairs share a timestamp
        )
        for i in range(120)
    ]
    Event.objects.bulk_create(events)
    signed_in(client, personas.admin)
    seen: list[int] = []
    url: str | None = AUDIT
    while url:
        with django_assert_max_num_queries(10):
            response = client.get(url)
        page = response.context["page"]
        seen.extend(e.pk for e in page.events)
        url = response.context["next_url"] and AUDIT + response.context["next_url"]
    assert len(seen) == len(set(seen)) == 120


def test_it_ignores_a_malformed_cursor(personas: Any) -> None:
    assert decode_cursor("garbage") is None
    page = audit_page(personas.admin, AuditFilters(), "not-a-cursor_x")
    assert page.next_cursor is None


def test_it_hides_events_of_records_a_narrowed_manager_cannot_see(
    client: Client, personas: Any
) -> None:
    manager_role = personas.roles["gerente"]
    manager_role.visibility = "own"
    manager_role.save()
    foreign = make_contact(owner=personas.rep2, first_name="Ajena")
    own = make_contact(owner=personas.manager, first_name="Propia")
    for contact in (foreign, own):
        record_event(Verb.CREATED, actor=personas.rep2, target=contact, contact_id=contact.pk)
    text = signed_in(client, personas.manager).get(AUDIT).content.decode()
    assert "Propia" in text
    assert "Ajena" not in text


def test_it_exports_the_filtered_log_as_csv(client: Client, personas: Any) -> None:
    contact = make_contact(owner=personas.rep, first_name="=HYPERLINK(1)")
    record_event(
        Verb.UPDATED,
        actor=personas.rep,
        target=contact,
        contact_id=contact.pk,
        via=Via.API,
        data={"changes": {"city": ["Cali", "Medellín"]}},
    )
    account_services.create_department(actor=personas.admin, name="Postventa")
    response = signed_in(client, personas.admin).get(
        reverse("timeline:audit_export"), {"record_type": "contacts.contact"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    chunks = cast(Iterator[bytes], cast(StreamingHttpResponse, response).streaming_content)
    body = b"".join(chunks).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][:3] == ["When", "Who", "What"]
    assert len(rows) == 2  # the department event is filtered out
    row = rows[1]
    assert row[1] == "Rep"
    assert row[5].startswith("'=HYPERLINK")  # formula injection neutralised
    assert row[6] == "API"
    assert "City: Cali → Medellín" in row[7]


def test_it_links_contact_events_to_the_card_when_it_exists(personas: Any) -> None:
    from clientela.timeline.views import record_url

    assert record_url("accounts.user", str(personas.rep.pk)) == reverse(
        "accounts:user_edit", args=[personas.rep.pk]
    )
    assert record_url("accounts.department", "1") is None
    assert record_url("contacts.contact", "7") == reverse("contacts:contact_detail", args=[7])
    assert record_url("contacts.contact", "not-a-number") is None
