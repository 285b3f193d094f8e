"""Segment endpoints: thin adapters over segments.queries and segments.services.

Every count, member list and explanation goes through contacts_visible_to (via the queries), so
a rep's token sees the members he may see and the answer says it is scoped.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.accounts.api_auth import actor
from clientela.accounts.models import User
from clientela.contacts.queries import CONTACT_ORDERINGS
from clientela.contacts.representation import contact_row_out, contact_rows
from clientela.core.events import Via
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.segments import services
from clientela.segments.api.schemas import (
    ConditionOut,
    CountOut,
    MemberPage,
    MemberQuery,
    MembersIn,
    MembersOut,
    SegmentDetail,
    SegmentIn,
    SegmentPage,
    SegmentPatch,
    SegmentQuery,
    WhyOut,
)
from clientela.segments.choices import SegmentKind
from clientela.segments.engine import Explanation
from clientela.segments.models import Segment
from clientela.segments.queries import (
    explain_for_user,
    get_segment_for_user,
    invisible_contact_ids,
    is_scoped,
    members_for_user,
    name_q,
    segments_visible_to,
    tree_of,
    visible_member_counts,
)
from clientela.segments.registry import OPERATORS, all_conditions
from clientela.segments.tree import to_json

segments_router = Router(tags=["segments"])

SEGMENT_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}


# --- representation --------------------------------------------------------------------------


def segment_out(
    request: HttpRequest, segment: Segment, member_count: int, scoped: bool
) -> dict[str, Any]:
    """Return the API representation of a segment (without its definition)."""
    return {
        "id": segment.pk,
        "name": segment.display_name,
        "description": segment.display_description,
        "code": segment.code,
        "kind": segment.kind,
        "member_count": member_count,
        "scoped": scoped,
        "refreshed_at": segment.refreshed_at,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
        "version": segment.version,
        "url": request.build_absolute_uri(
            reverse("api:segment", kwargs={"segment_id": segment.pk})
        ),
    }


def segment_detail(request: HttpRequest, user: User, segment: Segment) -> dict[str, Any]:
    """Return a segment with its conditions as the tree's JSON (null for a static list)."""
    count = visible_member_counts(user, [segment])[segment.pk]
    return {
        **segment_out(request, segment, count, is_scoped(user)),
        "definition": None if segment.is_static else to_json(tree_of(segment)),
    }


def explanation_out(node: Explanation) -> dict[str, Any]:
    """Return an explanation tree as plain dictionaries."""
    return {
        "matched": node.matched,
        "label": node.label,
        "operator": node.operator,
        "operand": node.operand,
        "value": node.value,
        "mode": node.mode,
        "children": [explanation_out(child) for child in node.children],
    }


# --- segments --------------------------------------------------------------------------------


@segments_router.get("", response=SegmentPage, summary="List segments")
def list_segments(request: HttpRequest, query: Query[SegmentQuery]) -> dict[str, Any]:
    """Segments and static lists, with the members you may see counted."""
    user = actor(request)
    qs = segments_visible_to(user)
    if query.q.strip():
        qs = qs.filter(name_q(query.q))
    if query.kind:
        qs = qs.filter(kind=query.kind)
    page = page_of(
        request,
        qs.order_by(*SEGMENT_ORDERINGS[query.ordering]),
        fields=SEGMENT_ORDERINGS[query.ordering],
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
    )
    counts = visible_member_counts(user, page.rows)
    scoped = is_scoped(user)
    return page.body([segment_out(request, s, counts[s.pk], scoped) for s in page.rows])


@segments_router.post(
    "",
    response={201: SegmentDetail},
    summary="Create a segment or list",
    by_alias=True,
    exclude_unset=True,
)
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    """Create a dynamic segment from its `definition`, or an empty static list.

    Send `"kind": "static"` for a list; a segment's members are computed at once.
    """
    user = actor(request)
    data = payload.dict(exclude_unset=True)
    kind = data.pop("kind", SegmentKind.DYNAMIC)
    if kind == SegmentKind.STATIC and data.get("definition") not in (None, {}):
        raise ValidationFailed({"definition": [_("A static list has no conditions.")]})
    segment = services.create_segment(actor=user, data=data, kind=kind, via=Via.API)
    return Status(201, segment_detail(request, user, segment))


@segments_router.get(
    "conditions", response=list[ConditionOut], summary="Conditions a definition may use"
)
def list_conditions(request: HttpRequest) -> list[dict[str, Any]]:
    """List every field a condition may name, labelled in your language.

    Each comes with its operators and their operands, its parameters and its choices.
    """
    actor(request)
    return [
        {
            "field": spec.field,
            "label": str(spec.label),
            "group": str(spec.group),
            "kind": str(spec.kind),
            "operators": [
                {
                    "code": code,
                    "label": str(OPERATORS[code].label),
                    "operand": str(OPERATORS[code].operand),
                }
                for code in spec.allowed_operators
            ],
            "params": [
                {
                    "name": param.name,
                    "label": str(param.label),
                    "required": param.required,
                    "days": param.days,
                    "choices": None
                    if param.choices is None
                    else [{"value": str(v), "label": str(label)} for v, label in param.choices()],
                }
                for param in spec.params
            ],
            "choices": [{"value": v, "label": label} for v, label in spec.choice_values().items()]
            if spec.choices
            else None,
        }
        for spec in all_conditions()  # in the builder's order: as the apps registered them
    ]


