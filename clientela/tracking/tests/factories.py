"""Factories for tracking: sites, visitors and their events."""

from __future__ import annotations

import secrets
from typing import Any

import factory
from django.utils import timezone

from clientela.tracking.choices import ConsentMode, EventKind
from clientela.tracking.models import Event, TrackedSite, Visitor


class TrackedSiteFactory(factory.django.DjangoModelFactory[TrackedSite]):
    """A tracked site allowing https://www.example.co, cookie after consent."""

    class Meta:
        model = TrackedSite

    name = factory.Sequence(lambda n: f"Sitio {n}")
    allowed_origins = "https://www.example.co"
    consent_mode = ConsentMode.AFTER_CONSENT


class EnteredSiteFactory(factory.django.DjangoModelFactory[TrackedSite]):
    """A tracked site created through the service by `actor` (required)."""

    class Meta:
        model = TrackedSite

    name = factory.Sequence(lambda n: f"Sitio web {n}")
    allowed_origins = "https://www.example.co"
    consent_mode = ConsentMode.ALWAYS

    @classmethod
    def _create(cls, model_class: type[TrackedSite], *args: Any, **data: Any) -> TrackedSite:
        from clientela.tracking.services import create_site

        actor = data.pop("actor")
        return create_site(actor=actor, data=data)


def visitor_key() -> str:
    """Return a fresh visitor id as the script makes it (32 hex digits)."""
    return secrets.token_hex(16)


class VisitorFactory(factory.django.DjangoModelFactory[Visitor]):
    """An anonymous visitor."""

    class Meta:
        model = Visitor

    key = factory.LazyFunction(visitor_key)


class EventFactory(factory.django.DjangoModelFactory[Event]):
    """A page view of /precios by a new visitor on a new site, now."""

    class Meta:
        model = Event

    site = factory.SubFactory(TrackedSiteFactory)
    visitor = factory.SubFactory(VisitorFactory)
    kind = EventKind.PAGEVIEW
    url = factory.LazyAttribute(lambda e: f"https://www.example.co{e.path}")
    path = "/precios"
    occurred_at = factory.LazyFunction(timezone.now)
