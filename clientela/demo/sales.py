"""The demo company's sales plan: every rep's targets per pipeline, last 12 months and next 3."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from clientela.accounts.models import User
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, Pipeline
from clientela.demo.deals import REPS
from clientela.sales.models import SalesTarget
from clientela.sales.queries import add_months, company_zone

PAST_MONTHS = 12
NEXT_MONTHS = 3
ROUND_TO = Decimal(1_000_000)


def seed_sales_plan(seed: int = 2026, now: dt.datetime | None = None) -> int:
    """Give every rep a target per pipeline and month, near what they usually win (once)."""
    if SalesTarget.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    this_month = timezone.localtime(now, company_zone()).date().replace(day=1)
    first = add_months(this_month, -(PAST_MONTHS - 1))
    months = [add_months(first, i) for i in range(PAST_MONTHS + NEXT_MONTHS)]
    reps = list(User.objects.filter(username__in=REPS).order_by("username"))
    manager = User.objects.filter(username="gerente").first()
    pipelines = list(Pipeline.objects.filter(is_archived=False).order_by("position", "id"))
    # What each rep wins in a month of each pipeline, on average over the demo's deals.
    won = (
        Deal.objects.filter(state=StageKind.WON, closed_at__isnull=False)
        .annotate(month=TruncMonth("closed_at", tzinfo=company_zone()))
        .values("owner_id", "pipeline_id", "month")
        .annotate(amount=Sum("amount_company"), n=Count("id"))
        .order_by()
    )
    totals: dict[tuple[int, int], list[tuple[Decimal, int]]] = {}
    for row in won:
        totals.setdefault((row["owner_id"], row["pipeline_id"]), []).append(
            (row["amount"] or Decimal(0), row["n"])
        )
    rows = []
    for rep in reps:
        for pipeline in pipelines:
            history = totals.get((rep.pk, pipeline.pk), [])
            if history:
                amount = sum((a for a, _n in history), Decimal(0)) / len(history)
                deals = sum(n for _a, n in history) / len(history)
            else:
                amount, deals = Decimal(0), 0.0
            for month in months:
                stretch = Decimal(str(rng.uniform(0.95, 1.3)))
                target = (amount * stretch / ROUND_TO).quantize(Decimal(1), ROUND_HALF_UP)
                rows.append(
                    SalesTarget(
                        owner=rep,
                        pipeline=pipeline,
                        month=month,
                        amount=max(target * ROUND_TO, ROUND_TO if amount else Decimal(0)),
                        deals=max(round(deals * float(stretch)), 1 if deals else 0),
                        updated_at=now,
                        updated_by=manager,
                    )
                )
    SalesTarget.objects.bulk_create(rows, batch_size=500)
    return len(rows)
