"""Reads of the sales section: the plan against what was won, and the sales analytics.

Every report starts from `clientela.deals.queries.deals_visible_to` (managers read everyone,
a rep reads their own deals: the deals visibility, never a role) and is one aggregate query
in the database: no report loops over deals in Python.

Product filter hook: when deals gain line items (`deals.DealLine`), add `product_id` to
`ReportFilters` and narrow in `_deals` (`lines__product_id=...`, distinct): every report
narrows its deals there and nowhere else.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, owner_scope, visibility_of
from clientela.activities.choices import ActivityKind
from clientela.activities.queries import activities_visible_to
from clientela.billing.models import Invoice
from clientela.billing.queries import LightSummary, light_summary, overdue_instalments
from clientela.contacts.models import Contact
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, LostReason, Pipeline, Stage, StageHistory
from clientela.deals.queries import (
    deals_visible_to,
    pipelines_visible_to,
    stages_of,
    with_product_q,
)
from clientela.sales.models import SalesTarget

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
FORECAST_MONTHS = 12
CUSTOMER_ROWS = 20


def can_view_reports(user: User | AnonymousUser | None) -> bool:
    """Whether the role reads the sales section (sales.view_reports)."""
    return has_capability(user, "sales.view_reports")


def can_manage_plan(user: User | AnonymousUser | None) -> bool:
    """Whether the role sets the reps' targets (sales.manage_plan)."""
    return has_capability(user, "sales.manage_plan")


def company_zone() -> ZoneInfo:
    """Return the company's time zone (months and days of the reports are counted in it)."""
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: dt.date) -> dt.datetime:
    """Return the first moment of a day in the company's time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=company_zone())


def add_months(month: dt.date, months: int) -> dt.date:
    """Return the first day of the month `months` after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# Hash room for the reports' GROUP BYs on PostgreSQL (one per deal of a year: 500,000 groups
# spill to disk with the default 4 MB). Set for the report's own transaction only.
REPORT_WORK_MEM = "64MB"


@contextmanager
def roomy_aggregates() -> Iterator[None]:
    """Run the enclosed report queries with REPORT_WORK_MEM (PostgreSQL; a no-op elsewhere)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """Return part ÷ whole as a percentage with one decimal; None when whole is zero."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class ReportFilters:
    """What every report is narrowed to: pipeline, period (company days), rep, source, product.

    A product narrows the reports to the deals with a line of it.
    """

    pipeline: Pipeline
    since: dt.date
    until: dt.date
    owner_id: int | None = None
    source: str = ""
    product_id: int | None = None

    @property
    def start(self) -> dt.datetime:
        """Return the period's first moment."""
        return day_start(self.since)

    @property
    def end(self) -> dt.datetime:
        """Return the moment right after the period."""
        return day_start(self.until + dt.timedelta(days=1))

    def drill(self, **extra: Any) -> dict[str, Any]:
        """Return the deals-list parameters of this report's deals, plus `extra`."""
        params: dict[str, Any] = {"pipeline": self.pipeline.pk}
        if self.owner_id:
            params["owner"] = self.owner_id
        if self.source:
            params["source"] = self.source
        if self.product_id:
            params["product"] = self.product_id
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return params


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Return the last twelve months, this one included."""
    today = today or timezone.localdate(timezone=company_zone())
    return add_months(today.replace(day=1), -11), today


def _deals(user: User, f: ReportFilters) -> QuerySet[Deal]:
    """Return the visible deals of the filters' pipeline, rep and source (the one narrowing)."""
    qs = deals_visible_to(user).filter(pipeline_id=f.pipeline.pk)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.product_id:
        qs = qs.filter(with_product_q(f.product_id))
    return qs


def cohort(user: User, f: ReportFilters) -> QuerySet[Deal]:
    """Return the deals the funnel counts: visible ones opened in the period."""
    return _deals(user, f).filter(created_at__gte=f.start, created_at__lt=f.end)


def closed_in_period(user: User, f: ReportFilters) -> QuerySet[Deal]:
    """Return the visible deals won or lost in the period."""
    return _deals(user, f).filter(
        closed_at__gte=f.start,
        closed_at__lt=f.end,
        state__in=[StageKind.WON, StageKind.LOST],
    )


