"""Demo sales: the real-estate pipeline and a second one, ~1,500 deals over two years.

Every deal walks the story's funnel *Nuevo → Agendado → Asistió a la cita → Cotizado →
(Nutrición) → Cierre ganado / perdido* with its stage history, owned by the demo reps and
linked to demo contacts; recent deals are still open, most with a next step planned. Plots are
priced in USD and converted with the demo's daily USD rate.

Deterministic: the same seed gives the same deals, placed relative to the day the demo is
loaded. No deal starts before its contact exists, and no moment is in the future.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import User
from clientela.activities.choices import ActivityKind, ActivityVerb
from clientela.activities.models import Activity
from clientela.contacts.models import Contact
from clientela.deals.choices import Attendance, Authority, DealVerb, StageKind, Timeframe
from clientela.deals.models import Deal, LostReason, Pipeline, Stage, StageHistory
from clientela.deals.services import refresh_furthest_positions
from clientela.orders.models import ExchangeRate
from clientela.orders.queries import company_currency
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events

REPS = ("ana", "carlos", "luisa")
DAYS = 730
# (name, probability, kind, rotting days)
LOTS = (
    ("Nuevo", 10, StageKind.OPEN, 3),
    ("Agendado", 25, StageKind.OPEN, 7),
    ("Asistió a la cita", 45, StageKind.OPEN, 7),
    ("Cotizado", 65, StageKind.OPEN, 10),
    ("Nutrición", 30, StageKind.OPEN, 30),
    ("Cierre ganado", 100, StageKind.WON, None),
    ("Cierre perdido", 0, StageKind.LOST, None),
)
RESALE = (
    ("Nuevo", 10, StageKind.OPEN, 5),
    ("Visita al lote", 40, StageKind.OPEN, 10),
    ("Propuesta", 70, StageKind.OPEN, 14),
    ("Ganado", 100, StageKind.WON, None),
    ("Perdido", 0, StageKind.LOST, None),
)
# Chance to go on from each open stage of LOTS (the rest are lost there), and the days it takes.
ONWARD = {"Nuevo": 0.62, "Agendado": 0.7, "Asistió a la cita": 0.65, "Cotizado": 0.55}
STAY_DAYS = {"Nuevo": (0, 4), "Agendado": (2, 10), "Asistió a la cita": (1, 12),
             "Cotizado": (3, 20), "Nutrición": (15, 80)}  # fmt: skip
LOTS_SOLD = ("Lote", "Parcela", "Terreno")
PLACES = ("Ocala", "Lehigh Acres", "Port Charlotte", "Palm Coast", "Cape Coral", "Deltona")
NEXT_STEPS = (
    "Llamar para confirmar la cita",
    "Enviar la cotización del lote",
    "Videollamada con la familia",
    "Enviar fotos y plano del lote",
    "Seguimiento después del webinar",
)
CENT = Decimal("0.01")
_LIVE: dict[int, dict[str, Stage]] = {}  # each pipeline's stages by name, read once per run


@dataclass
class _Walk:
    """One demo deal being built: the row, its stays and the events that tell them."""

    deal: Deal
    stays: list[tuple[Stage, dt.datetime, dt.datetime | None]] = field(default_factory=list)


def _pipeline(
    name: str, stages: tuple[tuple[str, int, str, int | None], ...], position: int
) -> Pipeline:
    pipeline = Pipeline.objects.filter(name=name).first()
    if pipeline is None:
        pipeline = Pipeline.objects.create(name=name, position=position)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, name=stage, probability=p, kind=kind, rotting_days=days,
                  position=i)
            for i, (stage, p, kind, days) in enumerate(stages, start=1)
        )  # fmt: skip
    return pipeline


def _rate(rates: dict[dt.date, Decimal], day: dt.date) -> Decimal:
    """Return the USD rate in force on `day` (the latest on or before it); 1 in USD."""
    if company_currency() == "USD":
        return Decimal(1)
    for back in range(0, 30):
        found = rates.get(day - dt.timedelta(days=back))
        if found is not None:
            return found
    return next(iter(rates.values()), Decimal("4100"))


def seed_deals(seed: int = 2026, count: int = 1500, now: dt.datetime | None = None) -> int:
    """Give the demo company its pipelines and deals (once); return how many deals were made."""
    if Deal.objects.exists():
        return 0
    _LIVE.clear()
    now = now or timezone.now()
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=(*REPS, "gerente"))}
    reps = [users[name] for name in REPS if name in users]
    contacts = list(
        Contact.objects.filter(deleted_at__isnull=True).order_by("id").only(
            "id", "company_id", "owner_id", "created_at", "source", "first_utm_source",
            "first_utm_medium", "first_utm_campaign",
        )
    )  # fmt: skip
    if not reps or not contacts:
        return 0
    lots = _pipeline("Lotes en Florida", LOTS, 1)
    resale = _pipeline("Reventa y arriendos", RESALE, 2)
    Pipeline.objects.filter(name="Ventas", deals__isnull=True).update(is_archived=True)
    Pipeline.objects.filter(pk=lots.pk).update(position=0)
    reasons = list(LostReason.objects.filter(is_active=True).order_by("position"))
    if not reasons:
        reasons = [LostReason.objects.create(name="Precio", position=1)]
    rates = dict(ExchangeRate.objects.filter(currency="USD").values_list("date", "rate"))
    by_owner = {rep.pk: rep for rep in reps}
    walks: list[_Walk] = []
    start = now - dt.timedelta(days=DAYS)
    for index in range(count):
        contact = contacts[rng.randrange(len(contacts))]
        owner = by_owner.get(contact.owner_id or 0) or reps[index % len(reps)]
        opened = start + dt.timedelta(seconds=rng.uniform(0, DAYS * 86400))
        opened = max(opened, contact.created_at + dt.timedelta(minutes=5))
        if opened >= now - dt.timedelta(hours=1):
            continue
        pipeline, stages = (resale, RESALE) if index % 9 == 8 else (lots, LOTS)
        walks.append(_walk(rng, pipeline, stages, contact, owner, opened, now, reasons, rates))
    return _store(walks, now, rng)


def _walk(
    rng: random.Random,
    pipeline: Pipeline,
    stages: tuple[tuple[str, int, str, int | None], ...],
    contact: Contact,
    owner: User,
    opened: dt.datetime,
    now: dt.datetime,
    reasons: list[LostReason],
    rates: dict[dt.date, Decimal],
) -> _Walk:
    """Walk one deal through the funnel from `opened` until it closes or reaches today."""
    live = _LIVE.get(pipeline.pk) or _LIVE.setdefault(
        pipeline.pk, {s.name: s for s in pipeline.stages.all()}
    )
    open_names = [name for name, _p, kind, _d in stages if kind == StageKind.OPEN]
    won = next(live[name] for name, _p, kind, _d in stages if kind == StageKind.WON)
    lost = next(live[name] for name, _p, kind, _d in stages if kind == StageKind.LOST)
    usd = Decimal(rng.randrange(18, 95) * 1000)
    rate = _rate(rates, timezone.localdate(opened))
    sold = f"{rng.choice(LOTS_SOLD)} {rng.randint(1, 240)} en {rng.choice(PLACES)}"
    deal = Deal(
        title=sold, contact_id=contact.pk, company_id=contact.company_id, owner=owner,
        pipeline=pipeline, amount=usd, currency="USD",
        amount_company=(usd * rate).quantize(CENT, ROUND_HALF_UP), rate=rate,
        source=contact.source, utm_source=contact.first_utm_source,
        utm_medium=contact.first_utm_medium, utm_campaign=contact.first_utm_campaign,
        budget=(usd * Decimal(rng.choice(("0.8", "1", "1.2")))).quantize(CENT),
        authority=rng.choice([Authority.ALONE, Authority.FAMILY, Authority.FAMILY, Authority.COMMITTEE, ""]),
        timeframe=rng.choice([Timeframe.NOW, Timeframe.QUARTER, Timeframe.HALF, Timeframe.LATER, ""]),
        need=rng.choice(("Inversión a largo plazo", "Construir casa de vacaciones", "Herencia para los hijos", "")),
        created_at=opened, created_by=owner,
        # The deal custom field seeding defines; larger plots are mostly bought on credit.
        custom={"financiacion": "Crédito" if usd >= 50_000 else "Contado"},
    )  # fmt: skip
    walk = _Walk(deal)
    final = _funnel(rng, walk, live, open_names, won, lost, opened, now)
    deal.stage = final
    deal.state = final.kind
    deal.stage_entered_at = walk.stays[-1][1]
    deal.updated_at = deal.stage_entered_at
    if final.kind != StageKind.OPEN:
        deal.closed_at = deal.stage_entered_at
        deal.expected_close = timezone.localdate(deal.closed_at)
    else:
        deal.expected_close = timezone.localdate(now) + dt.timedelta(days=rng.randint(7, 120))
    if final.kind == StageKind.LOST:
        deal.lost_reason = rng.choice(reasons)
    deal.version = len(walk.stays)
    return walk


def _stay(
    rng: random.Random, walk: _Walk, stage: Stage, moment: dt.datetime, now: dt.datetime
) -> dt.datetime | None:
    """Enter a stage; return when the deal left it, or None when it is still there today."""
    low, high = STAY_DAYS.get(stage.name, (2, 14))
    leave = moment + dt.timedelta(days=rng.uniform(low, high), hours=rng.uniform(1, 8))
    if leave >= now:
        walk.stays.append((stage, moment, None))
        return None
    walk.stays.append((stage, moment, leave))
    return leave


def _funnel(
    rng: random.Random,
    walk: _Walk,
    live: dict[str, Stage],
    open_names: list[str],
    won: Stage,
    lost: Stage,
    opened: dt.datetime,
    now: dt.datetime,
) -> Stage:
    """Move the deal stage by stage; return the stage it ends in (open when it reached today)."""
    deal = walk.deal
    path = [name for name in open_names if name != "Nutrición"]
    moment = opened
    for index, name in enumerate(path):
        left = _stay(rng, walk, live[name], moment, now)
        if left is None:
            return live[name]
        moment = left
        if name == "Asistió a la cita":
            deal.attendance = Attendance.YES
        if index < len(path) - 1:
            if rng.random() > ONWARD.get(name, 0.6):
                if name == "Agendado":
                    deal.attendance = Attendance.NO_SHOW
                walk.stays.append((lost, moment, None))
                return lost
            continue
        chance = 0.55
        if "Nutrición" in live and rng.random() < 0.3:
            left = _stay(rng, walk, live["Nutrición"], moment, now)
            if left is None:
                return live["Nutrición"]
            moment, chance = left, 0.35
        final = won if rng.random() < chance else lost
        walk.stays.append((final, moment, None))
        return final
    return walk.stays[-1][0]


def _store(walks: list[_Walk], now: dt.datetime, rng: random.Random) -> int:
    """Write the deals, their stays, their next steps and the events that tell them."""
    with transaction.atomic():
        deals = Deal.objects.bulk_create([w.deal for w in walks], batch_size=500)
        stays: list[StageHistory] = []
        events: list[Event] = []
        tasks: list[Activity] = []
        for walk, deal in zip(walks, deals, strict=True):
            previous: Stage | None = None
            for stage, entered, left in walk.stays:
                stays.append(StageHistory(
                    deal=deal, stage=stage, entered_at=entered, left_at=left,
                    entered_by=deal.owner, left_by=deal.owner if left else None,
                ))  # fmt: skip
                events.append(_event(deal, stage, previous, entered))
                previous = stage
            if deal.state == StageKind.OPEN and rng.random() < 0.7:
                due = now + dt.timedelta(hours=rng.randint(2, 24 * 10))
                tasks.append(Activity(
                    kind=rng.choice([ActivityKind.CALL, ActivityKind.TASK, ActivityKind.MEETING]),
                    subject=rng.choice(NEXT_STEPS), contact_id=deal.contact_id,
                    company_id=deal.company_id, deal=deal, owner=deal.owner, due_at=due,
                    created_by=deal.owner, created_at=deal.stage_entered_at,
                    updated_at=deal.stage_entered_at, source="demo",
                ))  # fmt: skip
        StageHistory.objects.bulk_create(stays, batch_size=1000)
        refresh_furthest_positions(deal_ids=[d.pk for d in deals])
        created = Activity.objects.bulk_create(tasks, batch_size=500)
        events += [_task_event(task) for task in created]
        record_events(events)
    return len(deals)


def _event(deal: Deal, stage: Stage, previous: Stage | None, at: dt.datetime) -> Event:
    """Build the event the services would have written for a stage the deal entered."""
    data: dict[str, Any] = {
        "deal_id": deal.pk, "title": deal.title, "pipeline": deal.pipeline.name,
        "stage": stage.name, "stage_id": stage.pk, "amount": str(deal.amount),
        "currency": deal.currency, "owner": deal.owner.get_full_name(), "owner_id": deal.owner_id,
    }  # fmt: skip
    if previous is None:
        return build_event(
            DealVerb.CREATED, actor=deal.owner, target=deal, via=Via.SEED, data=data,
            contact_id=deal.contact_id, company_id=deal.company_id, at=at,
        )  # fmt: skip
    data.update(from_stage=previous.name, from_stage_id=previous.pk, kind=stage.kind)
    if stage.kind == StageKind.LOST and deal.lost_reason is not None:
        data["lost_reason"] = deal.lost_reason.name
    return build_event(
        DealVerb.MOVED, actor=deal.owner, target=deal, via=Via.SEED, data=data,
        contact_id=deal.contact_id, company_id=deal.company_id, at=at,
    )  # fmt: skip


def _task_event(task: Activity) -> Event:
    """Build the event of a demo deal's planned next step."""
    return build_event(
        ActivityVerb.TASK_CREATED, actor=task.owner, target=task, via=Via.SEED,
        data={"activity_id": task.pk, "kind": task.kind, "subject": task.subject,
              "owner": task.owner.get_full_name(), "owner_id": task.owner_id,
              "due_at": task.due_at.isoformat() if task.due_at else None, "source": "demo"},
        contact_id=task.contact_id, company_id=task.company_id, at=task.created_at,
    )  # fmt: skip
