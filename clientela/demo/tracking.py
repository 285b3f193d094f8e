"""Demo web visits: the company's website, its anonymous visitors and the leads it identified.

About a third of the contacts visited the website before and after they became contacts: the
visits before were anonymous until their first form joined them (one "web visits joined"
timeline event at the moment the contact was created), the ones after carry the contact
directly. Anonymous visitors who never left their details fill the rest. Everything is drawn
from a seeded generator; no event is dated after `now` nor a timeline event before its contact.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from clientela.contacts.models import Contact
from clientela.timeline.choices import Via
from clientela.timeline.services import build_event, record_events
from clientela.tracking.choices import ConsentMode, EventKind, TrackingVerb
from clientela.tracking.models import Event, TrackedSite, Visitor

ORIGIN = "https://www.tierrasflorida.co"
PAGES = (
    ("/", "Tierras en Florida para colombianos"),
    ("/precios", "Precios de los lotes"),
    ("/lotes/florida-central", "Lotes en Florida Central"),
    ("/financiacion", "Financiación en pesos"),
    ("/blog/invertir-en-florida", "Cómo invertir en Florida desde Colombia"),
    ("/webinar", "Webinar: su lote en Florida"),
)
CTAS = ("Ver lotes", "Agendar asesoría", "Inscribirme al webinar")
REFERRERS = ("https://www.facebook.com/", "https://www.google.com/", "", "")


@dataclass(frozen=True)
class DemoVisits:
    """What the demo's website history holds."""

    visitors: int
    identified: int
    events: int


def _events(
    rng: random.Random, site: TrackedSite, visitor: Visitor, contact_id: int | None,
    start: dt.datetime, end: dt.datetime, count: int,
) -> list[Event]:  # fmt: skip
    rows = []
    span = max((end - start).total_seconds(), 1.0)
    for _ in range(count):
        path, title = rng.choice(PAGES)
        moment = start + dt.timedelta(seconds=rng.uniform(0, span))
        campaign = "?utm_source=facebook&utm_campaign=webinar" if rng.random() < 0.3 else ""
        click = rng.random() < 0.25
        rows.append(
            Event(
                site=site, visitor=visitor, contact_id=contact_id,
                kind=EventKind.CLICK if click else EventKind.PAGEVIEW,
                url=f"{ORIGIN}{path}{campaign}", path=path,
                referrer="" if click else rng.choice(REFERRERS),
                cta=rng.choice(CTAS) if click else "", title=title,
                occurred_at=moment, received_at=moment,
            )
        )  # fmt: skip
    return rows


def seed_tracking(*, seed: int = 2026, now: dt.datetime | None = None) -> DemoVisits:
    """Give the demo its website, visitors and their page views and clicks (once)."""
    if TrackedSite.objects.exists():
        return DemoVisits(0, 0, 0)
    now = now or timezone.now()
    rng = random.Random(seed)
    contacts = list(
        Contact.objects.filter(deleted_at__isnull=True, created_at__lte=now)
        .order_by("id")
        .only("id", "first_name", "last_name", "created_at")
    )
    with transaction.atomic():
        site = TrackedSite.objects.create(
            name="Sitio web", allowed_origins=f"{ORIGIN}\nhttps://landing.tierrasflorida.co",
            consent_mode=ConsentMode.AFTER_CONSENT, created_at=now - dt.timedelta(days=730),
        )  # fmt: skip
        chosen = [c for c in contacts if rng.random() < 0.35]
        anonymous = max(len(contacts) // 2, 5)
        visitors = Visitor.objects.bulk_create(
            [
                Visitor(key=secrets.token_hex(16), contact_id=contact.pk,
                        first_seen=contact.created_at - dt.timedelta(days=14), last_seen=now,
                        identified_at=contact.created_at)
                for contact in chosen
            ]
            + [Visitor(key=secrets.token_hex(16), first_seen=now - dt.timedelta(days=60), last_seen=now)
               for _ in range(anonymous)],
            batch_size=2000,
        )  # fmt: skip
        if visitors and visitors[0].pk is None:
            visitors = list(Visitor.objects.order_by("id"))
        events: list[Event] = []
        joined = []
        for contact, visitor in zip(chosen, visitors, strict=False):
            contact_id, created = contact.pk, contact.created_at
            before = _events(rng, site, visitor, contact_id, created - dt.timedelta(days=14),
                             created, rng.randint(1, 6))  # fmt: skip
            after = _events(rng, site, visitor, contact_id, created, min(now, created + dt.timedelta(days=90)),
                            rng.randint(0, 8))  # fmt: skip
            events += before + after
            pages = Counter(e.path for e in before if e.kind == EventKind.PAGEVIEW)
            ctas = Counter(e.cta for e in before if e.kind == EventKind.CLICK)
            joined.append(
                build_event(
                    TrackingVerb.VISITOR_IDENTIFIED, actor=None, target=contact,
                    via=Via.SYSTEM, contact_id=contact_id, at=created,
                    data={
                        "events": len(before), "pageviews": sum(pages.values()),
                        "clicks": sum(ctas.values()),
                        "pages": [[p, n] for p, n in pages.most_common(5)],
                        "ctas": [[c, n] for c, n in ctas.most_common(3)],
                        "first_at": min(e.occurred_at for e in before).isoformat(),
                    },
                )
            )  # fmt: skip
        for visitor in visitors[len(chosen) :]:
            events += _events(
                rng, site, visitor, None, now - dt.timedelta(days=60), now, rng.randint(1, 4)
            )
        Event.objects.bulk_create(events, batch_size=5000)
        record_events(joined)
    return DemoVisits(len(visitors), len(chosen), len(events))