# --- funnel ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    """A stage of the funnel: deals that reached it, conversion from the step before, drop-off."""

    stage: Stage
    reached: int
    conversion: Decimal | None  # % of the previous step's deals that reached this one
    drop_off: int  # deals of the previous step that did not reach this one
    of_first: Decimal | None  # % of the first step's deals


def funnel_stages(pipeline: Pipeline) -> list[Stage]:
    """Return the stages a funnel shows: the open ones and the won one, in board order."""
    return [s for s in stages_of(pipeline) if s.kind != StageKind.LOST]


def funnel_from_counts(stages: list[Stage], reached: Mapping[int, int]) -> list[FunnelStep]:
    """Return the funnel steps from each stage's reached count (by stage id)."""
    steps: list[FunnelStep] = []
    first: int | None = None
    previous: int | None = None
    for stage in stages:
        n = int(reached.get(stage.pk, 0))
        first = n if first is None else first
        steps.append(
            FunnelStep(
                stage=stage,
                reached=n,
                conversion=None if previous is None else percent(n, previous),
                drop_off=0 if previous is None else max(previous - n, 0),
                of_first=percent(n, first),
            )
        )
        previous = n
    return steps


def funnel(user: User, f: ReportFilters) -> list[FunnelStep]:
    """Return the funnel of the deals opened in the period, one step per stage.

    A deal reached a stage when its furthest stage (by board position, over its stage history,
    lost stages left out) is at or after it: a deal that skipped a stage counts as having
    passed it. One query over the deals alone: the deal keeps its furthest position
    (`Deal.furthest_position`, written by the services that move deals and change stages).
    """
    stages = funnel_stages(f.pipeline)
    if not stages:
        return []
    with roomy_aggregates():
        counts = (
            cohort(user, f)
            .order_by()
            .aggregate(
                **{
                    f"s{s.pk}": Count("pk", filter=Q(furthest_position__gte=s.position))
                    for s in stages
                }
            )
        )
    return funnel_from_counts(stages, {s.pk: counts[f"s{s.pk}"] or 0 for s in stages})


# --- close rates -------------------------------------------------------------------------------


@dataclass
class CloseRate:
    """Closed deals of one group: won, lost, won ÷ closed, and the amount won."""

    key: Any
    label: str
    won: int
    lost: int
    won_amount: Decimal

    @property
    def closed(self) -> int:
        """Return the deals closed, won or lost."""
        return self.won + self.lost

    @property
    def rate(self) -> Decimal | None:
        """Return won ÷ closed as a percentage."""
        return percent(self.won, self.closed)


CLOSE_GROUPS = ("month", "owner", "source")


def close_rates(user: User, f: ReportFilters, by: str) -> list[CloseRate]:
    """Return the close rate of the deals closed in the period by month, rep or source."""
    qs = closed_in_period(user, f).order_by()
    if by == "month":
        qs = qs.annotate(key=TruncMonth("closed_at", tzinfo=company_zone()))
    elif by == "owner":
        qs = qs.annotate(key=F("owner_id"))
    elif by == "source":
        qs = qs.annotate(key=F("source"))
    else:
        raise ValueError(by)
    rows = (
        qs.values("key")
        .annotate(
            won=Count("pk", filter=Q(state=StageKind.WON)),
            lost=Count("pk", filter=Q(state=StageKind.LOST)),
            won_amount=Sum("amount_company", filter=Q(state=StageKind.WON)),
        )
        .order_by("key")
    )
    result = []
    for row in rows:
        key = row["key"]
        if isinstance(key, dt.datetime):
            key = timezone.localtime(key, company_zone()).date()
        result.append(CloseRate(key, "", row["won"], row["lost"], row["won_amount"] or Decimal(0)))
    if by == "owner":
        names = _user_names([r.key for r in result])
        for r in result:
            r.label = names.get(r.key, "")
        result.sort(key=lambda r: (-(r.rate or 0), r.label))
    return result


def close_total(rows: list[CloseRate]) -> CloseRate:
    """Return the rows summed into one."""
    return CloseRate(
        "", "", sum(r.won for r in rows), sum(r.lost for r in rows),
        sum((r.won_amount for r in rows), Decimal(0)),
    )  # fmt: skip


