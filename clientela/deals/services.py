"""The only code that writes pipelines, stages, lost reasons, deals and their stage history.

Every change of a deal writes its event on the deal's and its contact's timeline (and the
audit log); pipeline and lost-reason settings write theirs in the audit log. `actor=None` is
the system (the demo, a future journey step): it skips the role checks a person goes through.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.db import transaction
from django.db.models import ForeignKey, Max, OuterRef, ProtectedError, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import Department, User
from clientela.accounts.queries import assignable_owners
from clientela.activities import services as activity_services
from clientela.activities.choices import ActivityKind
from clientela.activities.models import Activity
from clientela.contacts.choices import Source
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import (
    custom_fields_for,
    get_company_for_user,
    get_contact_for_user,
)
from clientela.contacts.validation import clean_custom
from clientela.core.compiled import CompiledQuery
from clientela.core.events import Via, jsonable
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.core.numbers import fit_decimal
from clientela.deals import lines as deal_lines
from clientela.deals.choices import (
    DEAL_ENTITY,
    Attendance,
    Authority,
    DealVerb,
    StageKind,
    Timeframe,
)
from clientela.deals.models import Deal, LostReason, Pipeline, Stage, StageHistory
from clientela.deals.queries import (
    can_manage_pipelines,
    can_reassign,
    can_write,
    pipelines_visible_to,
)
from clientela.deals.stage_rules import apply_stage_rules
from clientela.orders.queries import company_currency, convert
from clientela.timeline.services import record_event

TITLE_MAX = 200
NAME_MAX = 100
NEED_MAX = 5000
NOTE_MAX = 500
ROTTING_MAX = 3650
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class StaleVersion(Conflict):
    """The deal changed since the caller read it; `current` is its version now."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


class StateListener(Protocol):
    """A higher app's reaction to a deal changing state (open, won, lost) inside the move."""

    def __call__(self, deal: Deal, before: str, *, actor: User | None, via: str) -> None:
        """React to `deal` having left the state `before`."""


_state_listeners: list[StateListener] = []


def register_state_listener(listener: StateListener) -> None:
    """Call `listener` in the move's transaction each time a deal changes state (from ready()).

    Billing feeds Orders from won deals this way; an exception refuses the move.
    """
    if listener not in _state_listeners:
        _state_listeners.append(listener)