@segments_router.get(
    "{segment_id}",
    response=SegmentDetail,
    summary="Get a segment",
    url_name="segment",
    by_alias=True,
    exclude_unset=True,
)
def get_segment(request: HttpRequest, segment_id: RecordId) -> dict[str, Any]:
    """One segment or list, with its conditions."""
    user = actor(request)
    return segment_detail(request, user, get_segment_for_user(user, segment_id))


@segments_router.patch(
    "{segment_id}",
    response=SegmentDetail,
    summary="Change a segment",
    by_alias=True,
    exclude_unset=True,
    openapi_extra=api_errors(409),
)
def update_segment(
    request: HttpRequest, segment_id: RecordId, payload: SegmentPatch
) -> dict[str, Any]:
    """Change only the fields sent (a new `definition` recomputes the members).

    Send `version` to refuse the change (409) if someone else changed the segment since you
    read it.
    """
    user = actor(request)
    segment = get_segment_for_user(user, segment_id, write=True)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version", None)
    if segment.is_static and sent.get("definition") not in (None, {}):
        raise ValidationFailed({"definition": [_("A static list has no conditions.")]})
    # A ready-made segment nobody renamed keeps its name in the caller's language once changed.
    data = {
        "name": segment.display_name,
        "description": segment.display_description,
        "definition": segment.definition,
        **{key: value for key, value in sent.items() if value is not None},
    }
    updated = services.update_segment(segment, actor=user, data=data, version=version, via=Via.API)
    return segment_detail(request, user, updated)


@segments_router.delete(
    "{segment_id}",
    response={204: None},
    summary="Delete a segment",
    openapi_extra=api_errors(409),
)
def delete_segment(request: HttpRequest, segment_id: RecordId) -> Status[None]:
    """Delete a segment or list (its membership history stays).

    Answers 409 while other segments' conditions name it.
    """
    user = actor(request)
    services.delete_segment(
        get_segment_for_user(user, segment_id, write=True), actor=user, via=Via.API
    )
    return Status(204, None)


# --- members ---------------------------------------------------------------------------------


@segments_router.get("{segment_id}/count", response=CountOut, summary="Count a segment's members")
def count_members(request: HttpRequest, segment_id: RecordId) -> dict[str, Any]:
    """Count the contacts you may see in the segment right now.

    A dynamic segment's conditions are evaluated now, not read from the stored count.
    """
    user = actor(request)
    segment = get_segment_for_user(user, segment_id)
    return {"count": members_for_user(user, segment).count(), "scoped": is_scoped(user)}


@segments_router.get("{segment_id}/members", response=MemberPage, summary="A segment's members")
def list_members(
    request: HttpRequest, segment_id: RecordId, query: Query[MemberQuery]
) -> dict[str, Any]:
    """List the contacts you may see in the segment right now, paged like the contacts list."""
    user = actor(request)
    segment = get_segment_for_user(user, segment_id)
    fields = CONTACT_ORDERINGS[query.ordering]
    page = page_of(
        request,
        members_for_user(user, segment).order_by(*fields),
        fields=fields,
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=contact_rows,
    )
    return page.body([contact_row_out(row._asdict()) for row in page.rows])


def _list_edit(request: HttpRequest, segment_id: int, payload: MembersIn) -> tuple[User, Segment]:
    """Return the caller and the static list they may edit; every id must be a contact they see."""
    user = actor(request)
    segment = get_segment_for_user(user, segment_id, write=True)
    unknown = invisible_contact_ids(user, payload.contact_ids)
    if unknown:
        shown = ", ".join(str(pk) for pk in unknown[:20])
        raise ValidationFailed(
            {"contact_ids": [_("No contact you may see has these ids: %(ids)s.") % {"ids": shown}]}
        )
    return user, segment


@segments_router.post(
    "{segment_id}/members", response=MembersOut, summary="Add contacts to a static list"
)
def add_members(request: HttpRequest, segment_id: RecordId, payload: MembersIn) -> dict[str, Any]:
    """Add contacts to a static list; contacts already in it stay once.

    `changed` says how many were added. A dynamic segment answers 400: its conditions decide
    its members.
    """
    user, segment = _list_edit(request, segment_id, payload)
    added = services.add_to_list(segment, payload.contact_ids, actor=user, via=Via.API)
    segment.refresh_from_db(fields=["member_count"])
    return {"changed": added, "member_count": segment.member_count}


@segments_router.post(
    "{segment_id}/members/remove",
    response=MembersOut,
    summary="Take contacts out of a static list",
)
def remove_members(
    request: HttpRequest, segment_id: RecordId, payload: MembersIn
) -> dict[str, Any]:
    """Take contacts out of a static list (their stay ends; the history keeps it).

    `changed` says how many left. A POST rather than a DELETE with a body, which many clients
    and proxies drop.
    """
    user, segment = _list_edit(request, segment_id, payload)
    removed = services.remove_from_list(segment, payload.contact_ids, actor=user, via=Via.API)
    segment.refresh_from_db(fields=["member_count"])
    return {"changed": removed, "member_count": segment.member_count}


@segments_router.get(
    "{segment_id}/explain/{contact_id}",
    response=WhyOut,
    summary="Why a contact is (or is not) a member",
)
def explain_member(
    request: HttpRequest, segment_id: RecordId, contact_id: RecordId
) -> dict[str, Any]:
    """Explain every condition with the contact's value and whether it matched.

    A contact you may not see answers 404.
    """
    user = actor(request)
    why = explain_for_user(user, get_segment_for_user(user, segment_id), contact_id)
    return {
        "contact_id": why.contact.pk,
        "member": why.member,
        "entered_at": why.entered_at,
        "explanation": None if why.explanation is None else explanation_out(why.explanation),
    }
