"""The only code that writes activities and notifications.

Every change of an activity writes its event on the customer's timeline (and the audit log);
notifications are a user's private inbox and write none. `actor=None` is the system (an
automatic assignment, a stage rule): it skips the role checks a person goes through.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners
from clientela.activities.choices import (
    TOUCH_KINDS,
    ActivityKind,
    ActivityVerb,
    Attendance,
    Direction,
    FeedVerb,
    Outcome,
    Priority,
    Reminder,
)
from clientela.activities.models import Activity, CalendarFeed, Notification
from clientela.activities.queries import can_assign, can_write, hash_token, may_change
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import get_company_for_user, get_contact_for_user
from clientela.core.events import Via, jsonable
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.timeline.services import build_event, record_event, record_events

SUBJECT_MAX = 200
NOTES_MAX = 10_000
DURATION_MAX = 24 * 60  # minutes: a touch longer than a day is a typo
# A logged touch may be dated a little ahead of the server's clock (a phone's clock), no more.
CLOCK_SKEW = dt.timedelta(minutes=5)
URL_MAX = 500
PLACE_MAX = 200
ATTENDEES_MAX = 50
# A meeting longer than this is a typo (an end date in the wrong month).
MEETING_MAX = dt.timedelta(hours=24)


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split()) if field == "subject" else str(value or "").strip()
    if required and not text:
        raise ValidationFailed({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationFailed({field: _("Use at most %(limit)d characters.") % {"limit": limit}})
    return text


def _duration(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationFailed({"duration_minutes": _("Enter a whole number.")}) from exc
    if not 0 <= minutes <= DURATION_MAX:
        raise ValidationFailed(
            {"duration_minutes": _("Enter minutes between 0 and %(max)d.") % {"max": DURATION_MAX}}
        )
    return minutes


def _outcome(value: Any) -> str:
    outcome = str(value or "")
    if outcome and outcome not in Outcome.values:
        raise ValidationFailed({"outcome": _("Select a valid outcome.")})
    return outcome


def _choice(value: Any, field: str, choices: list[str], message: str) -> str:
    code = str(value or "")
    if code and code not in choices:
        raise ValidationFailed({field: message})
    return code


def _priority(value: Any) -> str:
    return (
        _choice(value, "priority", list(Priority.values), _("Select a valid priority."))
        or Priority.NORMAL
    )


def _direction(value: Any) -> str:
    return _choice(value, "direction", list(Direction.values), _("Select inbound or outbound."))


def _attendance(value: Any) -> str:
    return _choice(value, "attendance", list(Attendance.values), _("Select a valid attendance."))


def _reminder(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationFailed({"reminder_minutes": _("Select a valid reminder.")}) from exc
    if minutes not in Reminder.values:
        raise ValidationFailed({"reminder_minutes": _("Select a valid reminder.")})
    return minutes


def _attendees(value: Any, owner: User) -> list[User]:
    """Return the active users named (ids or users), without the owner and without repeats."""
    items = list(value or [])
    if len(items) > ATTENDEES_MAX:
        raise ValidationFailed(
            {"attendees": _("Invite at most %(max)d people.") % {"max": ATTENDEES_MAX}}
        )
    ids: list[int] = []
    for item in items:
        try:
            pk = item.pk if isinstance(item, User) else int(item)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationFailed({"attendees": _("Select valid users.")}) from exc
        if pk != owner.pk and pk not in ids:
            ids.append(pk)
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(ids):
        raise ValidationFailed({"attendees": _("Select valid users.")})
    return users


def _check_window(activity: Activity) -> None:
    """Check a meeting's end comes after its start (and has a start), within a day."""
    if activity.ends_at is None:
        return
    if activity.due_at is None:
        raise ValidationFailed({"due_at": _("Give the start of the meeting.")})
    if activity.ends_at <= activity.due_at:
        raise ValidationFailed({"ends_at": _("The end must be after the start.")})
    if activity.ends_at - activity.due_at > MEETING_MAX:
        raise ValidationFailed({"ends_at": _("A meeting cannot last more than a day.")})


