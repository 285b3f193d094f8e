"""Any drill-down can become a static list: the customer-value drill-down's "Save as a list"."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clientela.analytics.models import CustomerValue
from clientela.analytics.tests.factories import build_world
from clientela.core.testing import client_for
from clientela.segments.models import Membership, Segment

pytestmark = pytest.mark.django_db


def test_the_value_drill_down_saves_its_contacts_as_a_list(client: Any, personas: Any) -> None:
    world = build_world(personas, with_clv=False)
    first = world.snapshot.rows.filter(contact__isnull=False).first()
    assert first is not None
    segment_code = first.segment
    expected = set(
        CustomerValue.objects.filter(
            snapshot=world.snapshot, segment=segment_code, contact__isnull=False
        ).values_list("contact_id", flat=True)
    )
    url = reverse("analytics:customers_save_list") + f"?segment={segment_code}"
    response = client_for(client, personas.marketer).post(url, {"name": "Para llamar"})
    saved = Segment.objects.get(name="Para llamar")
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", kwargs={"pk": saved.pk})
    assert saved.is_static and saved.member_count == len(expected) > 0
    members = Membership.objects.filter(segment=saved, left_at__isnull=True)
    assert set(members.values_list("contact_id", flat=True)) == expected


def test_a_rep_who_reads_value_cannot_save_lists(client: Any, personas: Any) -> None:
    build_world(personas, with_clv=False)
    url = reverse("analytics:customers_save_list")
    assert client_for(client, personas.rep).post(url, {"name": "x"}).status_code == 403
    assert not Segment.objects.filter(name="x").exists()
