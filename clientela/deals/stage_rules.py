"""Stage rules: "when a deal enters this stage, give its owner a task" (set up and applied).

Kept apart from `services` so the deal services only call `apply_stage_rules`; the task is
made through `activities.services` (activities sits below deals).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.activities.choices import Priority
from clientela.activities.services import create_task, notify
from clientela.core.compiled import CompiledQuery
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.deals.choices import DealVerb
from clientela.deals.models import Deal, Pipeline, Stage, StageRule
from clientela.timeline.services import record_event

SUBJECT_MAX = 200
DUE_HOURS_MAX = 24 * 90  # three months
RULES_PER_STAGE = 5
SOURCE = "deals.stage_rule"


def _check_admin(actor: User | None) -> None:
    if actor is not None and not has_capability(actor, "deals.manage_pipelines"):
        raise Forbidden(_("Your role cannot set up pipelines."))


def _values(values: dict[str, Any]) -> dict[str, Any]:
    subject = " ".join(str(values.get("subject") or "").split())
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Say what the task is.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("Use at most %(limit)d characters.") % {"limit": SUBJECT_MAX}
    try:
        hours = int(values.get("due_hours"))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        hours = -1
    if not 0 <= hours <= DUE_HOURS_MAX:
        errors["due_hours"] = _("Enter hours between 0 and %(max)d.") % {"max": DUE_HOURS_MAX}
    priority = str(values.get("priority") or Priority.NORMAL)
    if priority not in Priority.values:
        errors["priority"] = _("Select a valid priority.")
    if errors:
        raise ValidationFailed(errors)
    return {"subject": subject, "due_hours": hours, "priority": priority}


@transaction.atomic
def add_stage_rule(stage: Stage, *, actor: User | None, values: dict[str, Any]) -> StageRule:
    """Add a rule to an open stage: deals entering it give their owner a task."""
    _check_admin(actor)
    clean = _values(values)
    if stage.is_archived:
        raise ValidationFailed({"stage": _("This stage is archived.")})
    if StageRule.objects.filter(stage=stage).count() >= RULES_PER_STAGE:
        raise ValidationFailed(
            {"stage": _("A stage has at most %(max)d rules.") % {"max": RULES_PER_STAGE}}
        )
    rule = StageRule.objects.create(stage=stage, **clean)
    record_event(
        DealVerb.PIPELINE_CHANGED,
        actor=actor,
        target=stage.pipeline,
        via=Via.UI,
        data={"action": "stage_rule_added", "stage": stage.name, "name": rule.subject},
    )
    return rule


@transaction.atomic
def remove_stage_rule(rule: StageRule, *, actor: User | None) -> None:
    """Remove a rule (tasks it already gave stay)."""
    _check_admin(actor)
    stage = rule.stage
    record_event(
        DealVerb.PIPELINE_CHANGED,
        actor=actor,
        target=stage.pipeline,
        via=Via.UI,
        data={"action": "stage_rule_removed", "stage": stage.name, "name": rule.subject},
    )
    rule.delete()


def _stage_for_move(stage_id: int) -> QuerySet[Any]:
    return (
        Stage.objects.filter(pk=stage_id, is_archived=False)
        .order_by()
        .annotate(with_rules=Exists(StageRule.objects.filter(stage_id=OuterRef("pk"))))
        .values_list(
            *_STAGE_NAMES, *(f"pipeline__{name}" for name in _PIPELINE_NAMES), "with_rules"
        )[:1]
    )


_STAGE_NAMES = tuple(f.attname for f in Stage._meta.concrete_fields)
_PIPELINE_NAMES = tuple(f.attname for f in Pipeline._meta.concrete_fields)
# The move's target stage is read on every move: compiled once per process (core.compiled).
_STAGE_FOR_MOVE = CompiledQuery(_stage_for_move, [int])


def stage_for_move(stage_id: int) -> Stage | None:
    """Return a live stage with its pipeline and whether it has rules (`has_rules`), or None.

    For the move's caller: one query (compiled once per process) instead of the stage's and,
    inside the move's transaction, the rules' (most stages have none).
    """
    row = _STAGE_FOR_MOVE.first(stage_id)
    if row is None:
        return None
    ends = (len(_STAGE_NAMES), len(_STAGE_NAMES) + len(_PIPELINE_NAMES))
    stage = Stage.from_db("default", _STAGE_NAMES, row[: ends[0]])
    stage.pipeline = Pipeline.from_db("default", _PIPELINE_NAMES, row[ends[0] : ends[1]])
    stage.has_rules = bool(row[ends[1]])
    return stage


def apply_stage_rules(deal: Deal, stage: Stage, *, actor: User | None, now: dt.datetime) -> int:
    """Give the deal's owner the tasks of the stage it just entered; return how many.

    Runs inside the deal service's transaction; the task is the system's (`actor=None`), so
    the owner gets it whoever moved the deal, and a notification when someone else did. A
    stage read by `stage_for_move` says whether it has rules: none, no query.
    """
    if getattr(stage, "has_rules", True) is False:
        return 0
    rules = list(StageRule.objects.filter(stage_id=stage.pk).order_by("id"))
    if not rules:
        return 0
    owner = deal.owner
    if not owner.is_active:
        return 0
    for rule in rules:
        task = create_task(
            owner=owner,
            subject=rule.subject,
            due_at=now + dt.timedelta(hours=rule.due_hours),
            contact=deal.contact,
            company=deal.company,
            source=SOURCE,
            actor=None,
            deal_id=deal.pk,
            priority=rule.priority,
        )
        if actor is None or actor.pk != owner.pk:
            with translation.override(owner.language or None):
                title = _("New task: %(subject)s") % {"subject": task.subject}
            notify(owner, title, deal.title, url=reverse("deals:deal_detail", args=[deal.pk]))
    return len(rules)


def rules_of(stages: list[Stage]) -> list[StageRule]:
    """Return the rules of these stages, in stage order."""
    return list(
        StageRule.objects.filter(stage__in=stages)
        .select_related("stage")
        .order_by("stage__position", "id")
    )
