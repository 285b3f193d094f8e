"""Evaluate a condition tree: compiled to a Q over contacts, or by the reference path in Python.

The compiled path serves counts, members and the materialised membership. The reference path
loads each contact's values in plain Python and tests them with the registry's predicate; it
answers "why is this contact in (or not)?" and, in the tests, checks the compiler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from clientela.contacts.models import Contact
from clientela.segments.registry import (
    OPERATORS,
    Condition,
    Context,
    Operand,
    condition_spec,
    matches,
)
from clientela.segments.tree import Group, Node, Not

# Always false / always true, yet real SQL: Q(pk__in=[]) raises EmptyResultSet when it is
# compiled as a subquery (INSERT … SELECT), and an empty Q() negates to itself.
NOBODY = Q(pk__isnull=True)
EVERYONE = Q(pk__isnull=False)


def compile_q(node: Node, ctx: Context | None = None) -> Q:
    """Return a Q over Contact selecting the contacts the tree describes (live ones are the caller's)."""
    ctx = ctx or Context()
    if isinstance(node, Group):
        if not node.children:
            return EVERYONE if node.mode == "all" else NOBODY
        result = compile_q(node.children[0], ctx)
        for child in node.children[1:]:
            q = compile_q(child, ctx)
            result = result & q if node.mode == "all" else result | q
        return result
    if isinstance(node, Not):
        return ~compile_q(node.child, ctx)
    spec = condition_spec(node.field)
    if spec is None:  # a custom field deleted since the segment was saved matches nobody
        return EVERYONE if node.negated else NOBODY
    q = spec.compile(node, ctx)
    return ~q if node.negated else q


def live_contacts() -> QuerySet[Contact]:
    """Every contact a segment can hold: not deleted, not merged away."""
    return Contact.objects.filter(deleted_at__isnull=True)


def members(
    node: Node, ctx: Context | None = None, base: QuerySet[Contact] | None = None
) -> QuerySet[Contact]:
    """Return the live contacts of `base` (all live contacts by default) the tree selects."""
    base = live_contacts() if base is None else base
    return base.filter(compile_q(node, ctx))


# --- The reference path ---------------------------------------------------------------------


def _conditions(node: Node) -> Iterable[Condition]:
    if isinstance(node, Group):
        for child in node.children:
            yield from _conditions(child)
    elif isinstance(node, Not):
        yield from _conditions(node.child)
    else:
        yield node


def load_values(node: Node, ids: Sequence[int], ctx: Context) -> dict[int, dict[int, Any]]:
    """Each condition's loaded value per contact, keyed by the condition's id()."""
    values: dict[int, dict[int, Any]] = {}
    for condition in _conditions(node):
        spec = condition_spec(condition.field)
        values[id(condition)] = dict(spec.load(ids, condition, ctx)) if spec else {}
    return values


def _test(node: Node, contact_id: int, values: dict[int, dict[int, Any]], ctx: Context) -> bool:
    if isinstance(node, Group):
        results = (_test(child, contact_id, values, ctx) for child in node.children)
        return all(results) if node.mode == "all" else any(results)
    if isinstance(node, Not):
        return not _test(node.child, contact_id, values, ctx)
    spec = condition_spec(node.field)
    if spec is None:
        return node.negated
    return matches(spec, node, values[id(node)].get(contact_id), ctx)


def reference_members(node: Node, ids: Sequence[int], ctx: Context | None = None) -> set[int]:
    """Return the contacts among `ids` the tree selects, decided in plain Python over loaded values."""
    ctx = ctx or Context()
    values = load_values(node, ids, ctx)
    return {contact_id for contact_id in ids if _test(node, contact_id, values, ctx)}


# --- Explanations ---------------------------------------------------------------------------


@dataclass
class Explanation:
    """One node of a "why": its text, the contact's value, whether it matched, its children."""

    matched: bool
    label: str = ""
    operator: str = ""
    operand: str = ""
    value: str = ""
    mode: str = ""  # "all" / "any" / "not" for groups
    children: list[Explanation] = field(default_factory=list)


def explain(node: Node, contact_id: int, ctx: Context | None = None) -> Explanation:
    """Why the contact is (or is not) selected: every condition with its value and result."""
    ctx = ctx or Context()
    values = load_values(node, [contact_id], ctx)
    return _explain(node, contact_id, values, ctx)


def _explain(
    node: Node, contact_id: int, values: dict[int, dict[int, Any]], ctx: Context
) -> Explanation:
    if isinstance(node, Group):
        children = [_explain(child, contact_id, values, ctx) for child in node.children]
        flags = [child.matched for child in children]
        return Explanation(
            all(flags) if node.mode == "all" else any(flags), mode=node.mode, children=children
        )
    if isinstance(node, Not):
        child = _explain(node.child, contact_id, values, ctx)
        return Explanation(not child.matched, mode="not", children=[child])
    spec = condition_spec(node.field)
    if spec is None:
        return Explanation(node.negated, label=node.field)
    value = values[id(node)].get(contact_id)
    return Explanation(
        matches(spec, node, value, ctx),
        label=str(spec.label),
        operator=str(OPERATORS[node.op].label),
        operand=describe_operand(spec, node),
        value=(spec.show or show_value)(_choice_label(spec, value)),
    )


def _choice_label(spec: Any, value: Any) -> Any:
    """Return a choice code as its label ("customer" reads "Customer"); other values unchanged."""
    if spec.show is not None or spec.choices is None or value is None:
        return value
    labels = spec.choice_values()
    if isinstance(value, frozenset | set | tuple | list):
        return frozenset(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), value)


def show_value(value: Any) -> str:
    """Return a loaded value as an explanation shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return str(value)


def describe_operand(spec: Any, node: Condition) -> str:
    """Return the operand and parameters of a condition, as words."""
    operand = OPERATORS[node.op].operand
    labels = spec.choice_values()
    parts: list[str] = []
    if operand == Operand.CHOICES:
        parts.append(", ".join(labels.get(str(v), str(v)) for v in node.value))
    elif operand in (Operand.NUMBER_RANGE, Operand.DATE_RANGE):
        parts.append(f"{node.value[0]} – {node.value[1]}")
    elif node.value is not None:
        parts.append(str(node.value))
    for param in spec.params:
        if param.name in node.params:
            raw = node.params[param.name]
            shown = dict(param.choices()).get(raw, raw) if param.choices else raw
            parts.append(f"{param.label}: {shown}")
    return " · ".join(str(p) for p in parts)
