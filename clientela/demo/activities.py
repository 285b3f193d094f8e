"""Demo work of the sales reps: open tasks, logged calls and e-mails, unread notifications.

Open tasks are overdue, due today and in the coming days, so "My tasks", the bell and the
contact cards tell their part of the story the day the demo is loaded.

Deterministic: the same seed gives the same activities, placed relative to the moment the demo
is loaded (a task "due today" is due today). No activity is dated before its contact exists.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import User
from clientela.activities.choices import (
    ActivityKind,
    ActivityVerb,
    Attendance,
    Direction,
    Outcome,
    Priority,
)
from clientela.activities.models import Activity, Notification
from clientela.contacts.models import Contact
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events

REPS = ("ana", "carlos", "luisa")
# (kind, subject, hours from now the task is due; under 12: later today, priority): open work.
TASKS = (
    (ActivityKind.CALL, "Llamar dentro de 24 h", -30, Priority.HIGH),
    (ActivityKind.TASK, "Enviar la cotización del lote en Ocala", -4, Priority.HIGH),
    (ActivityKind.CALL, "Confirmar la visita virtual al lote", 2, Priority.NORMAL),
    (ActivityKind.EMAIL, "Enviar el plano y las fotos del lote", 5, Priority.NORMAL),
    (ActivityKind.MEETING, "Videollamada con la familia para cerrar", 28, Priority.HIGH),
    (ActivityKind.TASK, "Revisar el pago de la cuota inicial", 52, Priority.NORMAL),
    (ActivityKind.CALL, "Seguimiento después del webinar", 75, Priority.LOW),
    (ActivityKind.TASK, "Pedir la copia del pasaporte", 150, Priority.LOW),
)
# Where the reps meet their customers (the real-estate story: visits, the office, video calls).
PLACES = (
    "Oficina Bogotá, Calle 93 #11-20",
    "Sala de ventas Chía",
    "Videollamada (Google Meet)",
    "Visita al lote modelo, Ocala",
    "Café Juan Valdez, Parque 93",
    "Videollamada (Zoom)",
)
MEETING_SUBJECTS = (
    "Presentación de los lotes",
    "Visita al lote modelo",
    "Revisión de la cotización",
    "Firma de la promesa de compraventa",
    "Reunión con la familia",
    "Videollamada de seguimiento",
)
# How many weeks back and days ahead the meetings of each rep go, and how many a week.
MEETING_WEEKS_BACK = 13
MEETING_DAYS_AHEAD = 14
MEETINGS_PER_WEEK = 4
TOUCHES = (
    (ActivityKind.CALL, "Primera llamada", Outcome.REACHED),
    (ActivityKind.CALL, "Llamada de seguimiento", Outcome.NO_ANSWER),
    (ActivityKind.CALL, "Llamada de seguimiento", Outcome.VOICEMAIL),
    (ActivityKind.EMAIL, "Envío de la presentación de los lotes", ""),
    (ActivityKind.MEETING, "Videollamada de presentación", Outcome.REACHED),
)
NOTICES = (
    ("Nuevo lead asignado", "Llegó desde el formulario del webinar (Facebook)."),
    ("Nueva tarea de Gustavo Restrepo", "Revisar el pago de la cuota inicial"),
)


def seed_activities(seed: int = 2026, now: dt.datetime | None = None) -> int:
    """Give each demo rep open tasks, logged touches and notifications; return how many."""
    now = now or timezone.now()
    rng = random.Random(seed)
    reps = list(User.objects.filter(username__in=REPS).order_by("username"))
    local = timezone.localtime(now)
    end_of_today = local.replace(hour=23, minute=59, second=0, microsecond=0)
    rows: list[Activity] = []
    for rep in reps:
        contacts = list(
            Contact.objects.filter(owner=rep, deleted_at__isnull=True)
            .order_by("id")
            .only("id", "company_id", "created_at")[:40]
        )
        if not contacts:
            continue
        for index, (kind, subject, hours, priority) in enumerate(TASKS):
            contact = contacts[index % len(contacts)]
            due = now + dt.timedelta(hours=hours)
            if 0 < hours < 12:  # due later today, whatever the hour the demo is loaded
                due = now + (end_of_today - local) * (hours / 12)
            opened = max(contact.created_at, now - dt.timedelta(days=3))
            rows.append(Activity(
                kind=kind, subject=subject, contact=contact, company_id=contact.company_id,
                owner=rep, due_at=due, created_by=rep, created_at=opened,
                updated_at=opened, source="demo", priority=priority,
                attendance=Attendance.PENDING if kind == ActivityKind.MEETING else "",
                place=PLACES[2] if kind == ActivityKind.MEETING else "",
                ends_at=due + dt.timedelta(hours=1) if kind == ActivityKind.MEETING else None,
                reminder_minutes=60 if kind == ActivityKind.MEETING else None,
                remind_at=due - dt.timedelta(hours=1) if kind == ActivityKind.MEETING else None,
            ))  # fmt: skip
        for contact in contacts[: len(contacts) // 2]:
            kind, subject, outcome = rng.choice(TOUCHES)
            done = now - dt.timedelta(hours=rng.randint(2, 24 * 20))
            if done < contact.created_at:
                continue
            rows.append(Activity(
                kind=kind, subject=subject, contact=contact, company_id=contact.company_id,
                owner=rep, done_at=done, outcome=outcome,
                duration_minutes=rng.randint(2, 25) if kind != ActivityKind.EMAIL else None,
                created_by=rep, created_at=done, updated_at=done, source="demo",
                direction=rng.choice((Direction.OUTBOUND, Direction.OUTBOUND, Direction.INBOUND))
                if kind == ActivityKind.CALL else "",
                attendance=Attendance.ATTENDED if kind == ActivityKind.MEETING else "",
                place=rng.choice(PLACES) if kind == ActivityKind.MEETING else "",
            ))  # fmt: skip
        rows.extend(_meetings(rng, rep, contacts, now))
    with transaction.atomic():
        created = Activity.objects.bulk_create(rows, batch_size=500)
        record_events(
            activity_event(a, ActivityVerb.LOGGED if a.done_at else ActivityVerb.TASK_CREATED)
            for a in created
        )
        Notification.objects.bulk_create(
            Notification(
                recipient=rep,
                title=title,
                body=body,
                url="/activities/",
                created_at=now - dt.timedelta(minutes=30 * (i + 1)),
            )
            for rep in reps
            for i, (title, body) in enumerate(NOTICES)
        )
    return len(created)


def _meetings(
    rng: random.Random, rep: User, contacts: list[Contact], now: dt.datetime
) -> list[Activity]:
    """Return a rep's meetings of the last months (held, no-show, cancelled) and next two weeks.

    Working days only, between 8:00 and 17:00; past ones are done at their end (attended or
    no-show) or cancelled; coming ones are pending, with a reminder an hour before.
    """
    rows: list[Activity] = []
    local = timezone.localtime(now)
    first_day = local.date() - dt.timedelta(weeks=MEETING_WEEKS_BACK)
    last_day = local.date() + dt.timedelta(days=MEETING_DAYS_AHEAD)
    day = first_day
    while day <= last_day:
        if day.weekday() < 5 and rng.random() < MEETINGS_PER_WEEK / 5:
            contact = rng.choice(contacts)
            start = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.choice((0, 30))))
            )
            end = start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90)))
            created = max(contact.created_at, start - dt.timedelta(days=rng.randint(1, 10)))
            if created > now or start < contact.created_at:
                day += dt.timedelta(days=1)
                continue
            past = start < now  # begun or over: held, missed or called off
            attendance = Attendance.PENDING
            if past:
                attendance = rng.choices(
                    (Attendance.ATTENDED, Attendance.NO_SHOW, Attendance.CANCELLED), (75, 15, 10)
                )[0]
            # A reminder only on meetings more than half a day away: none is due while the demo
            # is being looked at (the worker would send it).
            remind = not past and start - dt.timedelta(hours=13) > now
            done = min(end, now) if past and attendance != Attendance.CANCELLED else None
            rows.append(Activity(
                kind=ActivityKind.MEETING, subject=rng.choice(MEETING_SUBJECTS),
                contact=contact, company_id=contact.company_id, owner=rep,
                due_at=start, ends_at=end, place=rng.choice(PLACES), attendance=attendance,
                done_at=done, outcome=Outcome.REACHED if attendance == Attendance.ATTENDED else "",
                duration_minutes=int((done - start).total_seconds() // 60) if done else None,
                priority=Priority.HIGH if rng.random() < 0.2 else Priority.NORMAL,
                reminder_minutes=60 if remind else None,
                remind_at=start - dt.timedelta(hours=1) if remind else None,
                created_by=rep, created_at=created, updated_at=done or created, source="demo",
            ))  # fmt: skip
        day += dt.timedelta(days=1)
    return rows


def seed_stage_rules() -> int:
    """Give the real-estate pipeline's *Cotizado* stage its follow-up rule (once)."""
    from clientela.deals.models import Stage, StageRule

    stage = Stage.objects.filter(pipeline__name="Lotes en Florida", name="Cotizado").first()
    if stage is None or StageRule.objects.filter(stage=stage).exists():
        return 0
    StageRule.objects.create(
        stage=stage, subject="Hacer seguimiento a la cotización", due_hours=24,
        priority=Priority.HIGH,
    )  # fmt: skip
    return 1


def activity_event(activity: Activity, verb: str) -> Event:
    """Build the timeline event the service would have written for a demo activity."""
    logged = activity.done_at is not None
    data: dict[str, object] = {
        "activity_id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "owner": activity.owner.get_full_name(),
        "owner_id": activity.owner_id,
        "source": "demo",
    }
    if logged:
        data.update(done_at=activity.done_at.isoformat() if activity.done_at else None)
        if activity.outcome:
            data["outcome"] = activity.outcome
        if activity.duration_minutes is not None:
            data["duration_minutes"] = activity.duration_minutes
    elif activity.due_at:
        data["due_at"] = activity.due_at.isoformat()
    if activity.priority and activity.priority != Priority.NORMAL:
        data["priority"] = activity.priority
    for name in ("direction", "place", "attendance"):
        if getattr(activity, name):
            data[name] = getattr(activity, name)
    if activity.ends_at:
        data["ends_at"] = activity.ends_at.isoformat()
    return build_event(
        verb,
        actor=activity.owner,
        target=activity,
        via=Via.SEED,
        data=data,
        contact_id=activity.contact_id,
        company_id=activity.company_id,
        at=activity.done_at or activity.created_at,
    )
