"""The condition registry: what a segment can ask about contacts, and how each question is answered.

Every condition is registered by the app that owns its data (contacts here, purchases by the
orders module of this app, RFM and CLV by analytics in its AppConfig.ready) as a
:class:`ConditionSpec`. A spec answers its question twice, by two independent paths:

* ``compile`` turns the condition into a ``Q`` over ``Contact`` — parameterised SQL, used for
  counts, members and the materialised membership;
* ``load`` reads each contact's value in plain Python (the *reference* path), which the generic
  :func:`matches` predicate tests. Explanations ("why is she in?") use it, and a property test
  holds the two paths to the same membership on random trees and data.

Operators come from one allow-list per value kind; each negative operator is the exact negation
of a positive one, so ``NOT`` means the same thing in SQL and in Python (NULLs included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(enum.StrEnum):
    """The kind of value a condition compares; it decides the operators on offer."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    TAG = "tag"
    BIRTHDAY = "birthday"
    FLAG = "flag"  # a yes/no fact such as "has granted consent" or "is in segment S"


class Operand(enum.StrEnum):
    """What an operator needs as its value."""

    NONE = "none"
    TEXT = "text"
    NUMBER = "number"
    NUMBER_RANGE = "number_range"
    DATE = "date"
    DATE_RANGE = "date_range"
    DAYS = "days"
    CHOICES = "choices"
    MONTH = "month"
    SEGMENT = "segment"


@dataclass(frozen=True)
class Operator:
    """One operator: its code, its label, its operand, and the positive operator it negates."""

    code: str
    label: Promise
    operand: Operand
    negates: str | None = None


def _ops(
    *rows: tuple[str, Promise, Operand] | tuple[str, Promise, Operand, str],
) -> dict[str, Operator]:
    return {row[0]: Operator(*row) for row in rows}


OPERATORS: dict[str, Operator] = _ops(
    ("is", _("is"), Operand.TEXT),
    ("is_not", _("is not"), Operand.TEXT, "is"),
    ("contains", _("contains"), Operand.TEXT),
    ("not_contains", _("does not contain"), Operand.TEXT, "contains"),
    ("starts_with", _("starts with"), Operand.TEXT),
    ("ends_with", _("ends with"), Operand.TEXT),
    ("is_empty", _("is empty"), Operand.NONE),
    ("is_not_empty", _("is not empty"), Operand.NONE, "is_empty"),
    ("eq", _("equals"), Operand.NUMBER),
    ("neq", _("does not equal"), Operand.NUMBER, "eq"),
    ("gt", _("greater than"), Operand.NUMBER),
    ("gte", _("at least"), Operand.NUMBER),
    ("lt", _("less than"), Operand.NUMBER),
    ("lte", _("at most"), Operand.NUMBER),
    ("between", _("between"), Operand.NUMBER_RANGE),
    ("on", _("on"), Operand.DATE),
    ("before", _("before"), Operand.DATE),
    ("after", _("after"), Operand.DATE),
    ("between_dates", _("between"), Operand.DATE_RANGE),
    ("in_last_days", _("in the last … days"), Operand.DAYS),
    ("more_than_days_ago", _("more than … days ago"), Operand.DAYS),
    ("in_next_days", _("in the next … days"), Operand.DAYS),
    ("in_month", _("in the month of"), Operand.MONTH),
    ("in", _("is any of"), Operand.CHOICES),
    ("not_in", _("is none of"), Operand.CHOICES, "in"),
    ("is_true", _("is yes"), Operand.NONE),
    ("is_false", _("is no"), Operand.NONE),
    ("has", _("has"), Operand.TEXT),
    ("has_not", _("does not have"), Operand.TEXT, "has"),
    ("yes", _("yes"), Operand.NONE),
    ("no", _("no"), Operand.NONE, "yes"),
    ("in_segment", _("is in"), Operand.SEGMENT),
    ("not_in_segment", _("is not in"), Operand.SEGMENT, "in_segment"),
)

KIND_OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: (
        "is",
        "is_not",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "is_empty",
        "is_not_empty",
    ),
    Kind.NUMBER: ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_empty", "is_not_empty"),
    Kind.DATE: (
        "on",
        "before",
        "after",
        "between_dates",
        "in_last_days",
        "more_than_days_ago",
        "in_next_days",
        "is_empty",
        "is_not_empty",
    ),
    Kind.CHOICE: ("in", "not_in", "is_empty", "is_not_empty"),
    Kind.BOOLEAN: ("is_true", "is_false", "is_empty", "is_not_empty"),
    Kind.TAG: ("has", "has_not"),
    Kind.BIRTHDAY: ("in_next_days", "in_month", "is_empty", "is_not_empty"),
    Kind.FLAG: ("yes", "no"),
}
KIND_OPERATORS[Kind.DATETIME] = KIND_OPERATORS[Kind.DATE]