# --- parsing -----------------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, *, required: bool = False, line: bool = True) -> str:
    raw = str(value if value is not None else "")
    text = " ".join(raw.split()) if line else raw.strip()
    if required and not text:
        raise ValidationFailed({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationFailed({field: _("Use at most %(limit)d characters.") % {"limit": limit}})
    return text


def _money(value: Any, field: str, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            return Decimal(0)
        return None
    if isinstance(value, bool):
        raise ValidationFailed({field: _("Enter a number.")})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationFailed({field: _("Enter a number.")})
    if number < 0:
        raise ValidationFailed({field: _("The amount cannot be negative.")})
    fitted = fit_decimal(number, max_digits=16, decimal_places=2)
    if fitted is None:
        raise ValidationFailed({field: _("The amount is too large.")})
    return fitted


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper() or company_currency()
    if not CURRENCY_RE.match(code):
        raise ValidationFailed({"currency": _("Enter a three-letter currency code (USD, COP…).")})
    return code


def _choice(value: Any, field: str, choices: Sequence[str]) -> str:
    code = str(value if value is not None else "")
    if code not in choices:
        raise ValidationFailed({field: _("Select a valid choice.")})
    return code


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationFailed({field: _("Enter a valid date.")}) from exc


def _int(value: Any, field: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if optional and (value is None or value == ""):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ValidationFailed(
            {
                field: _("Enter a whole number between %(low)d and %(high)d.")
                % {"low": low, "high": high}
            }
        )
    return number


# --- deals -------------------------------------------------------------------------------------


def _check_writer(actor: User | None) -> None:
    if actor is not None and not can_write(actor):
        raise Forbidden(_("Your role can only read deals."))


def _check_owner(actor: User | None, owner: User) -> None:
    if not owner.is_active:
        raise ValidationFailed({"owner": _("This user is not active.")})
    if actor is None or owner.pk == actor.pk:
        return
    if not can_reassign(actor):
        raise Forbidden(_("Your role cannot give deals to other people."))
    if not assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationFailed({"owner": _("You cannot give deals to this user.")})


def _check_customer(
    actor: User | None, contact: Contact | None, company: Company | None
) -> Company | None:
    if actor is not None:
        if contact is not None:
            get_contact_for_user(actor, contact.pk)
        if company is not None:
            get_company_for_user(actor, company.pk)
    if company is None and contact is not None and contact.company_id is not None:
        return contact.company
    return company


def _stage_in(pipeline: Pipeline, stage: Stage | None) -> Stage:
    if stage is None:
        first = (
            pipeline.stages.filter(is_archived=False, kind=StageKind.OPEN)
            .order_by("position", "id")
            .first()
        )
        if first is None:
            raise ValidationFailed({"stage": _("This pipeline has no open stage.")})
        return first
    if stage.pipeline_id != pipeline.pk or stage.is_archived:
        raise ValidationFailed({"stage": _("Choose a stage of this pipeline.")})
    return stage


def _event_data(deal: Deal, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "deal_id": deal.pk,
        "title": deal.title,
        "pipeline": deal.pipeline.name,
        "stage": deal.stage.name,
        "stage_id": deal.stage_id,
        "amount": str(deal.amount),
        "currency": deal.currency,
        "owner": deal.owner.get_full_name() or deal.owner.username,
        "owner_id": deal.owner_id,
    }
    data.update(extra)
    return data


def _record(
    verb: str, deal: Deal, actor: User | None, via: str, at: dt.datetime | None = None, **extra: Any
) -> None:
    record_event(
        verb,
        actor=actor,
        target=deal,
        via=via,
        data=_event_data(deal, **extra),
        contact_id=deal.contact_id,
        company_id=deal.company_id,
        at=at,
    )


def _apply_money(deal: Deal, amount: Decimal, currency: str, day: dt.date) -> None:
    converted = convert(amount, currency, day, field="currency")
    deal.amount, deal.currency = amount, currency
    deal.amount_company, deal.rate = converted.amount, converted.rate


def _inherit_source(deal: Deal, contact: Contact | None) -> None:
    if contact is None:
        return
    deal.source = contact.source
    last = bool(contact.last_utm_source or contact.last_utm_campaign)
    deal.utm_source = contact.last_utm_source if last else contact.first_utm_source
    deal.utm_medium = contact.last_utm_medium if last else contact.first_utm_medium
    deal.utm_campaign = contact.last_utm_campaign if last else contact.first_utm_campaign


def _custom(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deal's custom values after `values` (typed, JSON-safe; "" or None clears one).

    Keys are the active deal custom fields' keys; an unknown key or a bad value is a field
    error under `custom.<key>`, all of them at once.
    """
    if not isinstance(values, Mapping):
        raise ValidationFailed({"custom": _("Give the custom fields as an object of values.")})
    if not values:
        return dict(current)
    errors: dict[str, list[str]] = {}
    clean = clean_custom(values, custom_fields_for(DEAL_ENTITY), errors)
    if errors:
        raise ValidationFailed(errors)
    merged = {**current, **clean}
    return {key: value for key, value in merged.items() if value is not None}


def _source(value: Any) -> str:
    code = str(value or "").strip()
    if code and code not in Source.values:
        raise ValidationFailed({"source": _("Select a valid choice.")})
    return code


def _reach(stage: Stage) -> int | None:
    """Return how far a stay in `stage` takes a deal in the funnel (None: a lost stage)."""
    return stage.position if stage.kind != StageKind.LOST else None


def _furthest_stays(pipeline_ref: Any) -> Subquery:
    """Return the furthest position of the outer deal's stays in `pipeline_ref`'s stages."""
    return Subquery(
        StageHistory.objects.filter(
            deal_id=OuterRef("pk"),
            stage__pipeline_id=pipeline_ref,
            stage__kind__in=[StageKind.OPEN, StageKind.WON],
        )
        .order_by()
        .values("deal_id")
        .annotate(furthest=Max("stage__position"))
        .values("furthest")
    )


def refresh_furthest_positions(
    *, pipeline_id: int | None = None, deal_ids: Sequence[int] | None = None
) -> int:
    """Recompute deals' furthest stage position from their stage history; return how many.

    For paths that write stays straight to the table (the demo, factories) and for stage
    changes that move positions or kinds (every deal of the pipeline). One UPDATE.
    """
    qs = Deal.objects.all()
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    if deal_ids is not None:
        qs = qs.filter(pk__in=list(deal_ids))
    return qs.update(furthest_position=_furthest_stays(OuterRef("pipeline_id")))


QUALIFICATION = ("budget", "authority", "need", "timeframe", "attendance")


def _qualify(deal: Deal, data: Mapping[str, Any]) -> None:
    if "budget" in data:
        deal.budget = _money(data["budget"], "budget")
    if "authority" in data:
        deal.authority = _choice(data["authority"] or "", "authority", Authority.values)
    if "need" in data:
        deal.need = _text(data["need"], "need", NEED_MAX, line=False)
    if "timeframe" in data:
        deal.timeframe = _choice(data["timeframe"] or "", "timeframe", Timeframe.values)
    if "attendance" in data:
        deal.attendance = _choice(
            data["attendance"] or Attendance.PENDING, "attendance", Attendance.values
        )


@transaction.atomic
def create_deal(
    *,
    actor: User | None,
    title: str,
    pipeline: Pipeline,
    stage: Stage | None = None,
    owner: User | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    amount: Any = 0,
    currency: str = "",
    expected_close: Any = None,
    qualification: Mapping[str, Any] | None = None,
    lost_reason: LostReason | None = None,
    custom: Mapping[str, Any] | None = None,
    source: str | None = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Deal:
    """Open a deal in a stage of a pipeline (its first open stage by default).

    The amount is converted to the company currency at the rate in force today (a missing rate
    is a field error naming it); source and UTM come from the contact unless `source` (a
    contact source code) is given. `custom` holds deal custom field values by key.
    """
    _check_writer(actor)
    who = owner or actor
    if who is None:
        raise ValidationFailed({"owner": _("Say who owns the deal.")})
    _check_owner(actor, who)
    if actor is not None and not pipelines_visible_to(actor).filter(pk=pipeline.pk).exists():
        raise NotFound(_("Pipeline not found."))
    if pipeline.is_archived:
        raise ValidationFailed({"pipeline": _("This pipeline is archived.")})
    stage = _stage_in(pipeline, stage)
    company = _check_customer(actor, contact, company)
    now = at or timezone.now()
    deal = Deal(
        title=_text(title, "title", TITLE_MAX, required=True),
        contact=contact,
        company=company,
        owner=who,
        pipeline=pipeline,
        stage=stage,
        state=stage.kind,
        expected_close=_date(expected_close, "expected_close"),
        created_by=actor,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        furthest_position=_reach(stage),
    )
    amount_value = _money(amount, "amount", required=True)
    assert amount_value is not None
    _apply_money(deal, amount_value, _currency(currency), timezone.localdate(now))
    _inherit_source(deal, contact)
    if source is not None:
        deal.source = _source(source)
    _qualify(deal, qualification or {})
    deal.custom = _custom(custom or {}, {})
    if stage.kind == StageKind.LOST:
        deal.lost_reason = _lost_reason(lost_reason)
    if stage.kind != StageKind.OPEN:
        deal.closed_at = now
    deal.save()
    StageHistory.objects.create(deal=deal, stage=stage, entered_at=now, entered_by=actor)
    _record(DealVerb.CREATED, deal, actor, via, at=at)
    apply_stage_rules(deal, stage, actor=actor, now=now)
    return deal


def _lost_reason(reason: LostReason | None) -> LostReason:
    if reason is None:
        raise ValidationFailed({"lost_reason": _("Say why the deal was lost.")})
    if not reason.is_active:
        raise ValidationFailed({"lost_reason": _("This lost reason is no longer offered.")})
    return reason


_DEAL_NAMES = tuple(f.attname for f in Deal._meta.concrete_fields)
# Every change of a deal starts by locking its row: compiled once per process (core.compiled).
# No joins under FOR UPDATE: PostgreSQL re-checks a joined row after the lock is granted, and
# a concurrent move changes the stage the join matched (the row would vanish).
_LOCK = CompiledQuery(
    lambda pk: Deal.objects.select_for_update().filter(pk=pk).order_by().values_list(*_DEAL_NAMES),
    [int],
)


def _locked(deal: Deal, actor: User | None, expected_version: int | None) -> Deal:
    _check_writer(actor)
    row = _LOCK.first(deal.pk)  # inside the caller's transaction (every caller is atomic)
    if row is None:
        raise Deal.DoesNotExist("Deal matching query does not exist.")
    locked = Deal.from_db("default", _DEAL_NAMES, row)
    for name in ("owner", "pipeline", "stage", "contact", "company", "lost_reason"):
        # The caller's copy read them already: reuse those still current (no query each).
        relation = Deal._meta.get_field(name)
        assert isinstance(relation, ForeignKey)
        same = getattr(deal, f"{name}_id") == getattr(locked, f"{name}_id")
        if same and relation.is_cached(deal):
            relation.set_cached_value(locked, relation.get_cached_value(deal))
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            _(
                "Someone else changed this deal meanwhile: it is now in “%(stage)s”. Reload it and try again."
            )
            % {"stage": locked.stage.name},
            locked.version,
        )
    return locked


def _save(locked: Deal, fields: list[str], now: dt.datetime) -> None:
    locked.version += 1
    locked.updated_at = now
    locked.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def move_deal(
    deal: Deal,
    *,
    stage: Stage,
    actor: User | None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    expected_version: int | None = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Deal:
    """Move a deal to another stage (of its pipeline, or of another one the actor may open).

    Closes its open stay in the stage history and opens the next; a lost stage needs a lost
    reason, a won or lost one closes the deal, an open one reopens it. A stale
    `expected_version` is refused with StaleVersion (the current version inside). Moving to
    the stage it is in changes nothing.
    """
    locked = _locked(deal, actor, expected_version)
    if stage.pk == locked.stage_id:
        # Nothing moves; the caller's stage row (and its pipeline, when read) is the deal's.
        locked.stage = stage
        if stage.pipeline_id == locked.pipeline_id and Stage.pipeline.is_cached(stage):
            locked.pipeline = stage.pipeline
        return locked
    if stage.is_archived:
        raise ValidationFailed({"stage": _("This stage is archived.")})
    if (
        stage.pipeline_id != locked.pipeline_id
        and actor is not None
        and not pipelines_visible_to(actor).filter(pk=stage.pipeline_id).exists()
    ):
        raise ValidationFailed({"stage": _("Choose a stage of this pipeline.")})
    reason = _lost_reason(lost_reason) if stage.kind == StageKind.LOST else None
    note = _text(lost_note, "lost_note", NOTE_MAX) if stage.kind == StageKind.LOST else ""
    now = at or timezone.now()
    before = locked.stage
    before_state = locked.state
    left = StageHistory.objects.filter(deal_id=locked.pk, left_at__isnull=True).update(
        left_at=now, left_by=actor
    )
    if not left:  # a deal written straight to the table (a factory, an import): start its history
        StageHistory.objects.create(
            deal=locked, stage=before, entered_at=locked.stage_entered_at, left_at=now,
            left_by=actor,
        )  # fmt: skip
    StageHistory.objects.create(deal=locked, stage=stage, entered_at=now, entered_by=actor)
    if stage.pipeline_id == locked.pipeline_id:
        reached = [locked.furthest_position, _reach(stage), None if left else _reach(before)]
        locked.furthest_position = max((r for r in reached if r is not None), default=None)
    else:  # another pipeline: how far the deal had gone in it before, if it was there
        locked.furthest_position = StageHistory.objects.filter(
            deal_id=locked.pk,
            stage__pipeline_id=stage.pipeline_id,
            stage__kind__in=[StageKind.OPEN, StageKind.WON],
        ).aggregate(furthest=Max("stage__position"))["furthest"]
    locked.stage, locked.pipeline_id, locked.state = stage, stage.pipeline_id, stage.kind
    locked.stage_entered_at = now
    locked.lost_reason, locked.lost_note = reason, note
    locked.closed_at = None if stage.kind == StageKind.OPEN else now
    _save(
        locked,
        [
            "stage",
            "pipeline",
            "state",
            "stage_entered_at",
            "lost_reason",
            "lost_note",
            "closed_at",
            "furthest_position",
        ],
        now,
    )
    locked.pipeline = stage.pipeline
    if before_state != locked.state:  # its items follow: won sells, lost releases, open reserves
        deal_lines.after_state_change(locked, before_state, actor=actor, via=via)
        for listener in _state_listeners:
            listener(locked, before_state, actor=actor, via=via)
    extra: dict[str, Any] = {
        "from_stage": before.name,
        "from_stage_id": before.pk,
        "kind": stage.kind,
    }
    if reason is not None:
        extra["lost_reason"] = reason.name
        if note:
            extra["lost_note"] = note
    _record(DealVerb.MOVED, locked, actor, via, at=at, **extra)
    apply_stage_rules(locked, stage, actor=actor, now=now)
    return locked


EDITABLE = (
    "title", "amount", "currency", "expected_close", "owner", "contact", "company",
    "budget", "authority", "need", "timeframe", "attendance", "lost_note",
)  # fmt: skip


@transaction.atomic
def update_deal(
    deal: Deal,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> Deal:
    """Change the fields given; the stage changes only through `move_deal`.

    A new amount or currency is converted at today's rate; handing the deal to another owner
    needs deals.reassign. `custom` changes only the custom fields it names ("" or None clears
    one). A stale `expected_version` is refused with StaleVersion.
    """
    locked = _locked(deal, actor, expected_version)
    before = {
        name: getattr(locked, name if name not in {"owner", "contact", "company"} else f"{name}_id")
        for name in EDITABLE
    }
    before["custom"] = dict(locked.custom or {})
    if "custom" in data:
        locked.custom = _custom(data["custom"] or {}, locked.custom or {})
    now = timezone.now()
    if "title" in data:
        locked.title = _text(data["title"], "title", TITLE_MAX, required=True)
    if "amount" in data or "currency" in data:
        amount = _money(data.get("amount", locked.amount), "amount", required=True)
        assert amount is not None
        if locked.lines.exists() and (
            amount != locked.amount
            or ("currency" in data and _currency(data["currency"]) != locked.currency)
        ):
            raise ValidationFailed(
                {"amount": _("This deal's amount is the total of its lines: change the lines.")}
            )
        _apply_money(
            locked,
            amount,
            _currency(data.get("currency", locked.currency)),
            timezone.localdate(now),
        )
    if "expected_close" in data:
        locked.expected_close = _date(data["expected_close"], "expected_close")
    if "lost_note" in data and locked.state == StageKind.LOST:
        locked.lost_note = _text(data["lost_note"], "lost_note", NOTE_MAX)
    _qualify(locked, data)
    if "owner" in data and data["owner"] is not None:
        owner = data["owner"]
        if not isinstance(owner, User):
            owner = User.objects.filter(pk=owner).first()
            if owner is None:
                raise ValidationFailed({"owner": _("Select a valid user.")})
        if owner.pk != locked.owner_id:
            if actor is not None and not can_reassign(actor):
                raise Forbidden(_("Your role cannot give deals to other people."))
            _check_owner(actor, owner)
            locked.owner = owner
    if "contact" in data or "company" in data:
        contact = data.get("contact", locked.contact)
        company = data.get("company", locked.company if "contact" not in data else None)
        locked.company = _check_customer(actor, contact, company)
        locked.contact = contact
    after = {
        name: getattr(locked, name if name not in {"owner", "contact", "company"} else f"{name}_id")
        for name in EDITABLE
    }
    after["custom"] = dict(locked.custom or {})
    changed = [name for name in after if jsonable(before[name]) != jsonable(after[name])]
    if not changed:
        return locked
    fields = list(changed)
    if "amount" in changed or "currency" in changed:
        fields += ["amount_company", "rate"]
    _save(locked, fields, now)
    changes = {
        name: [jsonable(before[name]), jsonable(after[name])]
        for name in changed
        if name not in {"owner", "contact", "company"}
    }
    extra: dict[str, Any] = {"changes": changes}
    if "owner" in changed:
        extra["previous_owner_id"] = before["owner"]
    _record(DealVerb.CHANGED, locked, actor, via, **extra)
    return locked


@transaction.atomic
def delete_deal(deal: Deal, *, actor: User | None, via: str = Via.UI) -> None:
    """Delete a deal and its stage history; its events stay on the timelines."""
    locked = _locked(deal, actor, None)
    deal_lines.before_delete(locked, actor=actor, via=via)
    _record(DealVerb.DELETED, locked, actor, via)
    Activity.objects.filter(deal_id=locked.pk).update(deal=None)
    try:
        locked.delete()
    except ProtectedError as exc:  # its quotes and invoices are documents: they stay
        raise Conflict(
            _("This deal has quotes or invoices, which are kept: it cannot be deleted.")
        ) from exc


def plan_next_step(
    deal: Deal,
    *,
    actor: User,
    subject: str,
    due_at: dt.datetime | None,
    kind: str = ActivityKind.TASK,
    via: str = Via.UI,
) -> Activity:
    """Give the deal's owner (or the actor) an open activity about the deal: its next step."""
    _check_writer(actor)
    owner = deal.owner if deal.owner_id == actor.pk or can_reassign(actor) else actor
    return activity_services.create_task(
        owner=owner,
        subject=subject,
        due_at=due_at,
        contact=deal.contact,
        company=deal.company if deal.contact is None else None,
        kind=kind,
        actor=actor,
        via=via,
        deal_id=deal.pk,
    )


# --- pipelines and stages ----------------------------------------------------------------------


def _check_admin(actor: User | None) -> None:
    if actor is not None and not can_manage_pipelines(actor):
        raise Forbidden(_("Your role cannot set up pipelines."))


def _audit(
    verb: str, target: Pipeline | LostReason, actor: User | None, data: Mapping[str, Any]
) -> None:
    record_event(verb, actor=actor, target=target, via=Via.UI, data=dict(data))


def _stage_values(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = _text(values["name"], "name", NAME_MAX, required=True)
    if "probability" in values:
        out["probability"] = _int(values["probability"], "probability", 0, 100)
    if "kind" in values:
        out["kind"] = _choice(values["kind"], "kind", StageKind.values)
    if "rotting_days" in values:
        out["rotting_days"] = _int(
            values["rotting_days"], "rotting_days", 1, ROTTING_MAX, optional=True
        )
    return out


@transaction.atomic
def create_pipeline(
    *,
    actor: User | None,
    name: str,
    stages: Sequence[Mapping[str, Any]] = (),
    departments: Sequence[Department] = (),
) -> Pipeline:
    """Create a pipeline with its stages in order (name, probability, kind, rotting days).

    Without stages it gets *New*, *Won* and *Lost*; a pipeline needs one open stage.
    """
    _check_admin(actor)
    clean = _text(name, "name", NAME_MAX, required=True)
    rows = [{"probability": 0, "kind": StageKind.OPEN, **_stage_values(row)} for row in stages] or [
        {"name": _("New"), "probability": 10, "kind": StageKind.OPEN},
        {"name": _("Won"), "probability": 100, "kind": StageKind.WON},
        {"name": _("Lost"), "probability": 0, "kind": StageKind.LOST},
    ]
    if not any(row["kind"] == StageKind.OPEN for row in rows):
        raise ValidationFailed({"stages": _("A pipeline needs at least one open stage.")})
    last = Pipeline.objects.order_by("-position").values_list("position", flat=True).first()
    pipeline = Pipeline.objects.create(name=clean, position=(last or 0) + 1)
    pipeline.departments.set(departments)
    Stage.objects.bulk_create(
        [Stage(pipeline=pipeline, position=i, **row) for i, row in enumerate(rows, start=1)]
    )
    _audit(DealVerb.PIPELINE_CHANGED, pipeline, actor, {"action": "created", "name": clean})
    return pipeline


@transaction.atomic
def update_pipeline(
    pipeline: Pipeline,
    *,
    actor: User | None,
    name: str | None = None,
    departments: Sequence[Department] | None = None,
    archived: bool | None = None,
) -> Pipeline:
    """Rename a pipeline, restrict it to departments (none: everyone), archive or restore it."""
    _check_admin(actor)
    changes: dict[str, Any] = {}
    if name is not None:
        clean = _text(name, "name", NAME_MAX, required=True)
        if clean != pipeline.name:
            changes["name"] = [pipeline.name, clean]
            pipeline.name = clean
    if archived is not None and archived != pipeline.is_archived:
        changes["is_archived"] = [pipeline.is_archived, archived]
        pipeline.is_archived = archived
    pipeline.version += 1
    pipeline.save()
    if departments is not None:
        old = sorted(d.name for d in pipeline.departments.all())
        new = sorted(d.name for d in departments)
        if old != new:
            changes["departments"] = [old, new]
            pipeline.departments.set(departments)
    if changes:
        _audit(
            DealVerb.PIPELINE_CHANGED, pipeline, actor, {"action": "changed", "changes": changes}
        )
    return pipeline


@transaction.atomic
def add_stage(pipeline: Pipeline, *, actor: User | None, values: Mapping[str, Any]) -> Stage:
    """Add a stage at the end of the pipeline's open stages (before won and lost)."""
    _check_admin(actor)
    row = {"probability": 0, "kind": StageKind.OPEN, **_stage_values({"name": "", **values})}
    stages = list(pipeline.stages.order_by("position", "id"))
    closed = [s for s in stages if s.kind != StageKind.OPEN]
    at = min((s.position for s in closed), default=len(stages) + 1)
    for s in stages:
        if s.position >= at:
            Stage.objects.filter(pk=s.pk).update(position=s.position + 1)
    stage = Stage.objects.create(pipeline=pipeline, position=at, **row)
    if any(s.position >= at for s in stages):  # the closed stages moved one place on
        refresh_furthest_positions(pipeline_id=pipeline.pk)
    _audit(
        DealVerb.PIPELINE_CHANGED, pipeline, actor, {"action": "stage_added", "stage": stage.name}
    )
    return stage


@transaction.atomic
def update_stage(stage: Stage, *, actor: User | None, values: Mapping[str, Any]) -> Stage:
    """Rename a stage or change its probability, kind or rotting days."""
    _check_admin(actor)
    clean = _stage_values(values)
    if clean.get("kind", stage.kind) != StageKind.OPEN and stage.kind == StageKind.OPEN:
        others = stage.pipeline.stages.filter(kind=StageKind.OPEN, is_archived=False).exclude(
            pk=stage.pk
        )
        if not others.exists():
            raise ValidationFailed({"kind": _("A pipeline needs at least one open stage.")})
        if stage.deals.exists():
            raise ValidationFailed(
                {"kind": _("Move this stage's deals first: their state would change.")}
            )
    if (
        stage.kind != StageKind.OPEN
        and clean.get("kind", stage.kind) != stage.kind
        and stage.deals.exists()
    ):
        raise ValidationFailed(
            {"kind": _("Move this stage's deals first: their state would change.")}
        )
    changes = {k: [getattr(stage, k), v] for k, v in clean.items() if getattr(stage, k) != v}
    for key, value in clean.items():
        setattr(stage, key, value)
    stage.save()
    if "kind" in changes:  # a stay in it counts in the funnel, or no longer does
        refresh_furthest_positions(pipeline_id=stage.pipeline_id)
    if changes:
        _audit(
            DealVerb.PIPELINE_CHANGED, stage.pipeline, actor,
            {"action": "stage_changed", "stage": stage.name, "changes": changes},
        )  # fmt: skip
    return stage


@transaction.atomic
def reorder_stages(pipeline: Pipeline, *, actor: User | None, order: Sequence[int]) -> None:
    """Put the pipeline's stages in the order of their ids (every live stage, once)."""
    _check_admin(actor)
    live = set(pipeline.stages.filter(is_archived=False).values_list("pk", flat=True))
    ids = [int(pk) for pk in order]
    if set(ids) != live or len(ids) != len(live):
        raise ValidationFailed({"order": _("List every stage of the pipeline once.")})
    for position, pk in enumerate(ids, start=1):
        Stage.objects.filter(pk=pk).update(position=position)
    refresh_furthest_positions(pipeline_id=pipeline.pk)
    _audit(DealVerb.PIPELINE_CHANGED, pipeline, actor, {"action": "stages_reordered"})


@transaction.atomic
def remove_stage(
    stage: Stage, *, actor: User | None, move_to: Stage | None = None, via: str = Via.UI
) -> int:
    """Remove a stage; its deals must go to `move_to` first (moved one by one, with history).

    Returns how many deals were moved. The stage stays archived for its history rows.
    """
    _check_admin(actor)
    deals = list(Deal.objects.filter(stage_id=stage.pk).order_by("id"))
    if deals and move_to is None:
        raise ValidationFailed(
            {
                "move_to": _("This stage holds %(count)d deals: choose the stage to move them to.")
                % {"count": len(deals)}
            }
        )
    if move_to is not None and (
        move_to.pk == stage.pk or move_to.pipeline_id != stage.pipeline_id or move_to.is_archived
    ):
        raise ValidationFailed({"move_to": _("Choose another stage of this pipeline.")})
    if move_to is not None and move_to.kind == StageKind.LOST and deals:
        raise ValidationFailed(
            {
                "move_to": _(
                    "Deals moved to a lost stage need a reason each: move them from the board."
                )
            }
        )
    others = stage.pipeline.stages.filter(kind=StageKind.OPEN, is_archived=False).exclude(
        pk=stage.pk
    )
    if stage.kind == StageKind.OPEN and not others.exists():
        raise ValidationFailed({"move_to": _("A pipeline needs at least one open stage.")})
    for deal in deals:
        assert move_to is not None
        move_deal(deal, stage=move_to, actor=None, via=via)
    stage.is_archived = True
    stage.save(update_fields=["is_archived"])
    _audit(
        DealVerb.PIPELINE_CHANGED, stage.pipeline, actor,
        {"action": "stage_removed", "stage": stage.name, "moved": len(deals)},
    )  # fmt: skip
    return len(deals)


# --- lost reasons ------------------------------------------------------------------------------


@transaction.atomic
def add_lost_reason(*, actor: User | None, name: str) -> LostReason:
    """Offer one more lost reason, at the end of the list."""
    _check_admin(actor)
    clean = _text(name, "name", NAME_MAX, required=True)
    if LostReason.objects.filter(name__iexact=clean).exists():
        raise ValidationFailed({"name": _("This lost reason exists already.")})
    last = LostReason.objects.order_by("-position").values_list("position", flat=True).first()
    reason = LostReason.objects.create(name=clean, position=(last or 0) + 1)
    _audit(DealVerb.LOST_REASONS_CHANGED, reason, actor, {"action": "added", "name": clean})
    return reason


@transaction.atomic
def update_lost_reason(
    reason: LostReason, *, actor: User | None, name: str | None = None, active: bool | None = None
) -> LostReason:
    """Rename a lost reason, or stop (or start again) offering it; deals keep theirs."""
    _check_admin(actor)
    changes: dict[str, Any] = {}
    if name is not None:
        clean = _text(name, "name", NAME_MAX, required=True)
        if clean != reason.name:
            if LostReason.objects.filter(name__iexact=clean).exclude(pk=reason.pk).exists():
                raise ValidationFailed({"name": _("This lost reason exists already.")})
            changes["name"] = [reason.name, clean]
            reason.name = clean
    if active is not None and active != reason.is_active:
        changes["is_active"] = [reason.is_active, active]
        reason.is_active = active
    if changes:
        reason.save()
        _audit(
            DealVerb.LOST_REASONS_CHANGED, reason, actor, {"action": "changed", "changes": changes}
        )
    return reason
