"""Access matrix of every segments API operation, persona by persona.

Segments are shared definitions: everyone whose role sees contacts may read them, while counts,
members and explanations only ever reach the contacts the caller may see (an explanation of a
contact outside the caller's scope answers 404). Creating, changing, deleting and editing lists
needs the `segments.manage` capability (administrators, managers and marketing by default):
anyone else gets 403. Requests are sent against rep's contact ("Comercial Bogotá").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clientela.contacts import services as contact_services
from clientela.contacts.models import Contact
from clientela.segments import services
from clientela.segments.choices import SegmentKind
from clientela.segments.models import Segment
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

BASE = "/api/v1/segments"

#                                                                  admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {BASE}":                                             api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {BASE}":                                            api_row(201, 201, 403, 403, 403, 201, 403),
    f"GET {BASE}/conditions":                                  api_row(200, 200, 200, 200, 200, 200, 200),
    f"GET {BASE}/{{segment_id}}":                              api_row(200, 200, 200, 200, 200, 200, 200),
    f"PATCH {BASE}/{{segment_id}}":                            api_row(200, 200, 403, 403, 403, 200, 403),
    f"DELETE {BASE}/{{segment_id}}":                           api_row(204, 204, 403, 403, 403, 204, 403),
    f"GET {BASE}/{{segment_id}}/count":                        api_row(200, 200, 200, 200, 200, 200, 200),
    f"GET {BASE}/{{segment_id}}/members":                      api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {BASE}/{{segment_id}}/members":                     api_row(200, 200, 403, 403, 403, 200, 403),
    f"POST {BASE}/{{segment_id}}/members/remove":              api_row(200, 200, 403, 403, 403, 200, 403),
    f"GET {BASE}/{{segment_id}}/explain/{{contact_id}}":       api_row(200, 200, 200, 404, 200, 200, 404),
}  # fmt: skip


@dataclass
class World:
    """A dynamic segment, a static list holding rep's contact, and rep's other contact."""

    segment: Segment
    listed: Segment
    contact: Contact
    other: Contact


def build_world(personas: Any) -> World:
    """Rep's two contacts in Bogotá, a segment of Bogotá's contacts and a list with one of them."""
    rep, admin = personas.rep, personas.admin
    contact = contact_services.create_contact(
        actor=rep, data={"first_name": "Ana", "city": "Bogotá"}
    )
    other = contact_services.create_contact(
        actor=rep, data={"first_name": "Luis", "city": "Bogotá"}
    )
    segment = services.create_segment(
        actor=admin,
        data={"name": "Bogotá", "definition": {"field": "city", "op": "is", "value": "Bogotá"}},
    )
    listed = services.create_segment(actor=admin, data={"name": "Feria"}, kind=SegmentKind.STATIC)
    services.add_to_list(listed, [contact.pk], actor=admin)
    return World(segment, listed, contact, other)


def default_kwargs(world: World) -> dict[str, Any]:
    """The dynamic segment and rep's contact."""
    return {"segment_id": world.segment.pk, "contact_id": world.contact.pk}


def _on_list(world: World) -> dict[str, Any]:
    return {"segment_id": world.listed.pk}


REQUESTS: dict[str, Request] = {
    f"POST {BASE}": Request(
        "POST",
        data=lambda w: {
            "name": "Con etiqueta",
            "definition": {"field": "tag", "op": "has", "value": "vip"},
        },
    ),
    f"PATCH {BASE}/{{segment_id}}": Request("PATCH", data=lambda w: {"name": "Bogotá D.C."}),
    f"POST {BASE}/{{segment_id}}/members": Request(
        "POST", kwargs=_on_list, data=lambda w: {"contact_ids": [w.other.pk]}
    ),
    f"POST {BASE}/{{segment_id}}/members/remove": Request(
        "POST", kwargs=_on_list, data=lambda w: {"contact_ids": [w.contact.pk]}
    ),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