def _user_names(ids: list[Any]) -> dict[int, str]:
    users = User.objects.filter(pk__in=[i for i in ids if i]).only(
        "first_name", "last_name", "username"
    )
    return {u.pk: u.get_full_name() or u.username for u in users}


# --- durations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageTime:
    """How long deals stayed in a stage (stays that ended), on average."""

    stage: Stage
    stays: int
    average: dt.timedelta | None

    @property
    def days(self) -> Decimal | None:
        """Return the average stay in days, one decimal."""
        return in_days(self.average)


@dataclass(frozen=True)
class Durations:
    """Average funnel duration (opened → won) and the average stay per stage."""

    won: int
    average_to_win: dt.timedelta | None
    stages: list[StageTime] = field(default_factory=list)

    @property
    def days_to_win(self) -> Decimal | None:
        """Return the average time from opened to won in days, one decimal."""
        return in_days(self.average_to_win)


def in_days(value: dt.timedelta | None) -> Decimal | None:
    """Return a duration in days with one decimal (None stays None)."""
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / Decimal(86400)).quantize(TENTH, ROUND_HALF_UP)


def _as_delta(value: Any) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(value))  # a backend that answers microseconds


def durations(user: User, f: ReportFilters) -> Durations:
    """Return the average time from opened to won (won in the period) and per stage.

    A stage's time is the average of its stays that began in the period and have ended
    (left_at − entered_at), of the deals the user sees, averaged in the database.
    """
    span = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    stay = ExpressionWrapper(F("left_at") - F("entered_at"), output_field=DurationField())
    stays = StageHistory.objects.filter(
        stage__pipeline_id=f.pipeline.pk,
        entered_at__gte=f.start,
        entered_at__lt=f.end,
        left_at__isnull=False,
    )
    if visibility_of(user) != Visibility.ALL or f.owner_id or f.source:
        stays = stays.filter(deal_id__in=_deals(user, f).values("pk"))
    with roomy_aggregates():
        won = (
            closed_in_period(user, f)
            .filter(state=StageKind.WON)
            .aggregate(n=Count("pk"), average=Avg(span))
        )
        rows = {
            row["stage_id"]: row
            for row in stays.order_by()
            .values("stage_id")
            .annotate(n=Count("pk"), average=Avg(stay))
        }
    stages = [
        StageTime(
            s,
            rows[s.pk]["n"] if s.pk in rows else 0,
            _as_delta(rows[s.pk]["average"]) if s.pk in rows else None,
        )
        for s in stages_of(f.pipeline)
        if s.kind == StageKind.OPEN
    ]
    return Durations(won["n"], _as_delta(won["average"]), stages)


# --- forecast ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastMonth:
    """Open deals expected to close in a month: count, amount and amount × probability."""

    month: dt.date
    deals: int
    amount: Decimal
    weighted: Decimal


def forecast(user: User, f: ReportFilters, *, today: dt.date | None = None) -> list[ForecastMonth]:
    """Return the weighted forecast of open deals by expected close month (this and 11 more)."""
    today = today or timezone.localdate(timezone=company_zone())
    first = today.replace(day=1)
    after = add_months(first, FORECAST_MONTHS)
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=22, decimal_places=2)
    rows = (
        _deals(user, f)
        .filter(state=StageKind.OPEN, expected_close__gte=first, expected_close__lt=after)
        .order_by()
        .annotate(month=TruncMonth("expected_close"))
        .values("month")
        .annotate(
            n=Count("pk"),
            amount=Sum("amount_company"),
            weighted=Sum(
                ExpressionWrapper(F("amount_company") * F("stage__probability"), output_field=money)
            ),
        )
    )
    found = {row["month"]: row for row in rows}
    months = []
    for i in range(FORECAST_MONTHS):
        month = add_months(first, i)
        row = found.get(month)
        months.append(
            ForecastMonth(
                month,
                row["n"] if row else 0,
                (row["amount"] or Decimal(0)) if row else Decimal(0),
                (Decimal(row["weighted"] or 0) / HUNDRED).quantize(CENT) if row else Decimal(0),
            )
        )
    return months


# --- lost reasons and customers ----------------------------------------------------------------


