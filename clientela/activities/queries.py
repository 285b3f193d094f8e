"""Reads for activities and notifications; every list, count, panel and API uses these."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, owner_scope
from clientela.activities.choices import TOUCH_KINDS, ActivityKind, Attendance
from clientela.activities.models import Activity, CalendarFeed, Notification
from clientela.contacts.queries import companies_visible_to, contacts_visible_to
from clientela.core.exceptions import Forbidden, NotFound

# How many rows each group of "My tasks" shows, and how far back "done recently" looks.
GROUP_LIMIT = 50
DONE_RECENTLY = dt.timedelta(days=7)
# contact ids per query of first_logged_touch (SQLite's limit on parameters is 32,766).
ID_CHUNK = 5000


def can_write(user: User | AnonymousUser | None) -> bool:
    """Whether the role logs activities and manages its own tasks (activities.write)."""
    return has_capability(user, "activities.write")


def can_assign(user: User | AnonymousUser | None) -> bool:
    """Whether the role gives tasks to other people and sees their lists (activities.assign)."""
    return has_capability(user, "activities.assign")


def activities_visible_to(user: User) -> QuerySet[Activity]:
    """Activities the user may see: their own, and those about a customer they may see.

    An activity about a contact follows the contact; one about a company only, the company;
    one about nobody, its owner (as a record owned by someone in the user's scope).
    """
    qs = Activity.objects.all()
    scope = owner_scope(user)
    if scope is None:
        return qs
    if not user.is_authenticated:
        return qs.none()
    about_nobody = Q(contact__isnull=True, company__isnull=True) & scope
    return qs.filter(
        Q(owner_id=user.pk)
        | Q(contact__in=contacts_visible_to(user).values("pk"))
        | Q(contact__isnull=True, company__in=companies_visible_to(user).values("pk"))
        | about_nobody
    )


def may_change(user: User, activity: Activity) -> bool:
    """Whether the user may complete, change or delete an activity they see.

    Their own with activities.write; anyone's with activities.assign too.
    """
    if not can_write(user):
        return False
    return activity.owner_id == user.pk or can_assign(user)


def get_activity_for_user(user: User, activity_id: Any, *, write: bool = False) -> Activity:
    """One activity the user may see (or change); NotFound when it is not theirs to see."""
    try:
        activity = (
            activities_visible_to(user)
            .select_related("contact", "company", "owner", "created_by")
            .get(pk=int(activity_id))
        )
    except (Activity.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound(_("Activity not found.")) from exc
    if write and not may_change(user, activity):
        raise Forbidden(_("Your role does not allow changing this activity."))
    return activity


@dataclass(frozen=True)
class ActivityFilters:
    """Filters of the activity lists (screen and API); None or "" means any."""

    kind: str = ""
    owner_id: int | None = None
    contact_id: int | None = None
    state: str = ""  # "open", "done" or ""


def filter_activities(user: User, filters: ActivityFilters) -> QuerySet[Activity]:
    """Return the visible activities matching the filters."""
    qs = activities_visible_to(user)
    if filters.kind in ActivityKind.values:
        qs = qs.filter(kind=filters.kind)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.contact_id is not None:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.state == "open":
        qs = qs.filter(done_at__isnull=True)
    elif filters.state == "done":
        qs = qs.filter(done_at__isnull=False)
    return qs


@dataclass
class TaskBoard:
    """The groups of "My tasks": overdue, today, upcoming, without date, and done recently."""

    overdue: list[Activity]
    today: list[Activity]
    upcoming: list[Activity]
    undated: list[Activity]
    done: list[Activity]

    @property
    def open_count(self) -> int:
        """How many open activities the board shows."""
        return len(self.overdue) + len(self.today) + len(self.upcoming) + len(self.undated)


def task_board(
    user: User, *, owner_id: int | None, kind: str = "", now: dt.datetime | None = None
) -> TaskBoard:
    """Return the board of `owner_id`'s activities (everyone's visible ones when None).

    Five queries, each on the (owner, due_at) open index or the (owner, done_at) index.
    """
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = start + dt.timedelta(days=1)
    base = filter_activities(user, ActivityFilters(kind=kind, owner_id=owner_id)).select_related(
        "contact", "company", "owner"
    )
    # A cancelled meeting is no work to do (it stays on the calendar, struck through).
    open_ = base.filter(done_at__isnull=True).exclude(attendance=Attendance.CANCELLED)

    def take(qs: QuerySet[Activity]) -> list[Activity]:
        return list(qs[:GROUP_LIMIT])

    return TaskBoard(
        overdue=take(open_.filter(due_at__lt=now).order_by("due_at", "id")),
        today=take(open_.filter(due_at__gte=now, due_at__lt=tomorrow).order_by("due_at", "id")),
        upcoming=take(open_.filter(due_at__gte=tomorrow).order_by("due_at", "id")),
        undated=take(open_.filter(due_at__isnull=True).order_by("-created_at", "-id")),
        done=take(
            base.filter(done_at__gte=now - DONE_RECENTLY, done_at__lte=now).order_by(
                "-done_at", "-id"
            )
        ),
    )


def contact_open_activities(user: User, contact_id: int, limit: int = 20) -> list[Activity]:
    """Return the open activities about a contact the user may see, soonest due first."""
    qs = (
        activities_visible_to(user)
        .filter(contact_id=contact_id, done_at__isnull=True)
        .exclude(attendance=Attendance.CANCELLED)
        .select_related("owner")
        .order_by("due_at", "id")
    )
    return list(qs[:limit])


def first_logged_touch(
    contact_ids: Iterable[int], since: dt.datetime | Mapping[int, dt.datetime]
) -> dict[int, dt.datetime]:
    """Return, per contact, the moment of its first logged call, e-mail or meeting at/after `since`.

    `since` is one moment for every contact, or a moment per contact (each lead's submission).
    Contacts without such a touch are left out. Who logged it does not matter; tasks never
    count. Reads the partial (contact, done_at) index of touches; no visibility applies (a
    report decides what its reader sees).
    """
    ids = sorted({int(pk) for pk in contact_ids})
    per_contact = since if isinstance(since, Mapping) else None
    found: dict[int, dt.datetime] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        touches = Activity.objects.filter(
            contact_id__in=chunk, kind__in=TOUCH_KINDS, done_at__isnull=False
        )
        if per_contact is None:
            assert isinstance(since, dt.datetime)
            rows = (
                touches.filter(done_at__gte=since)
                .values("contact_id")
                .annotate(first=Min("done_at"))
                .order_by()
            )
            found.update({row["contact_id"]: row["first"] for row in rows})
            continue
        moments = [per_contact[pk] for pk in chunk if pk in per_contact]
        if not moments:
            continue
        ordered = (
            touches.filter(done_at__gte=min(moments))
            .order_by("contact_id", "done_at")
            .values_list("contact_id", "done_at")
        )
        for contact_id, done_at in ordered.iterator():
            threshold = per_contact.get(contact_id)
            if done_at is None or threshold is None or contact_id in found:
                continue
            if done_at >= threshold:
                found[contact_id] = done_at
    return found


def open_task_counts(owner_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Return how many open activities each owner has (owners with none are left out).

    For the least-open-leads assignment strategy; reads the open (owner, due_at) index.
    """
    qs = Activity.objects.filter(done_at__isnull=True)
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    rows = qs.values("owner_id").annotate(n=Count("id")).order_by()
    return {row["owner_id"]: row["n"] for row in rows}


# --- notifications ---------------------------------------------------------------------------


def notifications_of(user: User) -> QuerySet[Notification]:
    """Return the user's own notifications, newest first (nobody reads another's inbox)."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """Return how many of the user's notifications are unread (one indexed count)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def get_notification_for_user(user: User, notification_id: Any) -> Notification:
    """One of the user's notifications; NotFound for anybody else's."""
    try:
        return notifications_of(user).get(pk=int(notification_id))
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound(_("Notification not found.")) from exc


def due_soon(
    user: User, now: dt.datetime | None = None, limit: int = 5
) -> tuple[list[Activity], int]:
    """Return the user's first open activities due by tonight, and how many are overdue.

    For the start page's card: one query over the open (owner, due_at) index.
    """
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = list(
        Activity.objects.filter(
            owner_id=user.pk, done_at__isnull=True, due_at__lt=start + dt.timedelta(days=1)
        )
        .exclude(attendance=Attendance.CANCELLED)
        .select_related("contact")
        .order_by("due_at", "id")[: limit + 50]
    )
    overdue = sum(1 for row in rows if row.due_at is not None and row.due_at < now)
    return rows[:limit], overdue


# --- calendar and iCalendar feed ---------------------------------------------------------------

# Most activities one calendar view shows (a month of a busy team fits well under it).
CALENDAR_LIMIT = 2000
# How far back the iCalendar feed goes (calendar apps keep what they saw before).
FEED_PAST = dt.timedelta(days=90)
FEED_LIMIT = 3000


def calendar_activities(
    user: User, *, owner_id: int | None, start: dt.datetime, end: dt.datetime
) -> list[Activity]:
    """Return the visible activities of `owner_id` (everyone's when None) within [start, end).

    An open activity sits at its due moment (a meeting at its start), a done one without a
    due moment at the moment it was done. One query, in time order.
    """
    in_range = Q(due_at__gte=start, due_at__lt=end) | Q(
        due_at__isnull=True, done_at__gte=start, done_at__lt=end
    )
    qs = filter_activities(user, ActivityFilters(owner_id=owner_id)).filter(in_range)
    rows = list(
        qs.select_related("contact", "company", "owner").order_by("due_at", "done_at", "id")[
            :CALENDAR_LIMIT
        ]
    )
    rows.sort(key=lambda a: (a.due_at or a.done_at or start, a.pk))
    return rows


def hash_token(token: str) -> str:
    """Return the SHA-256 (hex) of a feed token: the only form the database keeps."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def calendar_feed_of(user: User) -> CalendarFeed | None:
    """Return the user's calendar feed, or None when they have not made one."""
    return CalendarFeed.objects.filter(user_id=user.pk).first()


def get_feed_user(token: str) -> User:
    """Return the active user whose feed has this token; NotFound for any other token."""
    if not token or len(token) > 200:
        raise NotFound(_("Calendar not found."))
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=hash_token(token), user__is_active=True)
        .first()
    )
    if feed is None:
        raise NotFound(_("Calendar not found."))
    return feed.user


def feed_activities(user: User, now: dt.datetime | None = None) -> list[Activity]:
    """Return what the user's iCalendar feed shows: their dated activities and meetings.

    Their own tasks, calls and meetings with a due moment (and meetings they attend), from
    FEED_PAST ago on; cancelled meetings are left out (they disappear from the calendar).
    """
    now = now or timezone.now()
    qs = (
        activities_visible_to(user)
        .filter(Q(owner_id=user.pk) | Q(attendees=user.pk))
        .filter(due_at__isnull=False, due_at__gte=now - FEED_PAST)
        .exclude(attendance=Attendance.CANCELLED)
        .select_related("contact", "owner")
        .prefetch_related("attendees")
        .distinct()
        .order_by("due_at", "id")
    )
    return list(qs[:FEED_LIMIT])
