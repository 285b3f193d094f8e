"""API for activities (mounted at /api/v1/activities): thin adapters over queries and services."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from clientela.accounts.api_auth import actor
from clientela.accounts.models import User
from clientela.activities import services
from clientela.activities.choices import (
    TOUCH_KINDS,
    ActivityKind,
    Attendance,
    Direction,
    Outcome,
    Priority,
    Reminder,
)
from clientela.activities.models import Activity
from clientela.activities.queries import ActivityFilters, filter_activities, get_activity_for_user
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import get_company_for_user, get_contact_for_user
from clientela.contacts.representation import Ref, ref
from clientela.core.events import Via
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of

activities_router = Router(tags=["activities"])

ORDERINGS = {"created": ("created_at", "id"), "-created": ("-created_at", "-id")}


class ActivityOut(Schema):
    """An activity: open while `done_at` is null; a done call, e-mail or meeting is logged."""

    id: int
    kind: ActivityKind
    kind_label: str
    subject: str
    notes: str
    contact: Ref | None
    company: Ref | None
    owner: Ref
    due_at: datetime | None
    done_at: datetime | None
    is_done: bool
    outcome: str = Field(description="For calls: reached, no_answer, voicemail, busy, …")
    duration_minutes: int | None
    priority: Priority
    direction: str = Field(description="Calls: inbound or outbound (empty when not said)")
    ends_at: datetime | None = Field(description="Meetings: when it ends (`due_at` is the start)")
    place: str = Field(description="Meetings: where")
    attendees: list[Ref] = Field(description="Meetings: the other users invited")
    attendance: str = Field(description="Meetings: pending, attended, no_show or cancelled")
    reminder_minutes: int | None = Field(description="Reminder: minutes before `due_at`")
    source: str = Field(description="What made it, for programs (webforms.assignment, …)")
    created_by: Ref | None
    created_at: datetime
    updated_at: datetime
    version: int


class ActivityPage(ListPage):
    """A page of activities: `next` is the URL of the following page, or null."""

    items: list[ActivityOut]


class ActivityQuery(PageQuery):
    """Filters, ordering and pagination of the activities list."""

    owner: RecordId | None = Field(None, description="Assigned user id")
    contact: RecordId | None = Field(None, description="Contact id")
    kind: ActivityKind | None = None
    state: Literal["open", "done"] | None = Field(None, description="Open (to do) or done")
    ordering: Literal["created", "-created"] = "-created"


class ActivityIn(Schema):
    """A task to do, or (with `done` or `done_at`) a call, e-mail or meeting that happened."""

    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind = ActivityKind.TASK
    subject: str = Field("", max_length=200)
    notes: str = Field("", max_length=10_000)
    contact: RecordId | None = None
    company: RecordId | None = None
    owner: RecordId | None = Field(None, description="Assigned user id (yourself when omitted)")
    due_at: datetime | None = None
    done: bool = Field(False, description="Log it as done (a call, e-mail or meeting)")
    done_at: datetime | None = Field(None, description="When it happened (implies `done`)")
    outcome: Outcome | None = None
    duration_minutes: int | None = Field(None, ge=0, le=services.DURATION_MAX)
    priority: Priority = Priority.NORMAL
    direction: Direction | None = Field(None, description="Calls only")
    ends_at: datetime | None = Field(None, description="Meetings only: after `due_at`")
    place: str = Field("", max_length=200, description="Meetings only")
    attendees: list[RecordId] = Field(
        default_factory=list, max_length=50, description="Meetings only: user ids"
    )
    attendance: Attendance | None = Field(None, description="Logged meetings only")
    reminder_minutes: int | None = Field(
        None, ge=0, le=max(Reminder.values), description="Minutes before: 0, 10, 60 or 1440"
    )


class ActivityPatch(Schema):
    """Changes to an activity: `done` completes or reopens it, `due_at` reschedules it."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=10_000)
    kind: ActivityKind | None = None
    owner: RecordId | None = None
    due_at: datetime | None = None
    done: bool | None = Field(None, description="true completes it, false opens it again")
    outcome: Outcome | None = None
    duration_minutes: int | None = Field(None, ge=0, le=services.DURATION_MAX)
    priority: Priority | None = None
    direction: Direction | None = None
    ends_at: datetime | None = None
    place: str | None = Field(None, max_length=200)
    attendees: list[RecordId] | None = Field(None, max_length=50)
    attendance: Attendance | None = None
    reminder_minutes: int | None = Field(
        None, ge=0, le=max(Reminder.values), description="Minutes before: 0, 10, 60 or 1440"
    )
    version: DbInt | None = Field(None, description="Refuse the change if the activity moved on")


