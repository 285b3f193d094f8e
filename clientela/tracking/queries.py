"""Reads of the tracking app: tracked sites for the screens and the ingest, event counts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.core.exceptions import NotFound
from clientela.tracking.models import Event, TrackedSite

MANAGE_SITES = "tracking.manage_sites"


def may_manage_sites(user: User) -> bool:
    """Whether the user may list, create and change tracked sites."""
    return has_capability(user, MANAGE_SITES)


def sites_visible_to(user: User) -> QuerySet[TrackedSite]:
    """Return the tracked sites the user may see: all of them with the capability, else none."""
    if not may_manage_sites(user):
        return TrackedSite.objects.none()
    return TrackedSite.objects.all()


def get_site_for_user(user: User, pk: int, *, write: bool = False) -> TrackedSite:
    """Return one tracked site the user may see and change; NotFound otherwise.

    Sites are all or nothing: whoever may see one may change it (`write` changes nothing).
    """
    site = sites_visible_to(user).filter(pk=pk).first()
    if site is None:
        raise NotFound()
    return site


@dataclass(frozen=True)
class SiteRow:
    """A tracked site on the list, with its events of the last day and of the last 30 days."""

    site: TrackedSite
    last_day: int
    last_30_days: int


def site_rows(user: User, *, now: dt.datetime | None = None) -> list[SiteRow]:
    """Return the visible sites with their recent event counts, in two queries."""
    moment = now or timezone.now()
    sites = list(sites_visible_to(user))
    day, month = moment - dt.timedelta(days=1), moment - dt.timedelta(days=30)
    counts = {
        row["site_id"]: row
        for row in Event.objects.filter(site__in=[s.pk for s in sites], received_at__gte=month)
        .values("site_id")
        .annotate(day=Count("id", filter=Q(received_at__gte=day)), month=Count("id"))
        .order_by()
    }
    return [
        SiteRow(
            site, counts.get(site.pk, {}).get("day", 0), counts.get(site.pk, {}).get("month", 0)
        )
        for site in sites
    ]


# The ingest answers hundreds of batches a second: a site is read once per process and kept
# for SITE_TTL seconds (a change made on another process applies within that time).
SITE_TTL = 30.0


@dataclass(frozen=True)
class IngestSite:
    """What the ingest needs of a site: its id, whether it takes events, and its origins."""

    pk: int
    active: bool
    origins: frozenset[str]
    consent_mode: str


_sites: dict[str, tuple[float, IngestSite | None]] = {}
_origins: tuple[float, frozenset[str]] | None = None
_lock = threading.Lock()


def site_for_key(key: str) -> IngestSite | None:
    """Return the active site with this public key (cached per process), or None."""
    now = time.monotonic()
    cached = _sites.get(key)
    if cached is not None and cached[0] > now:
        return cached[1] if cached[1] is not None and cached[1].active else None
    site = TrackedSite.objects.filter(key=key).first()
    found = (
        IngestSite(site.pk, site.is_active, frozenset(site.origins), site.consent_mode)
        if site is not None
        else None
    )
    with _lock:
        if len(_sites) > 10_000:  # unknown keys must not grow the cache without bound
            _sites.clear()
        _sites[key] = (now + SITE_TTL, found)
    return found if found is not None and found.active else None


def all_allowed_origins() -> frozenset[str]:
    """Return every active site's allowed origins (for CORS preflights, which carry no key)."""
    global _origins
    now = time.monotonic()
    if _origins is not None and _origins[0] > now:
        return _origins[1]
    origins = frozenset(
        origin
        for text in TrackedSite.objects.filter(is_active=True).values_list(
            "allowed_origins", flat=True
        )
        for origin in TrackedSite(allowed_origins=text).origins
    )
    _origins = (now + SITE_TTL, origins)
    return origins


def forget_cached_sites() -> None:
    """Drop this process's cached sites (after a change, and between tests)."""
    global _origins
    with _lock:
        _sites.clear()
        _origins = None


def site_for_origin(origin: str) -> TrackedSite | None:
    """Return the active tracked site that lists `origin` (e.g. Clientela's own, for its pages)."""
    wanted = origin.strip().rstrip("/")
    for site in TrackedSite.objects.filter(is_active=True, allowed_origins__contains=wanted):
        if wanted in site.origins:
            return site
    return None
