"""Factories for sales targets and stage history, and the deals the reports are tested on.

`SalesTargetFactory` writes a target straight to the table; targets as a manager leaves them
(checks, audit event) come from `sales.services.set_targets`, which its tests call. Deals with
an exact path through the stages come from `deal_on_path` (rows through the deals factories
and `StageHistoryFactory`, as the demo and the board leave them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from clientela.accounts.models import User
from clientela.activities.models import Activity
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, LostReason, Pipeline, Stage, StageHistory
from clientela.deals.services import refresh_furthest_positions
from clientela.deals.tests.factories import DealFactory, real_estate_pipeline, stage_named
from clientela.sales.models import SalesTarget


class SalesTargetFactory(factory.django.DjangoModelFactory[SalesTarget]):
    """A target; `owner` and `pipeline` are required, `month` is a first day."""

    class Meta:
        model = SalesTarget

    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    amount = Decimal("100000000.00")
    deals = 4


class StageHistoryFactory(factory.django.DjangoModelFactory[StageHistory]):
    """One stay of `deal` in `stage` (both required) from `entered_at`.

    Created ones update the deal's furthest position as the move service would.
    """

    class Meta:
        model = StageHistory

    entered_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[StageHistory], *args: Any, **data: Any) -> StageHistory:
        stay: StageHistory = super()._create(model_class, *args, **data)
        refresh_furthest_positions(deal_ids=[stay.deal_id])
        return stay


class DoneActivityFactory(factory.django.DjangoModelFactory[Activity]):
    """A done activity of `owner` (required), of `kind`, done at `done_at`."""

    class Meta:
        model = Activity

    kind = "call"
    subject = factory.Sequence(lambda n: f"Llamada {n}")
    done_at = factory.LazyFunction(timezone.now)


def deal_on_path(
    owner: User,
    pipeline: Pipeline,
    path: Sequence[str],
    *,
    opened: dt.datetime,
    days_per_stage: float = 2,
    amount: Decimal = Decimal("25000000.00"),
    **extra: Any,
) -> Deal:
    """Return a deal that went through the named stages in order, one stay each.

    The last stage is where it is now; a won or lost last stage closes it.
    """
    stages = [stage_named(pipeline, name) for name in path]
    step = dt.timedelta(days=days_per_stage)
    last = stages[-1]
    closed = opened + step * (len(stages) - 1) if last.kind != StageKind.OPEN else None
    deal = DealFactory.create(
        owner=owner, pipeline=pipeline, stage=last, amount=amount, created_at=opened,
        stage_entered_at=opened + step * (len(stages) - 1), closed_at=closed, **extra,
    )  # fmt: skip
    for index, stage in enumerate(stages):
        left = opened + step * (index + 1) if index < len(stages) - 1 else None
        StageHistoryFactory.create(
            deal=deal, stage=stage, entered_at=opened + step * index, left_at=left
        )
    return deal


@dataclass
class SalesWorld:
    """The real-estate pipeline, a lost reason, and deals of rep and rep2 opened last month."""

    pipeline: Pipeline
    reason: LostReason
    won: Stage
    rep_deal: Deal
    rep2_deal: Deal


def build_sales_world(personas: Any) -> SalesWorld:
    """Give rep a won deal and rep2 a lost one, both opened 20 days ago, and rep a target."""
    pipeline = real_estate_pipeline()
    reason = LostReason.objects.create(name="Precio", position=1)
    opened = timezone.now() - dt.timedelta(days=20)
    rep_deal = deal_on_path(
        personas.rep, pipeline, ["Nuevo", "Agendado", "Cierre ganado"], opened=opened
    )
    rep2_deal = deal_on_path(
        personas.rep2, pipeline, ["Nuevo", "Cierre perdido"], opened=opened, lost_reason=reason
    )
    SalesTargetFactory.create(owner=personas.rep, pipeline=pipeline)
    return SalesWorld(pipeline, reason, stage_named(pipeline, "Cierre ganado"), rep_deal, rep2_deal)
