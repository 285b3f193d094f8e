"""The builder's endpoints get hostile definitions that are valid JSON (the shared harness posts
hostile text, which rarely parses): no 5xx, and a refused save leaves no row behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientela.core.testing import client_for
from clientela.segments.tests.factories import ScreensWorld, build_screens_world
from clientela.testing.fuzz import deep_json, hostile_text, json_values, row_counts

pytestmark = pytest.mark.django_db


def definitions() -> st.SearchStrategy[Any]:
    """Trees of the right shape with hostile leaves, and any JSON at all."""
    fields = st.sampled_from(["tag", "city", "birthday", "consent", "segment", "owner", "x"])
    ops = st.one_of(
        st.sampled_from(["is", "has", "in", "between", "in_next_days", "yes"]), hostile_text()
    )
    condition = st.fixed_dictionaries(
        {"field": fields, "op": ops},
        optional={
            "value": json_values(depth=2),
            "channel": json_values(depth=1),
            "days": json_values(depth=1),
        },
    )
    tree = st.recursive(
        condition,
        lambda inner: st.one_of(
            st.fixed_dictionaries({"all": st.lists(inner, max_size=3)}),
            st.fixed_dictionaries({"any": st.lists(inner, max_size=3)}),
            st.fixed_dictionaries({"not": inner}),
        ),
        max_leaves=8,
    )
    return st.one_of(tree, tree, json_values(), st.builds(deep_json))


@pytest.fixture
def world(personas: Any) -> ScreensWorld:
    """Segments and a list to name in the definitions (one world for every example)."""
    return build_screens_world(personas)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(definition=definitions())
def test_the_builder_survives_hostile_definitions(world: ScreensWorld, definition: Any) -> None:
    personas = world.personas
    client = client_for(Client(), personas.marketer)
    text = json.dumps(definition)
    answer = client.post(reverse("segments:preview"), {"definition": text})
    assert answer.status_code == 200, text[:300]
    assert isinstance(answer.json()["errors"], dict)
    before = row_counts()
    saved = client.post(reverse("segments:create"), {"name": "Fuzz", "definition": text})
    assert saved.status_code in (200, 302), text[:300]
    if saved.status_code == 200:
        assert row_counts() == before, text[:300]
