"""Lead routing's pure rules: criteria, order, and each strategy's choice."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from clientela.webforms import routing
from clientela.webforms.routing import Criteria, LeadFacts


def test_it_gives_the_lead_to_the_first_rule_whose_criteria_all_hold() -> None:
    medellin = Criteria.from_json({"cities": ["Medellín"], "sources": ["facebook"]})
    english = Criteria.from_json({"languages": ["en"]})
    anyone = Criteria.from_json({})
    rules = [(1, medellin), (2, english), (3, anyone)]
    assert routing.first_match(rules, LeadFacts(source="facebook", city=" medellin ")) == 1
    assert routing.first_match(rules, LeadFacts(source="google_ads", city="Medellín")) == 3
    assert routing.first_match(rules, LeadFacts(language="en", city="Cali")) == 2
    assert routing.first_match(rules[:2], LeadFacts(city="Cali")) is None


def test_it_ignores_stored_criteria_it_does_not_know() -> None:
    criteria = Criteria.from_json({"cities": "Cali", "weird": ["x"], "forms": ["", "f1"]})
    assert criteria == Criteria(forms=frozenset({"f1"}))


def test_it_turns_round_robin_past_members_who_left_or_joined() -> None:
    assert routing.next_in_turn([7, 3, 5], None) == 3
    assert routing.next_in_turn([3, 5, 7], 5) == 7
    assert routing.next_in_turn([3, 5, 7], 7) == 3
    # The last owner left the rule: the turn goes on from where he stood.
    assert routing.next_in_turn([3, 7], 5) == 7
    assert routing.next_in_turn([], 5) is None


@given(st.lists(st.integers(1, 50), min_size=1, max_size=8, unique=True), st.integers(1, 12))
def test_round_robin_is_fair_over_any_number_of_rounds(members: list[int], rounds: int) -> None:
    last = None
    given_to: Counter[int] = Counter()
    for _ in range(rounds * len(members)):
        last = routing.next_in_turn(members, last)
        assert last is not None
        given_to[last] += 1
    assert set(given_to.values()) == {rounds}


def test_it_gives_the_least_loaded_member_and_breaks_ties_by_waiting_time() -> None:
    assert routing.least_loaded([1, 2, 3], {1: 4, 2: 1, 3: 1}, {2: 200.0, 3: 100.0}) == 3
    assert routing.least_loaded([1, 2], {}) == 1
    assert routing.least_loaded([], {1: 0}) is None


def test_it_falls_back_when_the_rule_has_nobody_active() -> None:
    assert routing.choose("round_robin", members=[], fixed_owner=None, fallback=9) == 9
    assert routing.choose("fixed", members=[1], fixed_owner=None, fallback=9) == 9
    assert routing.choose("fixed", members=[], fixed_owner=4, fallback=9) == 4
    assert routing.choose("least_open", members=[1, 2], fixed_owner=None, fallback=9,
                          open_leads={1: 3, 2: 0}) == 2  # fmt: skip
    assert routing.choose("round_robin", members=[], fixed_owner=None, fallback=None) is None
