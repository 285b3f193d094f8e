"""Request and response schemas of the segments API, the definition's recursive schema included.

The definition models below describe the condition tree in the OpenAPI document so a script can
see its shape; they do not validate a request. A definition is checked once, by
`clientela.segments.tree.parse` (through the services), which reports every problem at its path
(`definition.all.0.value`) in the caller's language, exactly as the builder on screen does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, PlainValidator

from clientela.contacts.representation import ContactOut
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId
from clientela.segments.choices import SegmentKind
from clientela.segments.registry import MAX_DAYS

# --- the definition --------------------------------------------------------------------------

Scalar = Union[str, DbInt, float]  # noqa: UP007 - pydantic reads the alias at runtime


class SegmentCondition(BaseModel):
    """One condition: a field, one of its operators, its operand and the field's parameters.

    The field comes from `GET /api/v1/segments/conditions`; the operand is what the operator
    needs (none, a text, a number, `[low, high]`, a date `YYYY-MM-DD`, a number of days, a list
    of choice values or a segment id); parameters are sibling keys (e.g. `"channel": "email",
    "purpose": "marketing"` for consent).
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "integer", "minimum": 0, "maximum": MAX_DAYS},
                ]
            },
            "example": {"field": "tag", "op": "has", "value": "vip"},
        },
    )

    field: str = Field(description="A condition's `field` from the catalogue")
    op: str = Field(description="One of the field's operator codes")
    value: Scalar | list[Scalar] | None = Field(
        None, description="The operand; leave it out for operators that take none"
    )


class SegmentAll(BaseModel):
    """Every child matches (AND)."""

    model_config = ConfigDict(extra="forbid")

    all: list[SegmentNode]


class SegmentAny(BaseModel):
    """At least one child matches (OR)."""

    model_config = ConfigDict(extra="forbid")

    any: list[SegmentNode]


class SegmentNot(BaseModel):
    """The child does not match."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    not_: SegmentNode = Field(alias="not")


SegmentNode = Union[SegmentAll, SegmentAny, SegmentNot, SegmentCondition]  # noqa: UP007
for _model in (SegmentAll, SegmentAny, SegmentNot):
    _model.model_rebuild()


def _as_sent(value: Any) -> Any:
    """Keep the definition exactly as sent: tree.parse validates it with the user's messages."""
    return value


# A request's definition: documented as the tree, passed on untouched to the services.
DefinitionIn = Annotated[
    Any, PlainValidator(_as_sent, json_schema_input_type=Union[SegmentNode, None])  # noqa: UP007
]


# --- segments --------------------------------------------------------------------------------


class SegmentOut(Schema):
    """A segment or static list, with its members counted as the caller may see them."""

    id: int
    name: str = Field(description="A ready-made segment nobody renamed reads in your language")
    description: str
    code: str = Field(
        description="A ready-made segment's stable code (e.g. `birthdays_next_7_days`); else empty"
    )
    kind: str = Field(description="`dynamic` (follows its conditions) or `static` (edited by hand)")
    member_count: int = Field(
        description="Members you may see, as of `refreshed_at` (live: `/count`)"
    )
    scoped: bool = Field(description="You see only part of the contacts: the count is yours")
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    url: str = Field(description="This segment in the API")


class SegmentDetail(SegmentOut):
    """A segment with its conditions (null for a static list)."""

    definition: SegmentNode | None


class SegmentPage(ListPage):
    """A page of segments: `next` is the URL of the following page, or null."""

    items: list[SegmentOut]


class SegmentQuery(PageQuery):
    """Filters, ordering and pagination of the segments list."""

    q: str = Field("", description="Search in the name")
    kind: SegmentKind | None = None
    ordering: Literal["name", "-name", "created", "-created", "updated", "-updated"] = "name"


class SegmentIn(Schema):
    """A new segment: a dynamic one with its `definition`, or a static list (no definition)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="At most 120 characters")
    description: str = Field("", description="At most 300 characters")
    kind: SegmentKind = SegmentKind.DYNAMIC
    definition: DefinitionIn = Field(
        None,
        description="The condition tree of a dynamic segment; empty or left out: every contact",
    )


class SegmentPatch(Schema):
    """Segment changes: only the fields sent change; `version` refuses a stale change (409)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    definition: DefinitionIn = Field(None, description="The new condition tree (dynamic only)")
    version: DbInt | None = Field(None, description="Refuse the change if the segment moved on")


# --- counts, members, explanations -----------------------------------------------------------


class CountOut(Schema):
    """How many contacts are in the segment now."""

    count: int
    scoped: bool = Field(description="Only the members you may see are counted")


ContactOrdering = Literal["created", "-created", "name", "-name", "updated", "-updated"]


class MemberQuery(PageQuery):
    """Ordering and pagination of a segment's members."""

    ordering: ContactOrdering = "-created"


class MemberPage(Schema):
    """A page of the members you may see (contacts as `GET /api/v1/contacts/{id}` shows them)."""

    items: list[ContactOut]
    count: int = Field(description="Members you may see, counted exactly up to 10,000")
    count_capped: bool = Field(description="More than 10,000 match: `count` stopped at 10,000")
    next: str | None


MAX_LIST_EDIT = 1000


class MembersIn(Schema):
    """Contacts to add to or take out of a static list."""

    model_config = ConfigDict(extra="forbid")

    contact_ids: list[RecordId] = Field(
        min_length=1, max_length=MAX_LIST_EDIT, description="Ids of contacts you may see"
    )


class MembersOut(Schema):
    """What a list edit changed, and the list's size afterwards."""

    changed: int = Field(description="Contacts added (or taken out); members stay once")
    member_count: int


class ExplanationOut(Schema):
    """One node of a "why": a group (`mode`: all / any / not) or a condition.

    A condition carries the contact's `value`; `matched` says whether the node holds for the
    contact.
    """

    matched: bool
    label: str
    operator: str
    operand: str
    value: str
    mode: str
    children: list[ExplanationOut]


ExplanationOut.model_rebuild()


class WhyOut(Schema):
    """Whether a contact is a member, since when, and why (null explanation for a static list)."""

    contact_id: int
    member: bool
    entered_at: datetime | None = Field(description="When the current stay began, if a member")
    explanation: ExplanationOut | None


# --- the condition catalogue -----------------------------------------------------------------


class ChoiceOut(Schema):
    """An allowed value and its label."""

    value: str
    label: str


class OperatorOut(Schema):
    """An operator a field offers and the operand it needs."""

    code: str
    label: str
    operand: str = Field(
        description="none, text, number, number_range, date, date_range, days, choices, "
        "month or segment"
    )


class ParamOut(Schema):
    """A setting of a condition, sent as a sibling key of `field` and `op`."""

    name: str
    label: str
    required: bool
    days: bool = Field(description="A number of days (0–3660)")
    choices: list[ChoiceOut] | None


class ConditionOut(Schema):
    """A condition a definition may use."""

    field: str
    label: str
    group: str
    kind: str
    operators: list[OperatorOut]
    params: list[ParamOut]
    choices: list[ChoiceOut] | None = Field(description="The values of a choice field")