# Bounds that keep every operand inside what both databases store and compare exactly.
MAX_DAYS = 3660
MAX_TEXT = 200
MAX_CHOICES = 100
MAX_NUMBER = Decimal("1e15")


@dataclass
class Context:
    """Everything a condition needs besides its own data.

    The clock, the company's time zone, and a per-evaluation cache (the latest snapshot,
    referenced segments).
    """

    now: dt.datetime = field(default_factory=timezone.now)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    cache: dict[str, Any] = field(default_factory=dict)
    # Segments being expanded, to refuse a segment that contains itself.
    expanding: tuple[int, ...] = ()

    @property
    def today(self) -> dt.date:
        """Today's date in the company's time zone."""
        return self.now.astimezone(self.zone).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        """Return the first instant of `day` in the company's time zone."""
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """Return the calendar day of an instant in the company's time zone."""
        return moment.astimezone(self.zone).date()

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Compute a value once per evaluation."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


@dataclass(frozen=True)
class Param:
    """An extra, typed setting of a condition (the consent's channel, a purchase window)."""

    name: str
    label: Promise
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None
    days: bool = False  # an optional number of days ("within the last N days")
    required: bool = True


@dataclass(frozen=True)
class Condition:
    """One condition as the tree stores it: field, operator, operand and the field's params."""

    field: str
    op: str
    value: Any = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def operator(self) -> Operator:
        """The operator's definition."""
        return OPERATORS[self.op]

    @property
    def positive(self) -> str:
        """The positive operator this one is or negates."""
        return self.operator.negates or self.op

    @property
    def negated(self) -> bool:
        """Whether the operator is the negation of its positive form."""
        return self.operator.negates is not None


Compiler = Callable[[Condition, Context], Q]
Loader = Callable[[Sequence[int], Condition, Context], Mapping[int, Any]]
Predicate = Callable[[Condition, Any, Context], bool]


@dataclass(frozen=True)
class ConditionSpec:
    """A question segments can ask, registered by the app that owns the data."""

    field: str
    label: Promise | str
    group: Promise | str
    kind: Kind
    compile: Compiler
    load: Loader
    operators: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    choices: Callable[[], Sequence[tuple[str, Any]]] | None = None
    # A predicate for kinds whose meaning is the spec's own (a flag computed by the loader).
    predicate: Predicate | None = None
    # How a loaded value reads in an explanation; str() by default.
    show: Callable[[Any], str] | None = None
    # Conditions relative to today need the scheduler's periodic refresh.
    time_relative: bool = False

    @property
    def allowed_operators(self) -> tuple[str, ...]:
        """The operators this condition accepts."""
        return self.operators or KIND_OPERATORS[self.kind]

    def choice_values(self) -> dict[str, str]:
        """Return the allowed values and their labels, for choice conditions."""
        return {str(code): str(label) for code, label in (self.choices() if self.choices else ())}


_REGISTRY: dict[str, ConditionSpec] = {}
_PROVIDERS: list[Callable[[], Iterable[ConditionSpec]]] = []


def register_condition(spec: ConditionSpec) -> ConditionSpec:
    """Add a condition (call from an AppConfig.ready); the same field again replaces it."""
    unknown = set(spec.allowed_operators) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown operators for {spec.field}: {sorted(unknown)}")
    _REGISTRY[spec.field] = spec
    return spec


def register_condition_provider(provider: Callable[[], Iterable[ConditionSpec]]) -> None:
    """Add a source of conditions that depend on data (one per custom field, say)."""
    _PROVIDERS.append(provider)


def all_conditions() -> list[ConditionSpec]:
    """Every condition on offer now, registered and provided."""
    specs = list(_REGISTRY.values())
    for provider in _PROVIDERS:
        specs.extend(provider())
    return specs


def condition_spec(name: str) -> ConditionSpec | None:
    """Return the condition registered under `name`, or None."""
    spec = _REGISTRY.get(name)
    if spec is not None:
        return spec
    for provider in _PROVIDERS:
        for provided in provider():
            if provided.field == name:
                return provided
    return None


# --- The reference predicate: what every operator means, in plain Python --------------------


def fold(text: str) -> str:
    """Case-folding shared by SQL (``LOWER``, see clientela.segments.sql) and Python."""
    return text.lower()


