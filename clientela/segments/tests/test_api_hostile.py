"""Hostile definitions through the API: SQL-injection payloads as every field name, operator,
parameter and value, and random trees with hostile leaves. No user text reaches SQL as text:
names and operators outside the allow-list answer 400 at their path, values are parameters
(a contact named with the payload is found by exactly that name), nothing answers 5xx, and a
refused request leaves no row behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientela.accounts.models import User
from clientela.accounts.services import create_token
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.segments.engine import reference_members
from clientela.segments.models import Segment
from clientela.segments.queries import tree_of
from clientela.segments.registry import OPERATORS, Operand, all_conditions
from clientela.testing.fuzz import hostile_text, json_values, row_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/segments"

SQL_PAYLOADS = (
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE contacts_contact; --",
    "'); DELETE FROM segments_segment; --",
    "x' UNION SELECT password FROM accounts_user --",
    "%' OR '%'='",
    "_%\\",
    "*/ OR 1=1 /*",
    "$$; DROP TABLE accounts_user; $$",
    "' || (SELECT version()) || '",
    "1 AND SLEEP(5)",
    "Robert'); DROP TABLE Students;--",
    "`id`",
)


@pytest.fixture
def headers(personas: Any) -> dict[str, Any]:
    """A marketer's token (marketing manages segments and sees every contact)."""
    _token, raw = create_token(personas.marketer, actor=personas.marketer)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


def post(client: Client, headers: dict[str, Any], definition: Any) -> Any:
    """POST a segment with this definition."""
    body = json.dumps({"name": "Prueba", "definition": definition})
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_payloads_as_field_names_operators_and_setting_names_answer_400(client, headers):
    before = row_counts()
    as_fields = {"any": [{"field": p, "op": "is", "value": "x"} for p in SQL_PAYLOADS]}
    as_operators = {"any": [{"field": "first_name", "op": p, "value": "x"} for p in SQL_PAYLOADS]}
    as_settings = {
        "any": [{"field": "city", "op": "is", "value": "x", p: "1"} for p in SQL_PAYLOADS]
    }
    as_groups: dict[str, list[Any]] = {p: [] for p in SQL_PAYLOADS}
    for definition, key in (
        (as_fields, "field"),
        (as_operators, "op"),
        (as_settings, None),
    ):
        response = post(client, headers, definition)
        assert response.status_code == 400, response.content
        errors = response.json()["errors"]
        for index, payload in enumerate(SQL_PAYLOADS):
            assert f"definition.any.{index}.{key or payload}" in errors
    grouped = post(client, headers, as_groups)
    assert grouped.status_code == 400
    assert row_counts() == before


def _operand(operand: Operand, payload: str) -> Any:
    """The payload in the shape the operand takes."""
    if operand in (Operand.NUMBER_RANGE, Operand.DATE_RANGE):
        return [payload, payload]
    if operand == Operand.CHOICES:
        return [payload]
    return payload


def test_payloads_as_every_value_and_setting_are_data_or_400(personas, client, headers):
    # Contacts named with the payloads: a condition on the name must find exactly that one.
    named = {
        p: ContactFactory.create(first_name=p, city=p, owner=personas.rep) for p in SQL_PAYLOADS
    }
    ContactFactory.create(first_name="Ana", city="Bogotá", owner=personas.rep)
    contacts = set(Contact.objects.values_list("pk", flat=True))
    users = User.objects.count()
    index = 0
    for spec in all_conditions():
        for op in spec.allowed_operators:
            operand = OPERATORS[op].operand
            if operand == Operand.NONE and not spec.params:
                continue
            payload = SQL_PAYLOADS[index % len(SQL_PAYLOADS)]
            index += 1
            condition: dict[str, Any] = {"field": spec.field, "op": op}
            if operand != Operand.NONE:
                condition["value"] = _operand(operand, payload)
            condition.update({param.name: payload for param in spec.params})
            before = row_counts()
            response = post(client, headers, condition)
            what = f"{condition} → {response.status_code} {response.content[:200]!r}"
            assert response.status_code in (201, 400), what
            if response.status_code == 400:
                assert row_counts() == before, what
                continue
            segment = Segment.objects.get(pk=response.json()["id"])
            # The stored members are what the plain-Python reference path selects.
            expected = reference_members(tree_of(segment), sorted(contacts))
            count = client.get(f"{URL}/{segment.pk}/count", **headers).json()["count"]
            assert count == len(expected), what
    for payload, contact in named.items():
        response = post(client, headers, {"field": "first_name", "op": "is", "value": payload})
        assert response.status_code == 201
        assert response.json()["member_count"] == 1, payload
        members = client.get(f"{URL}/{response.json()['id']}/members", **headers).json()
        assert [m["id"] for m in members["items"]] == [contact.pk]
    assert set(Contact.objects.values_list("pk", flat=True)) == contacts
    assert User.objects.count() == users


def _leaf(fields: list[str]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "field": st.one_of(st.sampled_from(fields), hostile_text()),
            "op": st.one_of(st.sampled_from(sorted(OPERATORS)), hostile_text()),
        },
        optional={
            "value": json_values(depth=2),
            "channel": st.one_of(st.just("email"), hostile_text()),
            "purpose": st.just("marketing"),
            "days": json_values(depth=1),
        },
    )


def _trees(fields: list[str]) -> st.SearchStrategy[Any]:
    """Groups nested up to a few levels (some with two keys) over leaves of `fields`."""
    return st.recursive(
        _leaf(fields),
        lambda kids: st.one_of(
            st.fixed_dictionaries({"all": st.lists(kids, max_size=4)}),
            st.fixed_dictionaries({"any": st.lists(kids, max_size=4)}),
            st.fixed_dictionaries({"not": kids}),
            st.dictionaries(st.sampled_from(["all", "any", "not"]), kids, min_size=2),
        ),
        max_leaves=8,
    )


def test_random_trees_with_hostile_leaves_never_answer_5xx(personas, client, headers):
    ContactFactory.create(first_name="Ana", owner=personas.rep)

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(definition=_trees(sorted(spec.field for spec in all_conditions())))
    def run(definition: Any) -> None:
        before = row_counts()
        response = post(client, headers, definition)
        what = f"{json.dumps(definition)[:300]} → {response.status_code}"
        assert response.status_code in (201, 400), what
        if response.status_code == 400:
            assert row_counts() == before, what
            assert all(
                key == "definition" or key.startswith("definition.")
                for key in response.json()["errors"]
            ), what

    run()
