"""update_rows: many records, each to its own values, in one statement — as bulk_update would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts.models import Company, Contact
from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
from clientela.core import bulk
from clientela.core.bulk import update_rows

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _state(contacts: list[Contact]) -> list[tuple[object, ...]]:
    return list(
        Contact.objects.filter(pk__in=[c.pk for c in contacts])
        .order_by("pk")
        .values_list("pk", "first_name", "company_id", "birthday", "first_touch_at")
    )


def test_each_row_gets_its_own_values_like_bulk_update():
    company = CompanyFactory.create()
    ours = ContactFactory.create_batch(4)
    twins = ContactFactory.create_batch(4)
    untouched = ContactFactory.create(first_name="Sin cambio")
    values = [
        # A model instance or its id for a foreign key, None, dates, aware datetimes, quotes.
        ("Ana", company, dt.date(1990, 1, 2), WHEN),
        ("O'Brien; DROP TABLE x", None, None, None),
        ("Ñandú", company.pk, dt.date(2000, 2, 29), WHEN + dt.timedelta(days=1)),
        ("", None, dt.date(1980, 12, 31), None),
    ]
    fields = ["first_name", "company", "birthday", "first_touch_at"]
    with CaptureQueriesContext(connection) as queries:
        updated = update_rows(
            Contact, fields, [(c.pk, *v) for c, v in zip(ours, values, strict=True)]
        )
    assert updated == 4 and len(queries) == 1
    for contact, (name, company_value, birthday, touch) in zip(twins, values, strict=True):
        contact.first_name, contact.birthday, contact.first_touch_at = name, birthday, touch
        contact.company_id = (
            company_value.pk if isinstance(company_value, Company) else company_value
        )
    Contact.objects.bulk_update(twins, fields)
    assert [row[1:] for row in _state(ours)] == [row[1:] for row in _state(twins)]
    untouched.refresh_from_db()
    assert untouched.first_name == "Sin cambio"


def test_a_column_of_nulls_keeps_its_type_and_large_batches_go_in_chunks(monkeypatch):
    company = CompanyFactory.create()
    contacts = ContactFactory.create_batch(5, company=company)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    with CaptureQueriesContext(connection) as queries:
        assert update_rows(Contact, ["company"], [(c.pk, None) for c in contacts]) == 5
    assert len(queries) == 3
    assert set(
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("company_id", flat=True)
    ) == {None}


def test_nothing_to_update_runs_nothing_and_a_short_row_is_refused():
    contact = ContactFactory.create()
    with CaptureQueriesContext(connection) as queries:
        assert update_rows(Contact, ["first_name"], []) == 0
    assert len(queries) == 0
    with pytest.raises(ValueError, match="a key and 2 values"):
        update_rows(Contact, ["first_name", "last_name"], [(contact.pk, "solo")])


def test_insert_row_writes_what_save_writes_and_sets_the_key():
    from django.forms.models import model_to_dict

    from clientela.core.bulk import insert_row

    company = CompanyFactory.create()
    values = {"first_name": "Lucía", "last_name": "O'Neil", "email": "lucia@example.co",
              "company": company, "birthday": dt.date(1991, 5, 6), "first_touch_at": WHEN}  # fmt: skip
    ours = Contact(**values)
    with CaptureQueriesContext(connection) as queries:
        insert_row(ours)
    assert len(queries) == 1
    assert ours.pk and not ours._state.adding and ours._state.db == "default"
    theirs = Contact.objects.create(**values)
    stored, expected = Contact.objects.get(pk=ours.pk), Contact.objects.get(pk=theirs.pk)
    assert stored.created_at is not None  # its defaults and pre_save ran, as in save()
    skip = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in model_to_dict(stored).items() if k not in skip} == {
        k: v for k, v in model_to_dict(expected).items() if k not in skip
    }


def test_update_objects_writes_the_named_fields_as_the_instances_hold_them():
    from clientela.core.bulk import update_objects

    company = CompanyFactory.create()
    contacts = ContactFactory.create_batch(3)
    for n, contact in enumerate(contacts):
        contact.first_name, contact.company = f"Nombre {n}", company
        contact.last_name = "not written"
    assert update_objects(contacts, ["first_name", "company"]) == 3
    stored = Contact.objects.filter(pk__in=[c.pk for c in contacts]).order_by("pk")
    assert [(c.first_name, c.company_id) for c in stored] == [
        (f"Nombre {n}", company.pk) for n in range(3)
    ]
    assert "not written" not in {c.last_name for c in stored}
    assert update_objects([], ["first_name"]) == 0
