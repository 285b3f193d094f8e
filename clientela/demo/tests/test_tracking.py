"""Demo web visits: identified leads with their joined history, anonymous visitors, no future."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.contacts.models import Contact
from clientela.demo.seeding import seed_contacts
from clientela.demo.tracking import seed_tracking
from clientela.segments.engine import members
from clientela.segments.registry import Context
from clientela.segments.tree import parse
from clientela.timeline.models import Event as TimelineEvent
from clientela.tracking.choices import TrackingVerb
from clientela.tracking.models import Event, Visitor
from clientela.tracking.verbs import visits_text

pytestmark = pytest.mark.django_db


def test_it_gives_the_demo_a_website_with_identified_and_anonymous_visitors():
    now = timezone.now()
    seed_contacts(120, seed=4)
    made = seed_tracking(seed=4, now=now)
    assert made.identified > 10 and made.visitors > made.identified and made.events > made.visitors
    assert seed_tracking(seed=4, now=now).events == 0  # once
    assert not Event.objects.filter(occurred_at__gt=now).exists()
    assert Event.objects.filter(contact__isnull=True).exists()
    joined = TimelineEvent.objects.filter(verb=TrackingVerb.VISITOR_IDENTIFIED)
    assert joined.count() == made.identified
    for event in joined.select_related("contact"):
        assert event.contact is not None and event.created_at == event.contact.created_at
        with translation.override("es"):
            assert visits_text(event.data).startswith(("Visitó", "Hizo clic"))
    identified = Visitor.objects.filter(contact__isnull=False)
    assert set(
        Event.objects.filter(visitor__in=identified).values_list("contact_id", flat=True)
    ) == set(identified.values_list("contact_id", flat=True))
    visited = parse({"all": [{"field": "visited_url", "op": "contains", "value": "/precios"}]})
    assert 0 < members(visited, Context(now=now)).count() < Contact.objects.count()
    first = Event.objects.order_by("occurred_at").first()
    assert first is not None and dt.timedelta(0) <= now - first.occurred_at
