"""The segment screens run a fixed number of queries however many segments and members there
are (no N+1): the list counts every segment's visible members in one grouped query."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.tests.factories import ContactFactory, TagFactory
from clientela.core.testing import client_for
from clientela.segments.choices import SegmentKind
from clientela.segments.services import add_to_list
from clientela.segments.tests.factories import EnteredSegmentFactory

pytestmark = pytest.mark.django_db


def _world(personas: Any, members: int = 60, segments: int = 12) -> Any:
    """`members` VIP contacts (half rep's, half rep2's), `segments` segments and a list."""
    tag = TagFactory.create(name="VIP")
    contacts = []
    for i in range(members):
        contact = ContactFactory.create(owner=(personas.rep, personas.rep2)[i % 2])
        contact.tags.add(tag)
        contacts.append(contact)
    vip = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    found = [
        EnteredSegmentFactory.create(actor=personas.admin, definition=vip) for _ in range(segments)
    ]
    listed = EnteredSegmentFactory.create(actor=personas.admin, kind=SegmentKind.STATIC)
    add_to_list(listed, [c.pk for c in contacts], actor=personas.admin)
    return found[0], listed


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_the_segment_list_pins_its_queries(
    client: Client, personas: Any, persona: str, django_assert_num_queries: Any
) -> None:
    _world(personas)
    c = client_for(client, getattr(personas, persona))
    # Session, user, role; the segments; for a rep, one grouped count of his visible members.
    with django_assert_num_queries(4 if persona == "manager" else 5):
        assert c.get(reverse("segments:list")).status_code == 200


@pytest.mark.parametrize("persona", ["manager", "rep"])
def test_the_segment_detail_pins_its_queries(
    client: Client, personas: Any, persona: str, django_assert_num_queries: Any
) -> None:
    segment, listed = _world(personas)
    c = client_for(client, getattr(personas, persona))
    # Session, user, role; the segment; the count; a page of members with their companies;
    # entries and exits per day (two).
    with django_assert_num_queries(8):
        assert c.get(reverse("segments:detail", args=[segment.pk])).status_code == 200
    with django_assert_num_queries(8):
        assert c.get(reverse("segments:detail", args=[listed.pk]), {"page": 2}).status_code == 200


def test_the_builder_preview_evaluates_the_conditions_once(client: Client, personas: Any) -> None:
    """The live count and the first members come from one query (a window count)."""
    import json

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _world(personas, members=14, segments=1)
    c = client_for(client, personas.marketer)
    vip = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    with CaptureQueriesContext(connection) as captured:
        answer = c.post(reverse("segments:preview"), {"definition": json.dumps(vip)}).json()
    assert answer["count"] == 14 and len(answer["members"]) == 10
    over_contacts = [q["sql"] for q in captured.captured_queries if "contacts_contact" in q["sql"]]
    assert len(over_contacts) == 1 and "OVER" in over_contacts[0]
