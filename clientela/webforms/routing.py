"""Lead routing in pure functions: which rule takes a lead and which rep it goes to.

Rules are tried in order; the first whose criteria all hold takes the lead. An empty
criterion matches anything. Strategies pick among the rule's active members:

- round robin: the member after the one who got the rule's last lead (by user id, wrapping),
  so adding or removing a member never skips or repeats anyone; the caller holds the rule's
  row lock while it reads `last_owner_id` and writes the answer back, which keeps it fair
  under concurrent submissions;
- least open leads: the member with fewest open leads, ties to the one who waited longest;
- fixed owner: one user.

When no member is active (or the fixed owner left), the rule's fallback owner takes the lead;
the database side lives in `webforms.services.assignment`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ROUND_ROBIN = "round_robin"
LEAST_OPEN = "least_open"
FIXED = "fixed"

CRITERIA = ("forms", "sources", "products", "countries", "cities", "languages")


@dataclass(frozen=True)
class LeadFacts:
    """What routing may look at: where the lead came from and who it is."""

    form: str = ""  # the form's public id ("" for webhooks without a form)
    source: str = ""  # contacts.Source value: form, facebook, google_ads, …
    product: str = ""  # product of interest, as the form's hidden field carries it
    country: str = ""  # ISO alpha-2
    city: str = ""
    language: str = ""


@dataclass(frozen=True)
class Criteria:
    """A rule's conditions: each a set of accepted values; an empty set accepts anything."""

    forms: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    products: frozenset[str] = field(default_factory=frozenset)
    countries: frozenset[str] = field(default_factory=frozenset)
    cities: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Criteria:
        """Build criteria from the stored JSON (lists of strings), ignoring anything else."""
        values: dict[str, frozenset[str]] = {}
        for name in CRITERIA:
            raw = data.get(name)
            items = raw if isinstance(raw, list) else []
            values[name] = frozenset(fold(str(item)) for item in items if str(item).strip())
        return cls(**values)

    def matches(self, lead: LeadFacts) -> bool:
        """Whether every non-empty criterion accepts the lead (compared case- and accent-blind)."""
        pairs = (
            (self.forms, lead.form),
            (self.sources, lead.source),
            (self.products, lead.product),
            (self.countries, lead.country),
            (self.cities, lead.city),
            (self.languages, lead.language),
        )
        return all(not accepted or fold(value) in accepted for accepted, value in pairs)


def fold(text: str) -> str:
    """Return text compared loosely: trimmed, lower case, accents off ("Bogotá" == "bogota")."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def first_match(rules: Sequence[tuple[int, Criteria]], lead: LeadFacts) -> int | None:
    """Return the id of the first rule (in the given order) whose criteria take the lead."""
    for rule_id, criteria in rules:
        if criteria.matches(lead):
            return rule_id
    return None


def next_in_turn(members: Sequence[int], last_owner_id: int | None) -> int | None:
    """Round robin: the member after `last_owner_id` by id, wrapping; None without members."""
    ordered = sorted(set(members))
    if not ordered:
        return None
    if last_owner_id is None:
        return ordered[0]
    for member in ordered:
        if member > last_owner_id:
            return member
    return ordered[0]


def least_loaded(
    members: Sequence[int],
    open_leads: Mapping[int, int],
    last_assigned: Mapping[int, float] | None = None,
) -> int | None:
    """Return the member with the fewest open leads; ties go to who waited longest, then id."""
    if not members:
        return None
    waited = last_assigned or {}
    return min(set(members), key=lambda m: (open_leads.get(m, 0), waited.get(m, 0.0), m))


def choose(
    strategy: str,
    *,
    members: Sequence[int],
    fixed_owner: int | None,
    fallback: int | None,
    last_owner_id: int | None = None,
    open_leads: Mapping[int, int] | None = None,
    last_assigned: Mapping[int, float] | None = None,
) -> int | None:
    """Return the owner a rule gives the lead (members are the ACTIVE ones), or its fallback."""
    if strategy == FIXED:
        picked = fixed_owner
    elif strategy == LEAST_OPEN:
        picked = least_loaded(members, open_leads or {}, last_assigned)
    else:
        picked = next_in_turn(members, last_owner_id)
    return picked if picked is not None else fallback
