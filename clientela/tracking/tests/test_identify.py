"""identify_visitor: a form joins the visitor's anonymous history to the contact, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from clientela.contacts.services import merge_contacts
from clientela.contacts.tests.factories import ContactFactory
from clientela.timeline.models import Event as TimelineEvent
from clientela.tracking.choices import EventKind, TrackingVerb
from clientela.tracking.ingest import IncomingEvent
from clientela.tracking.models import Event, Visitor
from clientela.tracking.queries import site_for_key
from clientela.tracking.services import identify_visitor, ingest_events
from clientela.tracking.tests.factories import (
    EventFactory,
    TrackedSiteFactory,
    VisitorFactory,
    visitor_key,
)
from clientela.tracking.verbs import visits_text

pytestmark = pytest.mark.django_db


def history(
    visitor, site, pages=("/precios", "/precios", "/precios", "/blog"), clicks=("Ver precios",)
):
    for path in pages:
        EventFactory.create(site=site, visitor=visitor, path=path)
    for label in clicks:
        EventFactory.create(
            site=site, visitor=visitor, path="/precios", kind=EventKind.CLICK, cta=label
        )


def test_it_joins_the_anonymous_history_and_tells_it_on_the_timeline(client, personas):
    site = TrackedSiteFactory.create()
    visitor = VisitorFactory.create()
    other = VisitorFactory.create()
    history(visitor, site)
    history(other, site)
    contact = ContactFactory.create(owner=personas.rep)

    assert identify_visitor(visitor.key, contact) == 5

    visitor.refresh_from_db()
    assert visitor.contact_id == contact.pk and visitor.identified_at is not None
    assert Event.objects.filter(contact=contact).count() == 5
    assert Event.objects.filter(visitor=other, contact__isnull=True).count() == 5
    event = TimelineEvent.objects.get(verb=TrackingVerb.VISITOR_IDENTIFIED)
    assert event.contact_id == contact.pk and event.actor is None
    assert event.data["pages"] == [["/precios", 3], ["/blog", 1]]
    assert event.data["ctas"] == [["Ver precios", 1]]
    with translation.override("es"):
        assert (
            visits_text(event.data)
            == "Visitó /precios 3 veces, /blog 1 vez; hizo clic en «Ver precios» 1 vez"
        )
    with translation.override("en"):
        assert (
            visits_text(event.data)
            == "Visited /precios 3 times, /blog 1 time; clicked “Ver precios” 1 time"
        )
    client.force_login(personas.rep)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Visitó /precios 3 veces" in page


def test_it_gives_later_events_the_contact_directly():
    site = TrackedSiteFactory.create()
    contact = ContactFactory.create()
    key = visitor_key()
    assert identify_visitor(key, contact) == 0  # the form came before any event reached us
    found = site_for_key(site.key)
    assert found is not None
    event = IncomingEvent.model_validate(
        {"kind": "pageview", "url": "https://www.example.co/gracias", "ts": 1}
    )
    ingest_events(found, key, [event])
    assert Event.objects.get().contact_id == contact.pk


def test_it_is_a_no_op_when_called_again_with_nothing_new():
    site = TrackedSiteFactory.create()
    visitor = VisitorFactory.create()
    history(visitor, site)
    contact = ContactFactory.create()
    assert identify_visitor(visitor.key, contact) == 5
    assert identify_visitor(visitor.key, contact) == 0
    assert TimelineEvent.objects.filter(verb=TrackingVerb.VISITOR_IDENTIFIED).count() == 1


def test_it_moves_a_shared_browser_to_the_next_person_without_taking_the_first_ones_history():
    site = TrackedSiteFactory.create()
    visitor = VisitorFactory.create()
    history(visitor, site)
    ana, luis = ContactFactory.create(), ContactFactory.create()
    identify_visitor(visitor.key, ana)
    EventFactory.create(site=site, visitor=visitor, path="/contacto")  # anonymous again? no:
    Event.objects.filter(path="/contacto").update(contact=None)
    assert identify_visitor(visitor.key, luis) == 1
    assert Event.objects.filter(contact=ana).count() == 5
    assert Event.objects.filter(contact=luis).count() == 1
    assert Visitor.objects.get(pk=visitor.pk).contact_id == luis.pk


@pytest.mark.parametrize("value", ["", "x", "0" * 31, "G" * 32, None, 12, "0" * 32 + "\n"])
def test_it_joins_nothing_for_what_is_not_a_visitor_id(value):
    contact = ContactFactory.create()
    assert identify_visitor(value, contact) == 0
    assert not Visitor.objects.exists()
    assert not TimelineEvent.objects.filter(verb=TrackingVerb.VISITOR_IDENTIFIED).exists()


def test_it_writes_one_event_for_a_visitor_without_history():
    contact = ContactFactory.create()
    assert identify_visitor(visitor_key(), contact) == 0
    event = TimelineEvent.objects.get(verb=TrackingVerb.VISITOR_IDENTIFIED)
    with translation.override("en"):
        assert visits_text(event.data) == "Linked a web visitor with no earlier visits"


def test_it_follows_the_surviving_contact_of_a_merge(personas):
    site = TrackedSiteFactory.create()
    visitor = VisitorFactory.create()
    history(visitor, site)
    survivor, merged = ContactFactory.create(), ContactFactory.create()
    identify_visitor(visitor.key, merged)
    merge_contacts(survivor, merged, actor=personas.admin)
    assert Event.objects.filter(contact=survivor).count() == 5
    assert Visitor.objects.get(pk=visitor.pk).contact_id == survivor.pk


def test_it_purges_events_past_the_retention(settings):
    from clientela.tracking.services import purge_old_events

    settings.CLIENTELA = {**settings.CLIENTELA, "TRACK_RETENTION_DAYS": 30}
    site = TrackedSiteFactory.create()
    now = timezone.now()
    old_visitor = VisitorFactory.create(last_seen=now - dt.timedelta(days=40))
    EventFactory.create(site=site, visitor=old_visitor, received_at=now - dt.timedelta(days=40))
    kept = EventFactory.create(site=site, received_at=now - dt.timedelta(days=2))
    assert purge_old_events(now=now) == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Visitor.objects.filter(pk=old_visitor.pk).exists()
