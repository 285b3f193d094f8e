"""Segment conditions over web behaviour: visited a URL / clicked a CTA in the last N days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts.tests.factories import ContactFactory
from clientela.segments.engine import explain, members, reference_members
from clientela.segments.registry import Context
from clientela.segments.tree import parse
from clientela.tracking.choices import EventKind
from clientela.tracking.tests.factories import EventFactory, VisitorFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)


def world():
    ana, luis, eva = (ContactFactory.create(first_name=n) for n in ("Ana", "Luis", "Eva"))
    for contact, path, days_ago in (
        (ana, "/Precios", 2),
        (luis, "/precios", 40),
        (eva, "/blog", 1),
    ):
        EventFactory.create(
            visitor=VisitorFactory.create(contact=contact), contact=contact, path=path,
            url=f"https://www.example.co{path}?utm_source=fb", occurred_at=NOW - dt.timedelta(days=days_ago),
        )  # fmt: skip
    EventFactory.create(
        contact=eva,
        kind=EventKind.CLICK,
        cta="Ver planes 50%",
        occurred_at=NOW - dt.timedelta(days=3),
    )
    # An anonymous visit of /precios belongs to nobody.
    EventFactory.create(path="/precios", occurred_at=NOW)
    return ana, luis, eva


def selected(definition):
    tree = parse(definition)
    ctx = Context(now=NOW)
    compiled = set(members(tree, ctx).values_list("first_name", flat=True))
    ids = list(members(parse({}), ctx).values_list("pk", flat=True))
    from clientela.contacts.models import Contact

    reference = set(
        Contact.objects.filter(pk__in=reference_members(tree, ids, ctx)).values_list(
            "first_name", flat=True
        )
    )
    assert compiled == reference
    return compiled


def test_it_selects_who_visited_an_address_in_the_last_days():
    world()
    visited = {"field": "visited_url", "op": "contains", "value": "precios"}
    assert selected({"all": [visited]}) == {"Ana", "Luis"}
    assert selected({"all": [{**visited, "days": 30}]}) == {"Ana"}
    assert selected({"all": [{**visited, "op": "not_contains", "days": 30}]}) == {"Luis", "Eva"}
    assert selected({"all": [{**visited, "value": "utm_source=fb", "days": 1}]}) == {"Eva"}


def test_it_selects_who_clicked_a_cta_and_escapes_wildcards():
    world()
    clicked = {"field": "clicked_cta", "op": "contains", "days": 7}
    assert selected({"all": [{**clicked, "value": "ver planes"}]}) == {"Eva"}
    assert selected({"all": [{**clicked, "value": "50%"}]}) == {"Eva"}
    assert selected({"all": [{**clicked, "value": "5_%"}]}) == set()
    # A page view is not a click.
    assert selected({"all": [{**clicked, "value": "precios"}]}) == set()


def test_it_compiles_to_one_parameterised_exists():
    world()
    tree = parse(
        {
            "all": [
                {
                    "field": "visited_url",
                    "op": "contains",
                    "value": "x'); DROP TABLE x; --",
                    "days": 7,
                }
            ]
        }
    )
    with CaptureQueriesContext(connection) as queries:
        assert list(members(tree, Context(now=NOW))) == []
    sql = queries.captured_queries[-1]["sql"].upper()
    assert "EXISTS" in sql and "TRACKING_EVENT" in sql


def test_it_explains_why_with_the_pages_visited():
    ana, _luis, _eva = world()
    tree = parse(
        {"all": [{"field": "visited_url", "op": "contains", "value": "precios", "days": 30}]}
    )
    why = explain(tree, ana.pk, Context(now=NOW))
    assert why.matched
    assert "Precios" in why.children[0].value
