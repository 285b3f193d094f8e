"""The compiled query and the reference evaluator agree on random trees over random data.

Each example builds a random world (NULLs, empty strings, accents and case, LIKE wildcards,
deleted records, instants a second either side of local midnight, 29 February birthdays,
consents recorded at the same instant) and draws condition trees whose operands come from the
same pools, so conditions match some contacts and miss others. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from clientela.segments.engine import members, reference_members
from clientela.segments.registry import Context, all_conditions
from clientela.segments.tests.factories import (
    AMOUNTS,
    PRODUCTS,
    TAG_NAMES,
    TEXTS,
    World,
    build_world,
)
from clientela.segments.tree import parse, to_json

NOWS = [
    dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC),
    # 23:30 on 28 February in Bogotá, already 1 March in UTC.
    dt.datetime(2027, 3, 1, 4, 30, tzinfo=dt.UTC),
    dt.datetime(2028, 2, 28, 5, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC),
]


@st.composite
def condition(draw: Any, world: World) -> dict[str, Any]:
    """One condition over any registered field, with an operand that can match."""
    specs = {spec.field: spec for spec in all_conditions()}
    name = draw(st.sampled_from(sorted(specs)))
    spec = specs[name]
    op = draw(st.sampled_from(spec.allowed_operators))
    node: dict[str, Any] = {"field": name, "op": op}
    for param in spec.params:
        if param.days:
            if draw(st.booleans()):
                node[param.name] = draw(st.sampled_from([0, 1, 7, 30, 366]))
        elif param.choices is not None:
            node[param.name] = draw(st.sampled_from([code for code, _label in param.choices()]))
    from clientela.segments.registry import OPERATORS, Operand

    operand = OPERATORS[op].operand
    days = [d.isoformat() for d in world.days]
    if operand == Operand.TEXT:
        pool = (
            [t for t in TEXTS if t.strip()]
            + TAG_NAMES
            + [s for s, _n in PRODUCTS if s]
            + ["chicó", "50%", "c1@example.co"]
        )
        node["value"] = draw(st.sampled_from(pool))
    elif operand == Operand.NUMBER:
        node["value"] = draw(st.sampled_from([0, 1, 2, -3, 1.5, 100, 99.99, 1e6, str(AMOUNTS[2])]))
    elif operand == Operand.NUMBER_RANGE:
        low, high = sorted(
            draw(st.lists(st.sampled_from([-50, 0, 1, 2, 10.5, 100, 200]), min_size=2, max_size=2))
        )
        node["value"] = [low, high]
    elif operand == Operand.DATE:
        node["value"] = draw(st.sampled_from(days))
    elif operand == Operand.DATE_RANGE:
        node["value"] = sorted(draw(st.lists(st.sampled_from(days), min_size=2, max_size=2)))
    elif operand == Operand.DAYS:
        node["value"] = draw(st.sampled_from([0, 1, 6, 7, 29, 30, 31, 365, 366]))
    elif operand == Operand.MONTH:
        node["value"] = draw(st.sampled_from([1, 2, 3, 12]))
    elif operand == Operand.CHOICES:
        choices = [code for code, _label in spec.choices()] if spec.choices else []
        node["value"] = draw(
            st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True)
        )
    elif operand == Operand.SEGMENT:
        node["value"] = draw(st.sampled_from(world.segment_ids))
    return node


def trees(world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Random nested all / any / not groups of conditions."""
    return st.recursive(
        condition(world),
        lambda children: st.one_of(
            st.builds(lambda xs: {"all": xs}, st.lists(children, max_size=3)),
            st.builds(lambda xs: {"any": xs}, st.lists(children, max_size=3)),
            st.builds(lambda x: {"not": x}, children),
        ),
        max_leaves=5,
    )


class CompiledMatchesReference(TestCase):
    """Membership by SQL equals membership by the reference evaluator."""

    @settings(
        max_examples=int(os.environ.get("CLIENTELA_SEGMENT_EXAMPLES", "20")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(seed=st.integers(0, 2**32), now=st.sampled_from(NOWS), data=st.data())
    def test_it_agrees_on_random_trees_and_data(
        self, seed: int, now: dt.datetime, data: Any
    ) -> None:
        world = build_world(random.Random(seed), now)
        for _ in range(6):
            definition = data.draw(trees(world), label="definition")
            tree = parse(definition)
            assert parse(to_json(tree)) == tree
            compiled = set(members(tree, Context(now=now)).values_list("pk", flat=True))
            expected = reference_members(tree, world.live_ids, Context(now=now))
            assert compiled == expected, definition
