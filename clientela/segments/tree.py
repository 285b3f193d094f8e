"""The condition tree: typed nodes, parsed and validated from JSON, written back to JSON.

A definition reads::

    {"all": [{"field": "tag", "op": "has", "value": "vip"},
             {"any": [{"field": "consent", "op": "yes", "channel": "email",
                       "purpose": "marketing"},
                      {"not": {"field": "city", "op": "is", "value": "Cali"}}]}]}

Groups are ``all`` (AND) and ``any`` (OR), nestable, and ``not`` negates one node. A
condition names a registered field, one of its operators, the operand the operator needs and
the field's own parameters as sibling keys. Parsing checks every part against the registry and
reports each problem at its path ("all.1.any.0.value") in the user's language: the tree that
reaches the compiler is typed data, never text for SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from django.utils.translation import gettext as _

from clientela.segments.registry import (
    MAX_CHOICES,
    OPERATORS,
    Condition,
    ConditionSpec,
    Operand,
    OperandError,
    condition_spec,
    parse_date,
    parse_days,
    parse_number,
    parse_text,
)

MAX_DEPTH = 6
MAX_CONDITIONS = 60


@dataclass(frozen=True)
class Group:
    """Children joined by AND (``all``) or OR (``any``)."""

    mode: str  # "all" | "any"
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The negation of one node."""

    child: Node


Node = Union[Group, Not, Condition]  # noqa: UP007 - a runtime alias used in isinstance-free code