@dataclass(frozen=True)
class LostRow:
    """Deals lost in the period for one reason: how many and the amount."""

    reason: LostReason | None
    deals: int
    amount: Decimal


def lost_reasons_report(user: User, f: ReportFilters) -> list[LostRow]:
    """Return the deals lost in the period grouped by lost reason, most frequent first."""
    rows = list(
        closed_in_period(user, f)
        .filter(state=StageKind.LOST)
        .order_by()
        .values("lost_reason_id")
        .annotate(n=Count("pk"), amount=Sum("amount_company"))
        .order_by("-n", F("lost_reason_id").asc(nulls_last=True))
    )
    reasons = LostReason.objects.in_bulk([r["lost_reason_id"] for r in rows if r["lost_reason_id"]])
    return [
        LostRow(reasons.get(r["lost_reason_id"]), r["n"], r["amount"] or Decimal(0)) for r in rows
    ]


@dataclass(frozen=True)
class CustomerRow:
    """A customer's deals won in the period: how many, the amount and the last win."""

    contact: Contact
    deals: int
    amount: Decimal
    last_won: dt.datetime


def customers(user: User, f: ReportFilters, *, regular: bool = False) -> list[CustomerRow]:
    """Return the best customers by amount won, or the regular ones (two or more wins)."""
    qs = (
        closed_in_period(user, f)
        .filter(state=StageKind.WON, contact__isnull=False)
        .order_by()
        .values("contact_id")
        .annotate(n=Count("pk"), amount=Sum("amount_company"), last=Max("closed_at"))
    )
    if regular:
        qs = qs.filter(n__gte=2).order_by("-n", "-amount", "contact_id")
    else:
        qs = qs.order_by("-amount", "-n", "contact_id")
    rows = list(qs[:CUSTOMER_ROWS])
    contacts = Contact.objects.in_bulk([r["contact_id"] for r in rows])
    return [
        CustomerRow(contacts[r["contact_id"]], r["n"], r["amount"] or Decimal(0), r["last"])
        for r in rows
        if r["contact_id"] in contacts
    ]


# --- rep activity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    """A rep's done calls, meetings and tasks in one week."""

    owner_id: int
    name: str
    week: dt.date
    calls: int
    meetings: int
    tasks: int


def rep_activity(user: User, f: ReportFilters) -> list[ActivityRow]:
    """Return per rep and week the calls, meetings and tasks done in the period (newest first).

    Activities the user may see, of owners in the user's scope (a rep reads their own).
    """
    qs = activities_visible_to(user).filter(done_at__gte=f.start, done_at__lt=f.end)
    scope = owner_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    rows = list(
        qs.order_by()
        .annotate(week=TruncWeek("done_at", tzinfo=company_zone()))
        .values("owner_id", "week")
        .annotate(
            calls=Count("pk", filter=Q(kind=ActivityKind.CALL)),
            meetings=Count("pk", filter=Q(kind=ActivityKind.MEETING)),
            tasks=Count("pk", filter=Q(kind=ActivityKind.TASK)),
        )
        .order_by("-week", "owner_id")
    )
    names = _user_names([r["owner_id"] for r in rows])
    result = []
    for r in rows:
        week = r["week"]
        if isinstance(week, dt.datetime):
            week = timezone.localtime(week, company_zone()).date()
        result.append(
            ActivityRow(
                r["owner_id"], names.get(r["owner_id"], ""), week,
                r["calls"], r["meetings"], r["tasks"],
            )
        )  # fmt: skip
    result.sort(key=lambda r: (-r.week.toordinal(), r.name))
    return result


# --- the sales plan ----------------------------------------------------------------------------


def targets_visible_to(user: User) -> QuerySet[SalesTarget]:
    """Return the targets the user may read: of owners in their scope, in pipelines they open."""
    qs = SalesTarget.objects.filter(
        pipeline_id__in=pipelines_visible_to(user, archived=True).values("pk")
    )
    scope = owner_scope(user)
    return qs if scope is None else qs.filter(scope)