def activity_out(activity: Activity) -> dict[str, Any]:
    """Return the API representation of an activity (related rows selected beforehand)."""
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "kind_label": str(activity.get_kind_display()),
        "subject": activity.subject,
        "notes": activity.notes,
        "contact": ref(activity.contact),
        "company": ref(activity.company),
        "owner": ref(activity.owner),
        "due_at": activity.due_at,
        "done_at": activity.done_at,
        "is_done": activity.done_at is not None,
        "outcome": activity.outcome,
        "duration_minutes": activity.duration_minutes,
        "priority": activity.priority,
        "direction": activity.direction,
        "ends_at": activity.ends_at,
        "place": activity.place,
        "attendees": [ref(u) for u in activity.attendees.all()],
        "attendance": activity.attendance,
        "reminder_minutes": activity.reminder_minutes,
        "source": activity.source,
        "created_by": ref(activity.created_by),
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
        "version": activity.version,
    }


def _owner(user: User, owner_id: int | None) -> User:
    if owner_id is None or owner_id == user.pk:
        return user
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationFailed({"owner": _("Select a valid user.")})
    return owner


@activities_router.get("", response=ActivityPage, summary="List activities")
def list_activities(request: HttpRequest, query: Query[ActivityQuery]) -> dict[str, Any]:
    """List the activities you may see: yours, and those about customers you may see."""
    user = actor(request)
    filters = ActivityFilters(
        kind=query.kind or "",
        owner_id=query.owner,
        contact_id=query.contact,
        state=query.state or "",
    )
    qs = filter_activities(user, filters)
    page = page_of(
        request,
        qs,
        fields=ORDERINGS[query.ordering],
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=lambda rows: rows.select_related(
            "contact", "company", "owner", "created_by"
        ).prefetch_related("attendees"),
    )
    return page.body([activity_out(row) for row in page.rows])


@activities_router.get("{activity_id}", response=ActivityOut, summary="Get an activity")
def get_activity(request: HttpRequest, activity_id: RecordId) -> dict[str, Any]:
    """One activity you may see."""
    return activity_out(get_activity_for_user(actor(request), activity_id))


@activities_router.post(
    "", response={201: ActivityOut}, summary="Create or log an activity",
    openapi_extra=api_errors(404),
)  # fmt: skip
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[dict[str, Any]]:
    """Create a task (or a planned call, e-mail, meeting), or log one that happened.

    With `done: true` or a `done_at` the activity is logged as done (calls, e-mails and
    meetings only); otherwise it is open, due at `due_at`. Giving it to another `owner` needs
    the right to assign tasks.
    """
    user = actor(request)
    contact: Contact | None = (
        get_contact_for_user(user, payload.contact) if payload.contact else None
    )
    company: Company | None = (
        get_company_for_user(user, payload.company) if payload.company else None
    )
    owner = _owner(user, payload.owner)
    if payload.done or payload.done_at is not None:
        if payload.kind not in TOUCH_KINDS:
            raise ValidationFailed({"kind": _("Log a call, an e-mail or a meeting.")})
        activity = services.log_activity(
            kind=payload.kind,
            contact=contact,
            company=company,
            subject=payload.subject,
            done_at=payload.done_at,
            outcome=payload.outcome or "",
            duration_minutes=payload.duration_minutes,
            notes=payload.notes,
            owner=owner,
            actor=user,
            via=Via.API,
            direction=payload.direction or "",
            place=payload.place,
            attendance=payload.attendance or "",
        )
    else:
        activity = services.create_task(
            owner=owner,
            subject=payload.subject,
            due_at=payload.due_at,
            contact=contact,
            company=company,
            notes=payload.notes,
            kind=payload.kind,
            actor=user,
            via=Via.API,
            priority=payload.priority,
            ends_at=payload.ends_at,
            place=payload.place,
            attendees=list(payload.attendees),
            direction=payload.direction or "",
            reminder_minutes=payload.reminder_minutes,
        )
    return Status(201, activity_out(get_activity_for_user(user, activity.pk)))


@activities_router.patch(
    "{activity_id}", response=ActivityOut, summary="Change, complete or reschedule an activity",
    openapi_extra=api_errors(409),
)  # fmt: skip
def update_activity(
    request: HttpRequest, activity_id: RecordId, payload: ActivityPatch
) -> dict[str, Any]:
    """Change only the fields sent; `done` completes (true) or reopens (false) it.

    Send `version` to refuse the change (409) if someone else changed it since you read it.
    """
    user = actor(request)
    activity = get_activity_for_user(user, activity_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    done = data.pop("done", None)
    if "owner" in data:
        data["owner"] = _owner(user, data["owner"]) if data["owner"] is not None else None
    for name in ("outcome", "direction", "place", "attendance"):
        if name in data and data[name] is None:
            data[name] = ""
    if "priority" in data and data["priority"] is None:
        data.pop("priority")
    if "attendees" in data and data["attendees"] is None:
        data["attendees"] = []
    if data:
        activity = services.update_activity(
            activity, actor=user, data=data, expected_version=version, via=Via.API
        )
        version = None  # checked once
    if done is True:
        services.complete_activity(activity, actor=user, expected_version=version, via=Via.API)
    elif done is False:
        services.reopen_activity(activity, actor=user, expected_version=version, via=Via.API)
    return activity_out(get_activity_for_user(user, activity_id))