def birthday_window(today: dt.date, days: int) -> set[tuple[int, int]]:
    """Return the (month, day) pairs of the next `days` days from today, both ends included.

    Someone born on 29 February celebrates on the 28th in a year without one.
    """
    pairs: set[tuple[int, int]] = set()
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        pairs.add((day.month, day.day))
        if day.month == 2 and day.day == 28 and not _is_leap(day.year):
            pairs.add((2, 29))
    return pairs


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def matches(spec: ConditionSpec, condition: Condition, value: Any, ctx: Context) -> bool:
    """Whether a contact's loaded value satisfies the condition (negations included)."""
    if spec.predicate is not None:
        result = spec.predicate(condition, value, ctx)
    else:
        result = _positive(spec.kind, condition.positive, condition.value, value, ctx)
    return not result if condition.negated else result


def _positive(kind: Kind, op: str, operand: Any, value: Any, ctx: Context) -> bool:
    if op == "is_empty":
        return value is None or value == "" or value == frozenset()
    if op in ("is_true", "is_false"):
        return value is (op == "is_true")
    if kind == Kind.FLAG:
        return bool(value)
    if kind == Kind.TAG:
        return fold(str(operand)) in (value or ())
    if value is None or value == "":
        return False
    if kind == Kind.TEXT:
        text, wanted = fold(str(value)), fold(str(operand))
        return {
            "is": text == wanted,
            "contains": wanted in text,
            "starts_with": text.startswith(wanted),
            "ends_with": text.endswith(wanted),
        }[op]
    if kind == Kind.CHOICE:
        return str(value) in {str(v) for v in operand}
    if kind == Kind.NUMBER:
        number = Decimal(str(value))
        if op == "between":
            return Decimal(str(operand[0])) <= number <= Decimal(str(operand[1]))
        limit = Decimal(str(operand))
        return {
            "eq": number == limit,
            "gt": number > limit,
            "gte": number >= limit,
            "lt": number < limit,
            "lte": number <= limit,
        }[op]
    if kind == Kind.BIRTHDAY:
        if op == "in_month":
            return bool(value.month == int(operand))
        return (value.month, value.day) in birthday_window(ctx.today, int(operand))
    if kind in (Kind.DATE, Kind.DATETIME):
        day = ctx.local_date(value) if isinstance(value, dt.datetime) else value
        return _date_test(op, operand, day, ctx.today)
    raise ValueError(f"no predicate for {kind}/{op}")


def _date_test(op: str, operand: Any, day: dt.date, today: dt.date) -> bool:
    if op == "on":
        return bool(day == operand)
    if op == "before":
        return bool(day < operand)
    if op == "after":
        return bool(day > operand)
    if op == "between_dates":
        return bool(operand[0] <= day <= operand[1])
    days = dt.timedelta(days=int(operand))
    if op == "in_last_days":
        return today - days <= day <= today
    if op == "more_than_days_ago":
        return day < today - days
    if op == "in_next_days":
        return today <= day <= today + days
    raise ValueError(op)


# --- Operand parsing (shared by the tree's validation) ---------------------------------------


class OperandError(ValueError):
    """An operand that does not fit its operator; the message is for the user."""


def parse_number(raw: Any) -> Decimal:
    """Return a finite, bounded number from JSON (int, float or numeric string)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise OperandError(_("Enter a number."))
    try:
        number = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise OperandError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise OperandError(_("Enter a number between -10^15 and 10^15."))
    return number


def parse_date(raw: Any) -> dt.date:
    """Return a calendar date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise OperandError(_("Enter a valid date (YYYY-MM-DD).")) from None


def parse_days(raw: Any) -> int:
    """Return a whole number of days, 0 to MAX_DAYS."""
    if isinstance(raw, bool):
        raise OperandError(_("Enter a whole number of days."))
    try:
        days = int(str(raw).strip())
    except ValueError:
        raise OperandError(_("Enter a whole number of days.")) from None
    if not 0 <= days <= MAX_DAYS:
        raise OperandError(_("Enter between 0 and %(max)s days.") % {"max": MAX_DAYS})
    return days


def parse_text(raw: Any) -> str:
    """Return a non-empty text operand without control characters."""
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise OperandError(_("Enter a text."))
    text = str(raw).strip()
    if not text:
        raise OperandError(_("Enter a text."))
    if len(text) > MAX_TEXT:
        raise OperandError(_("Use at most %(max)s characters.") % {"max": MAX_TEXT})
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise OperandError(_("Remove control characters."))
    return text


def finite(value: float | None) -> float | None:
    """Return a float that JSON and both databases can hold, else None."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value