def _schedule_reminder(activity: Activity) -> None:
    """Set when the reminder goes out; a new moment sends it again, a done activity none."""
    remind_at = None
    if (
        activity.due_at is not None
        and activity.reminder_minutes is not None
        and activity.done_at is None
        and activity.attendance != Attendance.CANCELLED
    ):
        remind_at = activity.due_at - dt.timedelta(minutes=activity.reminder_minutes)
    if remind_at != activity.remind_at:
        activity.remind_at = remind_at
        activity.reminded_at = None


def _moment(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise ValidationFailed({field: _("Enter a valid date/time.")})
    moment: dt.datetime = value
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _check_actor(actor: User | None, owner: User) -> None:
    """Check a person has activities.write, and activities.assign to give work to others."""
    if not owner.is_active:
        raise ValidationFailed({"owner": _("This user is not active.")})
    if actor is None:
        return
    if not can_write(actor):
        raise Forbidden(_("Your role can only read activities."))
    if owner.pk != actor.pk:
        if not can_assign(actor):
            raise Forbidden(_("Your role cannot give tasks to other people."))
        if not assignable_owners(actor).filter(pk=owner.pk).exists():
            raise ValidationFailed({"owner": _("You cannot give tasks to this user.")})


def _check_customer(
    actor: User | None, contact: Contact | None, company: Company | None
) -> Company | None:
    """Check the actor sees the contact and company; return the company (the contact's)."""
    if actor is not None:
        if contact is not None:
            get_contact_for_user(actor, contact.pk)
        if company is not None:
            get_company_for_user(actor, company.pk)
    if company is None and contact is not None and contact.company_id is not None:
        return contact.company
    return company


def _event_data(activity: Activity, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "activity_id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "owner": activity.owner.get_full_name() or activity.owner.username,
        "owner_id": activity.owner_id,
    }
    if activity.due_at:
        data["due_at"] = activity.due_at.isoformat()
    if activity.done_at:
        data["done_at"] = activity.done_at.isoformat()
    if activity.outcome:
        data["outcome"] = activity.outcome
    if activity.duration_minutes is not None:
        data["duration_minutes"] = activity.duration_minutes
    if activity.source:
        data["source"] = activity.source
    if activity.priority and activity.priority != Priority.NORMAL:
        data["priority"] = activity.priority
    for name in ("direction", "place", "attendance"):
        if getattr(activity, name):
            data[name] = getattr(activity, name)
    if activity.ends_at:
        data["ends_at"] = activity.ends_at.isoformat()
    data.update(extra)
    return data


def _record(verb: str, activity: Activity, actor: User | None, via: str, **extra: Any) -> None:
    record_event(
        verb,
        actor=actor,
        target=activity,
        via=via,
        data=_event_data(activity, **extra),
        contact_id=activity.contact_id,
        company_id=activity.company_id,
    )


@transaction.atomic
def create_task(
    *,
    owner: User,
    subject: str,
    due_at: dt.datetime | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    notes: str = "",
    source: str = "",
    kind: str = ActivityKind.TASK,
    actor: User | None,
    via: str = Via.UI,
    deal_id: int | None = None,
    priority: str = Priority.NORMAL,
    ends_at: dt.datetime | None = None,
    place: str = "",
    attendees: list[Any] | None = None,
    direction: str = "",
    reminder_minutes: int | None = None,
) -> Activity:
    """Give `owner` an open activity to do (a task, or a planned call, e-mail or meeting).

    A person giving a task to someone else needs activities.assign, and the owner gets a
    notification; with `actor=None` (the system) the caller sends its own notification.
    `deal_id` links it to a deal the caller (the deals app) has checked the actor may see.
    """
    activity, people = _new_task(
        owner=owner, subject=subject, due_at=due_at, contact=contact, company=company,
        notes=notes, source=source, kind=kind, actor=actor, deal_id=deal_id, priority=priority,
        ends_at=ends_at, place=place, attendees=attendees, direction=direction,
        reminder_minutes=reminder_minutes,
    )  # fmt: skip
    activity.save()
    if people:
        activity.attendees.set(people)
    _record(ActivityVerb.TASK_CREATED, activity, actor, via)
    if actor is not None and actor.pk != owner.pk:
        _tell_new_owner(activity, actor)
    return activity


def _new_task(
    *,
    owner: User,
    subject: str,
    due_at: dt.datetime | None,
    contact: Contact | None,
    company: Company | None,
    notes: str,
    source: str,
    kind: str,
    actor: User | None,
    deal_id: int | None,
    priority: str,
    ends_at: dt.datetime | None,
    place: str,
    attendees: list[Any] | None,
    direction: str,
    reminder_minutes: int | None,
) -> tuple[Activity, list[User]]:
    """Check a new open activity; return it unsaved, with its meeting's attendees."""
    _check_actor(actor, owner)
    if kind not in ActivityKind.values:
        raise ValidationFailed({"kind": _("Select a valid kind.")})
    company = _check_customer(actor, contact, company)
    is_meeting = kind == ActivityKind.MEETING
    activity = Activity(
        kind=kind,
        subject=_text(subject, "subject", SUBJECT_MAX, required=True),
        notes=_text(notes, "notes", NOTES_MAX),
        contact=contact,
        company=company,
        owner=owner,
        due_at=_moment(due_at, "due_at"),
        ends_at=_moment(ends_at, "ends_at") if is_meeting else None,
        priority=_priority(priority),
        direction=_direction(direction) if kind == ActivityKind.CALL else "",
        place=_text(place, "place", PLACE_MAX) if is_meeting else "",
        attendance=Attendance.PENDING if is_meeting else "",
        reminder_minutes=_reminder(reminder_minutes),
        created_by=actor,
        source=_text(source, "source", 60),
        deal_id=deal_id,
    )
    _check_window(activity)
    people = _attendees(attendees, owner) if is_meeting else []
    _schedule_reminder(activity)
    return activity, people


@transaction.atomic
def create_tasks(tasks: Sequence[Mapping[str, Any]], *, via: str = Via.UI) -> list[Activity]:
    """Create many open activities at once, each as `create_task(**task)` would.

    The activities and their events are one INSERT each (a batch of new leads' planned calls);
    attendees and the new owners' notices follow as in `create_task`. An invalid task raises
    ValidationFailed and none is created.
    """
    built = [(_new_task(**_task_arguments(task)), task) for task in tasks]
    activities = [activity for (activity, _people), _task in built]
    if connection.features.can_return_rows_from_bulk_insert:
        Activity.objects.bulk_create(activities)
    else:
        for activity in activities:
            activity.save()
    for (activity, people), _task in built:
        if people:
            activity.attendees.set(people)
    record_events(
        build_event(
            ActivityVerb.TASK_CREATED, actor=task.get("actor"), target=activity, via=via,
            data=_event_data(activity), contact_id=activity.contact_id,
            company_id=activity.company_id,
        )
        for (activity, _people), task in built
    )  # fmt: skip
    for (activity, _people), task in built:
        actor = task.get("actor")
        if actor is not None and actor.pk != activity.owner_id:
            _tell_new_owner(activity, actor)
    return activities


_TASK_DEFAULTS: dict[str, Any] = {
    "due_at": None, "contact": None, "company": None, "notes": "", "source": "",
    "kind": ActivityKind.TASK, "deal_id": None, "priority": Priority.NORMAL, "ends_at": None,
    "place": "", "attendees": None, "direction": "", "reminder_minutes": None,
}  # fmt: skip


def _task_arguments(task: Mapping[str, Any]) -> dict[str, Any]:
    """Return `create_task`'s arguments for one task of `create_tasks` (its defaults filled)."""
    unknown = set(task) - set(_TASK_DEFAULTS) - {"owner", "subject", "actor"}
    if unknown:
        raise TypeError(f"unknown task arguments: {sorted(unknown)}")
    return {**_TASK_DEFAULTS, "actor": None, **task}


def _tell_new_owner(activity: Activity, actor: User) -> None:
    """Notify the owner of a task someone else gave them, in the owner's language."""
    with translation.override(activity.owner.language or None):
        title = _("New task from %(name)s") % {"name": actor.get_full_name() or actor.username}
    notify(activity.owner, title, activity.title, url=reverse("activities:my_tasks"))


@transaction.atomic
def log_activity(
    *,
    kind: str,
    contact: Contact | None,
    subject: str = "",
    done_at: dt.datetime | None = None,
    outcome: str = "",
    duration_minutes: int | None = None,
    notes: str = "",
    company: Company | None = None,
    owner: User | None = None,
    source: str = "",
    actor: User | None,
    via: str = Via.UI,
    deal_id: int | None = None,
    direction: str = "",
    place: str = "",
    attendance: str = "",
) -> Activity:
    """Record a call, e-mail or meeting that happened (a logged touch), by default just now.

    The owner is the actor unless given (the system must name one); `deal_id` as in
    `create_task`.
    """
    if kind not in TOUCH_KINDS:
        raise ValidationFailed({"kind": _("Log a call, an e-mail or a meeting.")})
    who = owner or actor
    if who is None:
        raise ValidationFailed({"owner": _("Say who made the call, e-mail or meeting.")})
    _check_actor(actor, who)
    if contact is None and company is None:
        raise ValidationFailed({"contact": _("Choose the contact it was with.")})
    company = _check_customer(actor, contact, company)
    now = timezone.now()
    moment = _moment(done_at, "done_at") or now
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed({"done_at": _("A logged activity cannot be in the future.")})
    activity = Activity.objects.create(
        kind=kind,
        subject=_text(subject, "subject", SUBJECT_MAX),
        notes=_text(notes, "notes", NOTES_MAX),
        contact=contact,
        company=company,
        owner=who,
        done_at=moment,
        outcome=_outcome(outcome),
        duration_minutes=_duration(duration_minutes),
        direction=_direction(direction) if kind == ActivityKind.CALL else "",
        place=_text(place, "place", PLACE_MAX) if kind == ActivityKind.MEETING else "",
        attendance=(
            (_attendance(attendance) or Attendance.ATTENDED) if kind == ActivityKind.MEETING else ""
        ),
        created_by=actor,
        source=_text(source, "source", 60),
        deal_id=deal_id,
    )
    _record(ActivityVerb.LOGGED, activity, actor, via)
    return activity


def _locked(activity: Activity, actor: User | None, expected_version: int | None) -> Activity:
    if actor is not None and not may_change(actor, activity):
        raise Forbidden(_("Your role does not allow changing this activity."))
    locked = Activity.objects.select_for_update().select_related("owner").get(pk=activity.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(_("Someone else changed this activity meanwhile. Reload it and try again."))
    return locked


def _save(locked: Activity, fields: list[str]) -> None:
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def complete_activity(
    activity: Activity,
    *,
    actor: User | None,
    done_at: dt.datetime | None = None,
    outcome: str = "",
    duration_minutes: int | None = None,
    expected_version: int | None = None,
    via: str = Via.UI,
) -> Activity:
    """Mark an open activity done (a planned call done becomes a logged call).

    Completing a done activity changes nothing (a double click is harmless).
    """
    locked = _locked(activity, actor, expected_version)
    if locked.done_at is not None:
        return locked
    now = timezone.now()
    moment = _moment(done_at, "done_at") or now
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed({"done_at": _("A logged activity cannot be in the future.")})
    locked.done_at = moment
    fields = ["done_at"]
    if outcome:
        locked.outcome = _outcome(outcome)
        fields.append("outcome")
    if duration_minutes is not None:
        locked.duration_minutes = _duration(duration_minutes)
        fields.append("duration_minutes")
    if locked.kind == ActivityKind.MEETING and locked.attendance in ("", Attendance.PENDING):
        locked.attendance = Attendance.ATTENDED
        fields.append("attendance")
    _schedule_reminder(locked)
    _save(locked, [*fields, "remind_at", "reminded_at"])
    _record(ActivityVerb.COMPLETED, locked, actor, via)
    return locked


@transaction.atomic
def reopen_activity(
    activity: Activity,
    *,
    actor: User | None,
    expected_version: int | None = None,
    via: str = Via.UI,
) -> Activity:
    """Make a done activity open again (completed by mistake); an open one stays as it is."""
    locked = _locked(activity, actor, expected_version)
    if locked.done_at is None:
        return locked
    locked.done_at = None
    _schedule_reminder(locked)
    _save(locked, ["done_at", "remind_at", "reminded_at"])
    _record(ActivityVerb.REOPENED, locked, actor, via)
    return locked


EDITABLE = (
    "subject",
    "notes",
    "due_at",
    "owner",
    "outcome",
    "duration_minutes",
    "kind",
    "priority",
    "direction",
    "ends_at",
    "place",
    "attendance",
    "reminder_minutes",
)


@transaction.atomic
def update_activity(
    activity: Activity,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> Activity:
    """Change the fields given (those of EDITABLE, and `attendees` of a meeting).

    A stale `expected_version` is refused with Conflict; handing the activity to another
    owner needs activities.assign.
    """
    locked = _locked(activity, actor, expected_version)
    before = {name: getattr(locked, name) for name in EDITABLE}
    before["owner"] = locked.owner_id
    changed: list[str] = []
    if "subject" in data:
        required = locked.kind == ActivityKind.TASK or locked.done_at is None
        locked.subject = _text(data["subject"], "subject", SUBJECT_MAX, required=required)
    if "notes" in data:
        locked.notes = _text(data["notes"], "notes", NOTES_MAX)
    if "due_at" in data:
        locked.due_at = _moment(data["due_at"], "due_at")
    if "outcome" in data:
        locked.outcome = _outcome(data["outcome"])
    if "duration_minutes" in data:
        locked.duration_minutes = _duration(data["duration_minutes"])
    if "kind" in data:
        kind = str(data["kind"] or "")
        allowed = TOUCH_KINDS if locked.done_at and locked.kind in TOUCH_KINDS else ActivityKind
        if kind not in [str(k) for k in allowed]:
            raise ValidationFailed({"kind": _("Select a valid kind.")})
        locked.kind = kind
    if "priority" in data:
        locked.priority = _priority(data["priority"])
    if "direction" in data:
        locked.direction = _direction(data["direction"]) if locked.kind == ActivityKind.CALL else ""
    is_meeting = locked.kind == ActivityKind.MEETING
    if "ends_at" in data:
        locked.ends_at = _moment(data["ends_at"], "ends_at") if is_meeting else None
    if "place" in data:
        locked.place = _text(data["place"], "place", PLACE_MAX) if is_meeting else ""
    if "attendance" in data:
        locked.attendance = _attendance(data["attendance"]) if is_meeting else ""
    if is_meeting and not locked.attendance:
        locked.attendance = Attendance.PENDING if locked.done_at is None else Attendance.ATTENDED
    if "reminder_minutes" in data:
        locked.reminder_minutes = _reminder(data["reminder_minutes"])
    _check_window(locked)
    if "owner" in data and data["owner"] is not None:
        owner = data["owner"]
        if not isinstance(owner, User):
            owner = User.objects.filter(pk=owner).first()
            if owner is None:
                raise ValidationFailed({"owner": _("Select a valid user.")})
        if owner.pk != locked.owner_id:
            _check_actor(actor, owner)
            if actor is not None and not can_assign(actor):
                raise Forbidden(_("Your role cannot give tasks to other people."))
            locked.owner = owner
    after = {name: getattr(locked, name) for name in EDITABLE}
    after["owner"] = locked.owner_id
    changed = [name for name in EDITABLE if jsonable(before[name]) != jsonable(after[name])]
    attendees_changed = False
    if "attendees" in data and locked.kind == ActivityKind.MEETING:
        people = _attendees(data["attendees"], locked.owner)
        current = set(locked.attendees.values_list("pk", flat=True))
        if {u.pk for u in people} != current:
            locked.attendees.set(people)
            attendees_changed = True
    if not changed and not attendees_changed:
        return locked
    remind_before = locked.remind_at
    _schedule_reminder(locked)
    extra_fields = ["remind_at", "reminded_at"] if locked.remind_at != remind_before else []
    _save(locked, [*changed, *extra_fields])
    changes = {name: [jsonable(before[name]), jsonable(after[name])] for name in changed}
    changes.pop("owner", None)  # ids are the software's business: the owner's name is in data
    if attendees_changed:
        changes["attendees"] = [None, ", ".join(sorted(attendee_names(locked)))]
    _record(ActivityVerb.CHANGED, locked, actor, via, changes=changes)
    if "owner" in changed and actor is not None and actor.pk != locked.owner_id:
        _tell_new_owner(locked, actor)
    return locked


@transaction.atomic
def delete_activity(activity: Activity, *, actor: User | None, via: str = Via.UI) -> None:
    """Delete an activity; its events stay on the timeline and the audit log."""
    locked = _locked(activity, actor, None)
    _record(ActivityVerb.DELETED, locked, actor, via)
    locked.delete()


def attendee_names(activity: Activity) -> list[str]:
    """Return the names of the users invited to a meeting."""
    return [u.get_full_name() or u.username for u in activity.attendees.all()]


# --- notifications ---------------------------------------------------------------------------


def internal_url(url: str) -> str:
    """Return `url` when it is a path of this site ("/contacts/7/"), else raise ValidationFailed.

    Notifications only link inside Clientela: no scheme, no host, no protocol-relative "//".
    """
    url = (url or "").strip()
    if not url:
        return ""
    if (
        not url.startswith("/")
        or url.startswith("//")
        or "\\" in url
        or any(ord(ch) < 32 for ch in url)
        or len(url) > URL_MAX
    ):
        raise ValidationFailed({"url": _("Link to a page of Clientela (a path starting with /).")})
    return url


def notify(
    user: User, title: str | Promise, body: str | Promise = "", url: str = ""
) -> Notification:
    """Put a message in the user's in-app inbox (the bell); `url` must be an internal path.

    Lazy texts (gettext_lazy) are written in the recipient's language. Records no event: the
    inbox is the recipient's own.
    """
    with translation.override(user.language or None):
        title_text, body_text = str(title), str(body)
    return Notification.objects.create(
        recipient=user,
        title=_text(title_text, "title", 200, required=True),
        body=_text(body_text, "body", 2000),
        url=internal_url(url),
    )


def notify_many(
    notices: Sequence[tuple[User, str | Promise, str | Promise, str]],
) -> list[Notification]:
    """Put many messages in their users' inboxes at once, each as `notify` would: one INSERT.

    Each notice is (user, title, body, url).
    """
    rows = []
    for user, title, body, url in notices:
        with translation.override(user.language or None):
            title_text, body_text = str(title), str(body)
        rows.append(
            Notification(
                recipient=user,
                title=_text(title_text, "title", 200, required=True),
                body=_text(body_text, "body", 2000),
                url=internal_url(url),
            )
        )
    return Notification.objects.bulk_create(rows)


def mark_read(notification: Notification, *, actor: User) -> Notification:
    """Mark one of the actor's notifications read (already read: unchanged)."""
    if notification.recipient_id != actor.pk:
        raise Forbidden(_("This is not your notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; return how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- reminders -------------------------------------------------------------------------------

REMINDER_KIND = "activities.reminder"
REMINDER_BATCH = 200


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Send every reminder whose moment has come: a notification and an e-mail, exactly once.

    Each reminder is claimed with a conditional UPDATE (`reminded_at` still empty) inside the
    transaction that writes its notification and queues its e-mail, so two workers never send
    the same one twice. Returns how many this worker sent.
    """
    now = now or timezone.now()
    due = list(
        Activity.objects.filter(remind_at__lte=now, reminded_at__isnull=True, done_at__isnull=True)
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    sent = 0
    for pk in due:
        with transaction.atomic():
            claimed = Activity.objects.filter(
                pk=pk, reminded_at__isnull=True, done_at__isnull=True
            ).update(reminded_at=now)
            if claimed != 1:
                continue
            activity = Activity.objects.select_related("owner", "contact").get(pk=pk)
            _remind(activity)
            sent += 1
    return sent


def _remind(activity: Activity) -> None:
    """Tell the owner an activity is coming: in-app, and by e-mail in the owner's language."""
    from django.conf import settings
    from django.utils.html import escape

    from clientela.delivery.services import queue_email

    owner = activity.owner
    path = reverse("activities:my_tasks")
    with translation.override(owner.language or "es"):
        when = timezone.localtime(activity.due_at).strftime("%d/%m/%Y %H:%M")
        kind = str(activity.get_kind_display())
        title = _("Reminder: %(subject)s") % {"subject": activity.title}
        body = _("%(kind)s at %(when)s") % {"kind": kind, "when": when}
        if activity.place:
            body += " · " + activity.place
        if activity.contact_id is not None:
            body += " · " + str(activity.contact)
        link = str(settings.CLIENTELA["PUBLIC_URL"]) + path
        closing = _("Open your agenda: %(link)s") % {"link": link}
    notify(owner, title, body, url=path)
    if not owner.email:
        return
    queue_email(
        to=owner.email,
        subject=title,
        html=f"<p>{escape(body)}</p><p>{escape(closing)}</p>",
        text=f"{body}\n\n{closing}\n",
        kind=REMINDER_KIND,
        language=owner.language or "es",
        source="activities.reminder",
        idempotency_key=f"{REMINDER_KIND}:{activity.pk}:{activity.remind_at.isoformat() if activity.remind_at else ''}",
    )


# --- the personal iCalendar feed --------------------------------------------------------------


@transaction.atomic
def regenerate_calendar_feed(*, actor: User) -> str:
    """Give the actor a new secret feed token (the old address stops working); return it.

    Only its SHA-256 is stored: the token is shown once, now.
    """
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=actor, defaults={"token_hash": hash_token(token)}
    )
    if not created:
        feed.token_hash = hash_token(token)
        feed.created_at = timezone.now()
        feed.last_used_at = None
        feed.save(update_fields=["token_hash", "created_at", "last_used_at"])
    record_event(FeedVerb.CREATED, actor=actor, target=feed, data={"renewed": not created})
    return token


@transaction.atomic
def revoke_calendar_feed(*, actor: User) -> bool:
    """Delete the actor's feed address (it answers 404 from now on); False when there was none."""
    feed = CalendarFeed.objects.select_for_update().filter(user_id=actor.pk).first()
    if feed is None:
        return False
    record_event(FeedVerb.REVOKED, actor=actor, target=feed)
    feed.delete()
    return True


def touch_calendar_feed(user: User) -> None:
    """Note when a calendar app last read the user's feed (at most once a minute)."""
    now = timezone.now()
    CalendarFeed.objects.filter(user_id=user.pk).exclude(
        last_used_at__gte=now - dt.timedelta(minutes=1)
    ).update(last_used_at=now)
