"""How activities read on a customer's timeline and in the audit log (registered in ready()).

Events store data (kind, subject, outcome codes, ISO moments); the sentences are written when
read, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import (
    ActivityKind,
    ActivityVerb,
    Attendance,
    Direction,
    FeedVerb,
    Outcome,
    Priority,
    Reminder,
)
from clientela.activities.models import Activity
from clientela.core.events import HIDDEN, DataKey, DataKind, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Change, Entry, RecordTimeline, html, stored_value, who

# What made an activity, for the codes Clientela itself writes (an API client's own text, or a
# code not listed, reads as stored).
ACTIVITY_SOURCES = {
    "demo": gettext_lazy("demo data"),
    "deals.stage_rule": gettext_lazy("a stage rule"),
    "billing.overdue": gettext_lazy("an overdue instalment"),
    "webforms.assignment": gettext_lazy("lead routing"),
}


def _subject(data: Mapping[str, Any]) -> str:
    """Return the subject, or the kind's name when the activity has none ("Call")."""
    code = str(data.get("kind", ""))
    return str(data.get("subject") or "") or str(dict(ActivityKind.choices).get(code, code))


def _details(data: Mapping[str, Any]) -> str:
    """Return the outcome and duration of a touch, as one short note ("Reached · 12 min")."""
    parts = []
    outcome = str(data.get("outcome") or "")
    if outcome:
        parts.append(str(dict(Outcome.choices).get(outcome, outcome)))
    minutes = data.get("duration_minutes")
    if isinstance(minutes, int):
        parts.append(_("%(minutes)d min") % {"minutes": minutes})
    direction = str(data.get("direction") or "")
    if direction:
        parts.append(str(dict(Direction.choices).get(direction, direction)))
    attendance = str(data.get("attendance") or "")
    if attendance:
        parts.append(str(dict(Attendance.choices).get(attendance, attendance)))
    if data.get("place"):
        parts.append(str(data["place"]))
    return " · ".join(parts)


def task_created_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a task given to someone, with its due moment."""
    data = event.data or {}
    values = {"who": who(event.actor), "owner": data.get("owner") or "—", "subject": _subject(data)}
    if event.actor_id is not None and event.actor_id == data.get("owner_id"):
        if data.get("due_at"):
            entry.sentence = html(
                _("%(who)s created a task: “%(subject)s”, due %(due)s"),
                due=stored_value("due_at", data["due_at"]),
                **values,
            )
        else:
            entry.sentence = html(_("%(who)s created a task: “%(subject)s”"), **values)
        return entry
    if data.get("due_at"):
        entry.sentence = html(
            _("%(who)s gave %(owner)s a task: “%(subject)s”, due %(due)s"),
            due=stored_value("due_at", data["due_at"]),
            **values,
        )
    else:
        entry.sentence = html(_("%(who)s gave %(owner)s a task: “%(subject)s”"), **values)
    return entry


def logged_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a call, e-mail or meeting that happened, with its outcome and duration."""
    data = event.data or {}
    sentences: dict[str, str] = {
        ActivityKind.CALL: _("%(who)s logged a call: “%(subject)s”"),
        ActivityKind.EMAIL: _("%(who)s logged an e-mail: “%(subject)s”"),
        ActivityKind.MEETING: _("%(who)s logged a meeting: “%(subject)s”"),
    }
    entry.sentence = html(
        sentences.get(str(data.get("kind")), _("%(who)s logged an activity: “%(subject)s”")),
        who=who(event.actor) if event.actor else str(data.get("owner") or who(None)),
        subject=_subject(data),
    )
    entry.note = _details(data)
    return entry


def completed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell an activity marked done."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s completed “%(subject)s”"), who=who(event.actor), subject=_subject(data)
    )
    entry.note = _details(data)
    return entry


def reopened_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a done activity opened again."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s reopened “%(subject)s”"), who=who(event.actor), subject=_subject(data)
    )
    return entry


def _label(name: str) -> str:
    try:
        field = Activity._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(capfirst(getattr(field, "verbose_name", name)))


def _value(name: str, raw: Any) -> str:
    if name == "kind":
        return str(dict(ActivityKind.choices).get(raw, raw or "—"))
    if name == "outcome":
        return str(dict(Outcome.choices).get(raw, raw or "—"))
    all_choices: dict[str, dict[Any, Any]] = {
        "priority": dict(Priority.choices),
        "direction": dict(Direction.choices),
        "attendance": dict(Attendance.choices),
        "reminder_minutes": dict(Reminder.choices),
    }
    choices = all_choices.get(name)
    if choices is not None:
        return str(choices.get(raw, raw if raw not in (None, "") else "—"))
    return stored_value(name, raw)


def changed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell the fields of an activity that changed, listed under the sentence."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s changed “%(subject)s”"), who=who(event.actor), subject=_subject(data)
    )
    changes = data.get("changes") or {}
    entry.changes = [
        Change(_label(name), _value(name, pair[0]), _value(name, pair[1]))
        for name, pair in changes.items()
        if isinstance(pair, list) and len(pair) == 2
    ]
    if "owner_id" not in changes and isinstance(changes, dict) and data.get("owner"):
        entry.note = _("Assigned to %(owner)s") % {"owner": data["owner"]}
    return entry


def deleted_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell an activity deleted."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s deleted “%(subject)s”"), who=who(event.actor), subject=_subject(data)
    )
    return entry


def register_activity_verbs() -> None:
    """Register the verbs of activities, their sentences and how their data reads."""
    register_verbs(
        ActivityVerb,
        timeline={
            ActivityVerb.TASK_CREATED: task_created_entry,
            ActivityVerb.LOGGED: logged_entry,
            ActivityVerb.COMPLETED: completed_entry,
            ActivityVerb.REOPENED: reopened_entry,
            ActivityVerb.CHANGED: changed_entry,
            ActivityVerb.DELETED: deleted_entry,
        },
    )
    register_data_keys(
        {
            "activity_id": HIDDEN,
            "owner_id": HIDDEN,
            "kind": DataKey(gettext_lazy("Kind"), DataKind.CHOICE, dict(ActivityKind.choices)),
            "subject": DataKey(gettext_lazy("Subject")),
            "owner": DataKey(gettext_lazy("Assignee")),
            "due_at": DataKey(gettext_lazy("Due"), DataKind.MOMENT),
            "done_at": DataKey(gettext_lazy("Done"), DataKind.MOMENT),
            "outcome": DataKey(gettext_lazy("Outcome"), DataKind.CHOICE, dict(Outcome.choices)),
            "duration_minutes": DataKey(gettext_lazy("Duration (minutes)")),
            "source": DataKey(gettext_lazy("Made by"), DataKind.TEXT, ACTIVITY_SOURCES),
            "priority": DataKey(gettext_lazy("Priority"), DataKind.CHOICE, dict(Priority.choices)),
            "direction": DataKey(
                gettext_lazy("Direction"), DataKind.CHOICE, dict(Direction.choices)
            ),
            "attendance": DataKey(
                gettext_lazy("Attendance"), DataKind.CHOICE, dict(Attendance.choices)
            ),
            "place": DataKey(gettext_lazy("Place")),
            "ends_at": DataKey(gettext_lazy("Ends"), DataKind.MOMENT),
        },
        verbs=[str(verb) for verb in ActivityVerb],
    )
    register_verbs(FeedVerb)
    register_data_keys({"renewed": DataKey(gettext_lazy("Renewed"))}, verbs=[FeedVerb.CREATED])
