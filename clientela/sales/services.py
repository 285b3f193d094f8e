"""Writes of the sales section: the reps' targets (the sales plan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.numbers import fit_decimal
from clientela.deals.models import Pipeline
from clientela.deals.queries import get_pipeline_for_user
from clientela.sales.choices import SalesVerb
from clientela.sales.models import SalesTarget
from clientela.sales.queries import can_manage_plan
from clientela.timeline.services import record_event

DEALS_MAX = 100_000


def set_targets(
    *,
    actor: User,
    pipeline: Pipeline,
    month: dt.date,
    targets: Mapping[int, tuple[Decimal, int]],
    via: str = Via.UI,
) -> int:
    """Set the reps' targets of a pipeline and month: {rep id: (amount, deals)}; sales.manage_plan.

    Each rep must be someone the actor may give deals to. Amounts are Decimal in the company
    currency. Returns how many targets changed; one audit event when any did.
    """
    if not can_manage_plan(actor):
        raise Forbidden(_("Your role cannot change the sales plan."))
    pipeline = get_pipeline_for_user(actor, pipeline.pk)
    if month.day != 1:
        raise ValidationFailed({"month": _("Choose a month.")})
    allowed = set(
        assignable_owners(actor).filter(pk__in=list(targets)).values_list("pk", flat=True)
    )
    errors: dict[str, str] = {}
    clean: dict[int, tuple[Decimal, int]] = {}
    for owner_id, (amount, deals) in targets.items():
        if owner_id not in allowed:
            errors[f"amount_{owner_id}"] = _("You cannot set targets for this person.")
            continue
        fitted = fit_decimal(Decimal(amount), max_digits=16, decimal_places=2)
        if fitted is None or fitted < 0:
            errors[f"amount_{owner_id}"] = _("Enter an amount between 0 and 99,999,999,999,999.99.")
        if not 0 <= deals <= DEALS_MAX:
            errors[f"deals_{owner_id}"] = _("Enter a number of deals between 0 and %(max)s.") % {
                "max": DEALS_MAX
            }
        if fitted is not None and f"deals_{owner_id}" not in errors and fitted >= 0:
            clean[owner_id] = (fitted, deals)
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        existing = {
            t.owner_id: t
            for t in SalesTarget.objects.select_for_update().filter(
                pipeline_id=pipeline.pk, month=month, owner_id__in=list(clean)
            )
        }
        for owner_id, (amount, deals) in clean.items():
            target = existing.get(owner_id)
            if target is None:
                if not amount and not deals:
                    continue
                SalesTarget.objects.create(
                    owner_id=owner_id, pipeline=pipeline, month=month, amount=amount,
                    deals=deals, updated_at=now, updated_by=actor,
                )  # fmt: skip
                changed += 1
            elif target.amount != amount or target.deals != deals:
                target.amount, target.deals = amount, deals
                target.updated_at, target.updated_by = now, actor
                target.save(update_fields=["amount", "deals", "updated_at", "updated_by"])
                changed += 1
        if changed:
            record_event(
                SalesVerb.PLAN_CHANGED,
                actor=actor,
                target=pipeline,
                via=via,
                data={"month": month.isoformat(), "pipeline": pipeline.name, "targets": changed},
            )
    return changed