def plan_reps(user: User, pipeline: Pipeline, months: list[dt.date]) -> list[User]:
    """Return the reps of a pipeline the user reads the plan of: owners of its deals or targets."""
    deal_owners = deals_visible_to(user).filter(pipeline_id=pipeline.pk).values("owner_id")
    target_owners = targets_visible_to(user).filter(pipeline_id=pipeline.pk, month__in=months)
    qs = User.objects.filter(
        Q(pk__in=deal_owners) | Q(pk__in=target_owners.values("owner_id"))
    ).filter(is_active=True)
    return list(qs.order_by("first_name", "last_name", "id"))


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the first moment of a month and of the next, in the company's time zone."""
    return day_start(month), day_start(add_months(month, 1))


def projection(actual: Decimal, month: dt.date, now: dt.datetime | None = None) -> Decimal:
    """Return the straight-line projection of `actual` to the month's end.

    actual ÷ elapsed days × days in month, days counted in the company's time zone (today
    counts as elapsed); a past month projects its actual, a future one zero.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, company_zone()).date()
    days = calendar.monthrange(month.year, month.month)[1]
    if today < month:
        return Decimal(0)
    if today >= add_months(month, 1):
        return Decimal(actual)
    elapsed = today.day
    return (Decimal(actual) * days / elapsed).quantize(CENT, ROUND_HALF_UP)


@dataclass
class PlanRow:
    """A rep's (or the total's) target and actual for a month, with % reached and projection."""

    owner: User | None
    target_amount: Decimal = Decimal(0)
    target_deals: int = 0
    won_amount: Decimal = Decimal(0)
    won_deals: int = 0
    projected_amount: Decimal = Decimal(0)
    projected_deals: Decimal = Decimal(0)
    has_target: bool = False

    @property
    def amount_reached(self) -> Decimal | None:
        """Return the amount won as a % of the target."""
        return percent(self.won_amount, self.target_amount)

    @property
    def deals_reached(self) -> Decimal | None:
        """Return the deals won as a % of the target."""
        return percent(self.won_deals, self.target_deals)


def won_by_owner(
    user: User, pipeline: Pipeline, month: dt.date, owner_id: int | None = None
) -> dict[int, tuple[Decimal, int]]:
    """Return {owner id: (amount won, deals won)} of the visible deals won in the month."""
    start, end = month_bounds(month)
    qs = deals_visible_to(user).filter(
        pipeline_id=pipeline.pk, state=StageKind.WON, closed_at__gte=start, closed_at__lt=end
    )
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    rows = qs.order_by().values("owner_id").annotate(amount=Sum("amount_company"), n=Count("pk"))
    return {r["owner_id"]: (r["amount"] or Decimal(0), r["n"]) for r in rows}


def plan_vs_actual(
    user: User,
    pipeline: Pipeline,
    month: dt.date,
    *,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[PlanRow], PlanRow]:
    """Return each rep's target and actual for the month, and their total."""
    reps = plan_reps(user, pipeline, [month])
    if owner_id:
        reps = [r for r in reps if r.pk == owner_id]
    targets = {
        t.owner_id: t for t in targets_visible_to(user).filter(pipeline_id=pipeline.pk, month=month)
    }
    won = won_by_owner(user, pipeline, month, owner_id)
    rows = []
    total = PlanRow(None)
    for rep in reps:
        target = targets.get(rep.pk)
        amount, deals = won.get(rep.pk, (Decimal(0), 0))
        row = PlanRow(
            rep,
            target.amount if target else Decimal(0),
            target.deals if target else 0,
            amount,
            deals,
            projection(amount, month, now),
            projection(Decimal(deals), month, now).quantize(TENTH),
            target is not None,
        )
        rows.append(row)
        total.target_amount += row.target_amount
        total.target_deals += row.target_deals
        total.won_amount += row.won_amount
        total.won_deals += row.won_deals
        total.projected_amount += row.projected_amount
        total.projected_deals += row.projected_deals
    return rows, total


@dataclass(frozen=True)
class PlanMonth:
    """The plan and what was won, summed over the visible reps, for one month."""

    month: dt.date
    target_amount: Decimal
    won_amount: Decimal
    target_deals: int
    won_deals: int

    @property
    def reached(self) -> Decimal | None:
        """Return the amount won as a % of the target."""
        return percent(self.won_amount, self.target_amount)


