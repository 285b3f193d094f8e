"""CompiledQuery: SQL compiled once, new values bound as parameters, ORM converters applied."""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest
from django.db.models import Q

from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.compiled import CompiledQuery
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
