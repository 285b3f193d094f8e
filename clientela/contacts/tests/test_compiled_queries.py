"""CompiledQuery: SQL compiled once, new values bound as parameters, ORM converters applied."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.db.models import Q, QuerySet

from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.compiled import CompiledQuery, rows_for_each
from clientela.core.expressions import JSONArrayAgg

pytestmark = pytest.mark.django_db


def by_email_and_id() -> CompiledQuery:
    return CompiledQuery(
        lambda email, pk: (
            Contact.objects.filter(email=email, pk__gte=pk)
            .order_by("pk")
            .values_list("pk", "first_name", "birthday", "custom", "created_at")
        ),
        [str, int],
    )


def test_it_returns_what_the_orm_returns_for_each_new_value():
    first = cast(
        Contact,
        ContactFactory(email="ana@example.co", birthday=dt.date(1990, 5, 17), custom={"a": 1}),
    )
    ContactFactory(email="ana@example.co", birthday=None)
    other = cast(Contact, ContactFactory(email="luis@example.co"))
    query = by_email_and_id()
    for email, pk in (
        ("ana@example.co", 0),
        ("ana@example.co", first.pk + 1),
        ("luis@example.co", 0),
    ):
        expected = list(
            Contact.objects.filter(email=email, pk__gte=pk)
            .order_by("pk")
            .values_list("pk", "first_name", "birthday", "custom", "created_at")
        )
        assert query.rows(email, pk) == [tuple(row) for row in expected]
    assert query.first("luis@example.co", 0) == query.rows("luis@example.co", 0)[0]
    assert query.rows("luis@example.co", 0)[0][0] == other.pk
    assert query.first("nadie@example.co", 0) is None


def test_it_converts_values_as_the_orm_does():
    ContactFactory(email="ana@example.co", birthday=dt.date(1990, 5, 17), custom={"nivel": "oro"})
    row = by_email_and_id().first("ana@example.co", 0)
    assert row is not None
    assert isinstance(row[2], dt.date) and row[2] == dt.date(1990, 5, 17)
    assert row[3] == {"nivel": "oro"}
    assert isinstance(row[4], dt.datetime) and row[4].tzinfo is not None


def test_it_binds_text_as_a_parameter_never_as_sql():
    ContactFactory(email="ana@example.co")
    hostile = "x' OR '1'='1"
    assert by_email_and_id().rows(hostile, 0) == []
    assert Contact.objects.count() == 1


def test_it_aggregates_json_arrays_on_every_backend():
    ContactFactory(first_name="Ana", email="a@example.co")
    ContactFactory(first_name="Bea", email="b@example.co")
    query = CompiledQuery(
        lambda pk: (
            Contact.objects.filter(pk__gte=pk)
            .values("country")
            .annotate(names=JSONArrayAgg("first_name"))
            .values_list("names")
        ),
        [int],
    )
    row = query.first(0)
    assert row is not None
    (names,) = row
    assert sorted(names) == ["Ana", "Bea"]


def test_it_refuses_a_value_the_query_does_not_use_exactly_once():
    unused = CompiledQuery(lambda pk: Contact.objects.values_list("pk"), [int])
    with pytest.raises(ValueError, match="exactly once"):
        unused.rows(1)
    twice = CompiledQuery(
        lambda pk: Contact.objects.filter(Q(pk=pk) | Q(pk=pk)).values_list("pk"), [int]
    )
    with pytest.raises(ValueError, match="exactly once"):
        twice.rows(1)


def test_rows_for_each_returns_each_keys_sliced_rows_as_the_orm_does():
    """One compiled branch, run for every key: the same rows as one ORM query per key."""
    owners = [cast(Contact, ContactFactory(email=f"o{n}@example.co")) for n in range(3)]
    for n in range(7):
        ContactFactory(
            email=f"c{n}@example.co",
            city=["Cali", "Pasto", "Neiva"][n % 3],
            birthday=dt.date(1990, 1, 1 + n),
            custom={"n": n},
        )
    keys = [owner.pk for owner in owners]  # any int key: here the lowest id each branch takes

    def build(pk: int) -> QuerySet[Contact, tuple[Any, ...]]:
        return (
            Contact.objects.filter(pk__gt=pk)
            .order_by("-birthday", "pk")
            .values_list("pk", "city", "birthday", "custom")[:2]
        )

    expected = [tuple(row) for pk in keys for row in build(pk)]
    got = rows_for_each(build, keys)
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert len(got) == 6  # two per key: each branch keeps its own LIMIT
    assert rows_for_each(build, []) == []
    dated = [row for row in got if row[2] is not None]
    assert dated and all(isinstance(r[2], dt.date) and isinstance(r[3], dict) for r in dated)


def test_rows_for_each_refuses_a_query_that_does_not_bind_the_key_once():
    with pytest.raises(ValueError, match="exactly once"):
        rows_for_each(
            lambda pk: Contact.objects.filter(pk__gt=pk, id__lt=pk).values_list("pk"), [1]
        )