def plan_by_month(
    user: User, pipeline: Pipeline, last: dt.date, *, months: int = 6, owner_id: int | None = None
) -> list[PlanMonth]:
    """Return month over month the plan against what was won, up to `last` (two queries)."""
    first = add_months(last, -(months - 1))
    targets = targets_visible_to(user).filter(
        pipeline_id=pipeline.pk, month__gte=first, month__lte=last
    )
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    won = deals_visible_to(user).filter(
        pipeline_id=pipeline.pk, state=StageKind.WON, closed_at__gte=start, closed_at__lt=end
    )
    if owner_id:
        targets = targets.filter(owner_id=owner_id)
        won = won.filter(owner_id=owner_id)
    planned = {
        r["month"]: r
        for r in targets.order_by().values("month").annotate(amount=Sum("amount"), n=Sum("deals"))
    }
    actual = {}
    for r in (
        won.order_by()
        .annotate(month=TruncMonth("closed_at", tzinfo=company_zone()))
        .values("month")
        .annotate(amount=Sum("amount_company"), n=Count("pk"))
    ):
        key = r["month"]
        if isinstance(key, dt.datetime):
            key = timezone.localtime(key, company_zone()).date()
        actual[key] = r
    result = []
    for i in range(months):
        month = add_months(first, i)
        p = planned.get(month, {})
        a = actual.get(month, {})
        result.append(
            PlanMonth(
                month, p.get("amount") or Decimal(0), a.get("amount") or Decimal(0),
                p.get("n") or 0, a.get("n") or 0,
            )
        )  # fmt: skip
    return result


# --- payment status (billing) ------------------------------------------------------------------


@dataclass(frozen=True)
class AgingBucket:
    """Overdue instalments of one age band: how many, and their balance (company currency)."""

    low: int
    high: int | None
    count: int
    balance: Decimal


@dataclass(frozen=True)
class OverdueRow:
    """One overdue instalment: its invoice, deal, owner, due date, days late and balance."""

    invoice: Invoice
    position: int
    due_on: dt.date
    days: int
    balance: Decimal
    balance_company: Decimal


AGING_BANDS = ((1, 30), (31, 60), (61, 90), (91, None))
OVERDUE_ROWS_MAX = 100


@dataclass(frozen=True)
class PaymentStatus:
    """The payment report: invoices per light, overdue balances by age, the oldest ones."""

    lights: list[LightSummary]
    aging: list[AgingBucket]
    overdue: list[OverdueRow]
    overdue_total: int


def payment_status(user: User, f: ReportFilters, *, today: dt.date | None = None) -> PaymentStatus:
    """Return the payment status of the invoices of the report's deals, as of today.

    The period does not narrow it: what is owed is owed whenever the deal was opened. Void
    invoices are left out; balances are converted at each invoice's own rate.
    """
    day = today or timezone.localdate(timezone=company_zone())
    invoices = Invoice.objects.filter(deal__in=_deals(user, f).values("pk"))
    rows = list(
        overdue_instalments(day)
        .filter(invoice__in=invoices.values("pk"))
        .order_by("due_on", "id")
        .values_list("invoice_id", "position", "due_on", "amount", "paid", "invoice__rate")
    )
    counts = dict.fromkeys(AGING_BANDS, 0)
    sums = {band: Decimal(0) for band in AGING_BANDS}
    for _invoice, _position, due_on, amount, paid, rate in rows:
        late = (day - due_on).days
        band = next(b for b in AGING_BANDS if late >= b[0] and (b[1] is None or late <= b[1]))
        counts[band] += 1
        sums[band] += ((amount - paid) * rate).quantize(Decimal("0.01"))
    oldest = rows[:OVERDUE_ROWS_MAX]
    by_id = {
        i.pk: i
        for i in Invoice.objects.filter(pk__in={r[0] for r in oldest}).select_related(
            "deal", "deal__owner", "contact", "company"
        )
    }
    return PaymentStatus(
        lights=light_summary(invoices, day),
        aging=[AgingBucket(b[0], b[1], counts[b], sums[b]) for b in AGING_BANDS],
        overdue=[
            OverdueRow(
                by_id[invoice_id],
                position,
                due_on,
                (day - due_on).days,
                amount - paid,
                ((amount - paid) * rate).quantize(Decimal("0.01")),
            )
            for invoice_id, position, due_on, amount, paid, rate in oldest
        ],
        overdue_total=len(rows),
    )
