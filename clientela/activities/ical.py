"""The personal iCalendar feed (RFC 5545): tasks as VTODO, calls and meetings as VEVENT."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Todo, vCalAddress, vText

from clientela.accounts.models import User
from clientela.activities.choices import ActivityKind, Attendance, Priority
from clientela.activities.models import Activity

# RFC 5545 PRIORITY: 1 highest, 5 medium, 9 lowest.
PRIORITIES = {Priority.HIGH: 1, Priority.NORMAL: 5, Priority.LOW: 9}
# A call or task without an end lasts this long in a calendar.
DEFAULT_LENGTH = dt.timedelta(minutes=30)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def uid_of(activity: Activity) -> str:
    """Return the activity's stable UID (the same on every read of the feed)."""
    return f"activity-{activity.pk}@clientela"


def _mailto(user: User) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email or user.username}")
    address.params["cn"] = vText(user.get_full_name() or user.username)
    return address


def _component(activity: Activity, stamp: dt.datetime, base_url: str) -> Event | Todo:
    assert activity.due_at is not None
    start = _utc(activity.due_at)
    component: Event | Todo
    if activity.kind == ActivityKind.TASK:
        component = Todo()
        component.add("due", start)
        component.add("status", "COMPLETED" if activity.done_at else "NEEDS-ACTION")
        if activity.done_at:
            component.add("completed", _utc(activity.done_at))
    else:
        component = Event()
        component.add("dtstart", start)
        end = activity.ends_at if activity.ends_at else activity.due_at + DEFAULT_LENGTH
        component.add("dtend", _utc(end))
        component.add("status", "CONFIRMED")
        if activity.place:
            component.add("location", activity.place)
    component.add("uid", uid_of(activity))
    component.add("dtstamp", stamp)
    component.add("last-modified", _utc(activity.updated_at))
    component.add("sequence", max(activity.version - 1, 0))
    component.add("summary", activity.title)
    component.add("priority", PRIORITIES.get(Priority(activity.priority), 5))
    description = []
    if activity.contact_id is not None:
        description.append(str(activity.contact))
    if activity.notes:
        description.append(activity.notes)
    if description:
        component.add("description", "\n\n".join(description))
    component.add("url", base_url + reverse("activities:activity_edit", args=[activity.pk]))
    if activity.kind == ActivityKind.MEETING:
        component.add("organizer", _mailto(activity.owner))
        for attendee in activity.attendees.all():
            component.add("attendee", _mailto(attendee))
        contact = activity.contact
        if contact is not None and contact.email:
            address = vCalAddress(f"mailto:{contact.email}")
            address.params["cn"] = vText(str(contact))
            component.add("attendee", address)
        if activity.attendance == Attendance.CANCELLED:  # not listed; kept for completeness
            component["status"] = "CANCELLED"
    return component


def build_feed(user: User, activities: Iterable[Activity]) -> bytes:
    """Return the iCalendar document of the user's activities (times in UTC)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Clientela//Agenda//ES")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Clientela · {user.get_full_name() or user.username}")
    stamp = _utc(timezone.now()).replace(microsecond=0)
    base_url = str(settings.CLIENTELA["PUBLIC_URL"]).rstrip("/")
    for activity in activities:
        if activity.due_at is None:
            continue
        calendar.add_component(_component(activity, stamp, base_url))
    body: bytes = calendar.to_ical()
    return body
