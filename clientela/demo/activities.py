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
from clientela.activities.choices import ActivityKind, ActivityVerb, Outcome
from clientela.activities.models import Activity, Notification
from clientela.contacts.models import Contact
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events

REPS = ("ana", "carlos", "luisa")
# (kind, subject, hours from now the task is due; under 12: later today): each rep's open work.
TASKS = (
    (ActivityKind.CALL, "Llamar dentro de 24 h", -30),
    (ActivityKind.TASK, "Enviar la cotización del lote en Ocala", -4),
    (ActivityKind.CALL, "Confirmar la visita virtual al lote", 2),
    (ActivityKind.EMAIL, "Enviar el plano y las fotos del lote", 5),
    (ActivityKind.MEETING, "Videollamada con la familia para cerrar", 28),
    (ActivityKind.TASK, "Revisar el pago de la cuota inicial", 52),
    (ActivityKind.CALL, "Seguimiento después del webinar", 75),
    (ActivityKind.TASK, "Pedir la copia del pasaporte", 150),
)
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
        for index, (kind, subject, hours) in enumerate(TASKS):
            contact = contacts[index % len(contacts)]
            due = now + dt.timedelta(hours=hours)
            if 0 < hours < 12:  # due later today, whatever the hour the demo is loaded
                due = now + (end_of_today - local) * (hours / 12)
            opened = max(contact.created_at, now - dt.timedelta(days=3))
            rows.append(Activity(
                kind=kind, subject=subject, contact=contact, company_id=contact.company_id,
                owner=rep, due_at=due, created_by=rep, created_at=opened,
                updated_at=opened, source="demo",
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
            ))  # fmt: skip
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