class DefinitionError(ValueError):
    """A definition that does not parse: every problem, keyed by its path in the tree."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


EMPTY = Group("all", ())


def parse(data: Any) -> Node:
    """Parse and validate a JSON definition; raise DefinitionError listing every problem."""
    errors: dict[str, list[str]] = {}
    counter = [0]
    if data in (None, {}, ""):
        return EMPTY
    node = _parse(data, "", 0, errors, counter)
    if counter[0] > MAX_CONDITIONS:
        errors.setdefault("", []).append(
            _("Use at most %(max)s conditions.") % {"max": MAX_CONDITIONS}
        )
    if errors or node is None:
        raise DefinitionError(errors or {"": [_("Add at least one condition.")]})
    return node


def _at(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _parse(
    data: Any, path: str, depth: int, errors: dict[str, list[str]], counter: list[int]
) -> Node | None:
    def fail(where: str, message: str) -> None:
        errors.setdefault(where, []).append(message)

    if not isinstance(data, Mapping):
        fail(path, _("Each node is a group (all / any / not) or a condition."))
        return None
    if depth > MAX_DEPTH:
        fail(path, _("Nest groups at most %(max)s levels deep.") % {"max": MAX_DEPTH})
        return None
    group_keys = [k for k in ("all", "any", "not") if k in data]
    if group_keys:
        if len(data) != 1:
            fail(path, _("A group has exactly one key: all, any or not."))
            return None
        key = group_keys[0]
        if key == "not":
            child = _parse(data["not"], _at(path, "not"), depth + 1, errors, counter)
            return Not(child) if child is not None else None
        items = data[key]
        if not isinstance(items, list):
            fail(_at(path, key), _("A group holds a list of nodes."))
            return None
        children = [
            _parse(item, _at(_at(path, key), index), depth + 1, errors, counter)
            for index, item in enumerate(items)
        ]
        if any(child is None for child in children):
            return None
        return Group(key, tuple(c for c in children if c is not None))
    counter[0] += 1
    return _parse_condition(data, path, errors)


def _parse_condition(
    data: Mapping[str, Any], path: str, errors: dict[str, list[str]]
) -> Condition | None:
    def fail(key: str, message: str) -> None:
        errors.setdefault(_at(path, key), []).append(message)

    name = data.get("field")
    spec = condition_spec(name) if isinstance(name, str) else None
    if spec is None:
        fail("field", _("Choose a field from the list."))
        return None
    op = data.get("op")
    if not isinstance(op, str) or op not in spec.allowed_operators:
        fail("op", _("Choose an operator this field offers."))
        return None
    ok = True
    params: dict[str, Any] = {}
    declared = {param.name for param in spec.params}
    for key in data:
        if key not in ("field", "op", "value") and key not in declared:
            fail(str(key), _("This field takes no setting named “%(name)s”.") % {"name": key})
            ok = False
    for param in spec.params:
        raw = data.get(param.name)
        if raw is None or raw == "":
            if param.required:
                fail(param.name, _("Choose a value."))
                ok = False
            continue
        try:
            if param.days:
                params[param.name] = parse_days(raw)
            elif param.choices is not None:
                allowed = {str(code) for code, _label in param.choices()}
                if str(raw) not in allowed:
                    raise OperandError(_("Choose one of the values offered."))
                params[param.name] = str(raw)
            else:
                params[param.name] = parse_text(raw)
        except OperandError as error:
            fail(param.name, str(error))
            ok = False
    try:
        value = parse_operand(spec, op, data.get("value"))
    except OperandError as error:
        fail("value", str(error))
        return None
    return Condition(spec.field, op, value, params) if ok else None


def parse_operand(spec: ConditionSpec, op: str, raw: Any) -> Any:
    """Return the typed operand of `op` on `spec`, or OperandError with the user's message."""
    operand = OPERATORS[op].operand
    if operand == Operand.NONE:
        return None
    if raw is None or raw == "" or raw == []:
        raise OperandError(_("Enter a value."))
    if operand == Operand.TEXT:
        return parse_text(raw)
    if operand == Operand.NUMBER:
        return parse_number(raw)
    if operand == Operand.DAYS:
        return parse_days(raw)
    if operand == Operand.DATE:
        return parse_date(raw)
    if operand in (Operand.NUMBER_RANGE, Operand.DATE_RANGE):
        if not isinstance(raw, list | tuple) or len(raw) != 2:
            raise OperandError(_("Enter a lower and an upper bound."))
        parse_one = parse_number if operand == Operand.NUMBER_RANGE else parse_date
        low, high = parse_one(raw[0]), parse_one(raw[1])
        if low > high:  # type: ignore[operator]
            raise OperandError(_("The lower bound must not exceed the upper bound."))
        return (low, high)
    if operand == Operand.MONTH:
        month = parse_days(raw)
        if not 1 <= month <= 12:
            raise OperandError(_("Choose a month from 1 to 12."))
        return month
    if operand == Operand.CHOICES:
        values = raw if isinstance(raw, list) else [raw]
        allowed = spec.choice_values()
        if not 1 <= len(values) <= MAX_CHOICES:
            raise OperandError(_("Choose between 1 and %(max)s values.") % {"max": MAX_CHOICES})
        cleaned = []
        for item in values:
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int)
                or str(item) not in allowed
            ):
                raise OperandError(_("Choose values from the list."))
            cleaned.append(str(item))
        return tuple(sorted(set(cleaned)))
    if operand == Operand.SEGMENT:
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            raise OperandError(_("Choose a segment."))
        number = int(str(raw))
        if not 0 < number < 2**63:
            raise OperandError(_("Choose a segment."))
        return number
    raise OperandError(_("Enter a value."))  # pragma: no cover - every operand is handled above


def to_json(node: Node) -> dict[str, Any]:
    """Return the JSON form of a tree (what parse reads back unchanged)."""
    if isinstance(node, Group):
        return {node.mode: [to_json(child) for child in node.children]}
    if isinstance(node, Not):
        return {"not": to_json(node.child)}
    data: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.value is not None:
        data["value"] = _jsonable(node.value)
    data.update(node.params)
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | str):
        return value
    # Decimals keep their exact digits as a JSON number when integral, else as text.
    return int(value) if value == value.to_integral_value() else str(value)


def conditions(node: Node) -> Iterator[Condition]:
    """Every condition in the tree, depth first."""
    if isinstance(node, Group):
        for child in node.children:
            yield from conditions(child)
    elif isinstance(node, Not):
        yield from conditions(node.child)
    else:
        yield node
