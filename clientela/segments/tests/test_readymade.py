"""Ready-made segments and the contacts list's segment filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from clientela.contacts.queries import ContactFilters, filter_contacts
from clientela.contacts.tests.factories import ContactFactory, TagFactory
from clientela.segments import services
from clientela.segments.models import Segment
from clientela.segments.readymade import all_ready_made, ensure_ready_made_segments
from clientela.segments.tree import parse

pytestmark = pytest.mark.django_db


def test_every_installation_starts_with_the_ready_made_segments() -> None:
    # The test database was migrated: post_migrate created them once.
    codes = set(Segment.objects.exclude(code="").values_list("code", flat=True))
    expected = {segment.code for segment in all_ready_made()}
    assert expected <= codes
    assert {"rfm_at_risk", "rfm_champions", "inactivity_churned", "birthdays_next_7_days"} <= codes
    assert len([c for c in expected if c.startswith("rfm_")]) == 11
    for segment in all_ready_made():
        parse(segment.definition)  # every ready-made definition is valid


def test_ready_made_segments_read_in_the_viewers_language() -> None:
    at_risk = Segment.objects.get(code="rfm_at_risk")
    churned = Segment.objects.get(code="inactivity_churned")
    with translation.override("es"):
        assert str(at_risk) == "En riesgo"
        assert churned.display_name == "Fuga"
    with translation.override("en"):
        assert str(at_risk) == "At risk"
    at_risk.name = "Clientes en riesgo (VIP)"
    assert str(at_risk) == "Clientes en riesgo (VIP)"


def test_a_deleted_ready_made_segment_stays_deleted(personas: Any) -> None:
    birthdays = Segment.objects.get(code="birthdays_next_7_days")
    services.delete_segment(birthdays, actor=personas.marketer)
    assert ensure_ready_made_segments() == 0
    assert (
        Segment.objects.filter(code="birthdays_next_7_days", deleted_at__isnull=True).count() == 0
    )


def test_the_contacts_list_filters_by_segment_for_what_the_viewer_sees(personas: Any) -> None:
    vip = TagFactory.create(name="VIP")
    mine = ContactFactory.create(owner=personas.rep)
    theirs = ContactFactory.create(owner=personas.rep2)
    ContactFactory.create(owner=personas.rep)  # not tagged
    for contact in (mine, theirs):
        contact.tags.add(vip)
    segment = services.create_segment(
        actor=personas.marketer,
        data={
            "name": "VIP",
            "definition": {"all": [{"field": "tag", "op": "has", "value": "vip"}]},
        },
    )
    params = {"segment": str(segment.pk)}
    assert set(filter_contacts(personas.admin, ContactFilters.from_params(params))) == {
        mine,
        theirs,
    }
    assert set(filter_contacts(personas.rep, ContactFilters.from_params(params))) == {mine}
    # An id no segment has, or past 64 bits, matches nobody instead of failing.
    for value in ("999999", "9223372036854775808"):
        filters = ContactFilters.from_params({"segment": value})
        assert filters.active()
        assert not filter_contacts(personas.admin, filters).exists()
    # Not a number: ignored, as every other list filter does.
    assert not ContactFilters.from_params({"segment": "vip"}).active()
