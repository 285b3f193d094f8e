"""Reads for customer value: who sees it, snapshots, dashboard figures, drill-downs, the card.

Every figure is computed over the customers the user may see (``customer_visibility_q``), so a
sales rep's dashboard adds up their own customers only, and every drill-down list is a
visible-customers queryset.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.aggregates import Aggregate
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import (
    department_colleague_ids,
    has_capability,
    owner_scope,
    visibility_of,
)
from clientela.analytics import frames
from clientela.analytics.decimals import fits_field
from clientela.analytics.histograms import (
    add_counts,
    bins_from_counts,
    histogram_bins,
    histogram_key,
)
from clientela.analytics.measures import ValueSource, cell_measures, cells_of, row_measures
from clientela.analytics.models import (
    PERIOD_MONTHS,
    AnalyticsSettings,
    CustomerValue,
    OwnerTables,
    SnapshotState,
    ValueCell,
    ValueSnapshot,
)
from clientela.analytics.rfm import (
    INACTIVITY_STATES,
    SEGMENT_CODES,
    SEGMENT_LABELS,
    InactivityThresholds,
)
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import contacts_visible_to, search_q
from clientela.core.models import Job, JobState
from clientela.orders.queries import add_months, can_manage_spend, customer_visibility_q

PERIODS = PERIOD_MONTHS
logger = logging.getLogger(__name__)
NEW_CUSTOMER = "new"  # the drill-down's name for "no previous segment"


def can_view_value(user: User | AnonymousUser) -> bool:
    """Whether the role has the customer-value screens (capability analytics.view).

    What each sees is still limited to the customers their visibility allows.
    """
    return has_capability(user, "analytics.view")


def can_recompute(user: User | AnonymousUser) -> bool:
    """Whether the role starts a snapshot recompute (capability analytics.recompute)."""
    return has_capability(user, "analytics.recompute")


def can_manage_settings(user: User | AnonymousUser) -> bool:
    """Whether the role changes analytics settings (capability analytics.manage_settings)."""
    return has_capability(user, "analytics.manage_settings")


def sees_everything(user: User) -> bool:
    """Whether the user's visibility covers every customer."""
    return visibility_of(user) == Visibility.ALL


def visible_owner_ids(user: User) -> list[int] | None:
    """Owners whose customers the user sees (None: every customer, owned or not).

    The owner scope of ``accounts.queries.owner_scope`` as ids: the user's own, or every
    member of the user's departments; nobody's for an inactive user.
    """
    scope = visibility_of(user)
    if scope == Visibility.ALL:
        return None
    if scope == Visibility.DEPARTMENT:
        return department_colleague_ids(user)
    if scope == Visibility.OWN:
        return [user.id]
    return []


def reads_owner_cells(user: User, snapshot: ValueSnapshot | None) -> bool:
    """Whether the user's figures come from the snapshot's cells rather than from its rows.

    Everyone's once the snapshot has cells; some owners' once its cells are keyed by owner.
    """
    if snapshot is None or not snapshot.has_cells:
        return False
    return sees_everything(user) or snapshot.cells_by_owner


def sees_acquisition_costs(user: User) -> bool:
    """CAC and LTV:CAC divide company-wide spend: only who keeps the spend, seeing everyone."""
    return can_manage_spend(user) and sees_everything(user)


def get_analytics_settings() -> AnalyticsSettings:
    """Return the settings row, or unsaved defaults before anyone changed them.

    A decimal stored past its field's digits (by a version that did not check them) cannot be
    read back: it is replaced by the field's default here, so every page keeps working and the
    settings screen can repair it.
    """
    try:
        return AnalyticsSettings.objects.filter(pk=1).first() or AnalyticsSettings(pk=1)
    except (ArithmeticError, ValueError):
        return _settings_without_unreadable_decimals()


def _settings_without_unreadable_decimals() -> AnalyticsSettings:
    """Return the settings row with each decimal that does not fit its field set to the default."""
    decimals = [c for c in AnalyticsSettings._meta.concrete_fields if isinstance(c, DecimalField)]
    row = AnalyticsSettings.objects.defer(*(f.name for f in decimals)).get(pk=1)
    raw = (
        AnalyticsSettings.objects.filter(pk=1)
        .values_list(*(Cast(f.name, CharField()) for f in decimals))
        .get()
    )
    for column, text in zip(decimals, raw, strict=True):
        if text is None or fits_field(column, text):
            value = None if text is None else column.to_python(text)
        else:
            logger.warning(
                "analytics setting %s = %s is unreadable: default used", column.name, text
            )
            value = column.get_default()
        setattr(row, column.attname, value)
    return row


def thresholds_of(settings: AnalyticsSettings) -> InactivityThresholds:
    """Return the inactivity cascade thresholds of the settings."""
    return InactivityThresholds(
        inactive_9m=settings.inactive_9m,
        inactive_12m=settings.inactive_12m,
        inactive_15m=settings.inactive_15m,
        churned=settings.churned,
    )


def latest_snapshot() -> ValueSnapshot | None:
    """Return the newest finished snapshot that still has its per-customer rows."""
    return (
        ValueSnapshot.objects.filter(state=SnapshotState.DONE, has_rows=True)
        .order_by("-created_at", "-id")
        .first()
    )


def snapshot_job() -> Job | None:
    """Return the latest recompute job (to show its progress)."""
    return Job.objects.filter(kind="customer_value").order_by("-created_at", "-id").first()


def get_job(job_id: Any) -> Job | None:
    """Return a recompute job by id (None when it is not one)."""
    try:
        return Job.objects.filter(kind="customer_value", pk=int(job_id)).first()
    except (TypeError, ValueError):
        return None


def job_is_active(job: Job | None) -> bool:
    """Whether a job is still queued or running."""
    return bool(job and job.state in (JobState.PENDING, JobState.RUNNING))


@dataclass
class ValueFilters:
    """What the dashboard is narrowed by: period in months (None = all), channel, segment."""

    months: int | None = 12
    channel: str = ""
    segment: str = ""

    def as_query(self) -> dict[str, str]:
        """Return the filters as query-string parameters for links."""
        pairs = {
            "months": str(self.months) if self.months else "all",
            "channel": self.channel,
            "segment": self.segment,
        }
        return {k: v for k, v in pairs.items() if v}


def customer_values_visible_to(
    user: User, snapshot: ValueSnapshot | None
) -> QuerySet[CustomerValue]:
    """Return a snapshot's customer rows whose customer the user may see."""
    if snapshot is None:
        return CustomerValue.objects.none()
    rows = CustomerValue.objects.filter(snapshot=snapshot)
    if sees_everything(user):
        # Everyone but the trash: anti-joins against the (few) trashed records, instead of
        # testing a million rows against the list of every live contact.
        trashed_contact = Contact.objects.filter(
            pk=OuterRef("contact_id"), deleted_at__isnull=False
        )
        trashed_company = Company.objects.filter(
            pk=OuterRef("company_id"), deleted_at__isnull=False
        )
        return rows.exclude(Exists(trashed_contact)).exclude(
            Q(contact__isnull=True) & Exists(trashed_company)
        )
    # customer_visibility_q's rule, written on the joined contact and company: the planner
    # then looks each row's customer up by primary key for a page of 50 or the top 10,
    # instead of hashing every contact a rep owns (250,000 at 1M customers, half a second)
    # before the first row; a whole-table aggregate still gets a hash join.
    contact_scope = owner_scope(user, "contact__owner")
    company_scope = owner_scope(user, "company__owner")
    if contact_scope is None or company_scope is None:  # an "all" scope: handled above
        return rows
    return rows.filter(
        (Q(contact__deleted_at__isnull=True) & contact_scope)
        | (Q(contact__isnull=True, company__deleted_at__isnull=True) & company_scope)
    )


def filtered_values(
    user: User, snapshot: ValueSnapshot | None, filters: ValueFilters
) -> QuerySet[CustomerValue]:
    """Visible rows narrowed by channel and segment."""
    qs = customer_values_visible_to(user, snapshot)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    return qs


def value_source(user: User, snapshot: ValueSnapshot | None, filters: ValueFilters) -> ValueSource:
    """Return what the user's figures add up.

    The snapshot's cells (every one for someone who sees every customer, else those of the
    owners whose customers the user sees), or, for a snapshot without such cells, the rows of
    the customers they see (narrowed by channel and segment).
    """
    if snapshot is not None and reads_owner_cells(user, snapshot):
        cells = cells_of(snapshot, visible_owner_ids(user))
        if filters.channel:
            cells = cells.filter(channel=filters.channel)
        if filters.segment:
            cells = cells.filter(segment=filters.segment)
        return ValueSource(cells, cell_measures(), cells=True)
    as_of = snapshot.as_of if snapshot else dt.date.today()
    return ValueSource(filtered_values(user, snapshot, filters), row_measures(as_of), cells=False)


def _ratio(total: Any, count: Any) -> float | None:
    return float(total) / count if count and total is not None else None


def value_overview(
    user: User, snapshot: ValueSnapshot | None, filters: ValueFilters
) -> dict[str, Any]:
    """Return customers, customer equity (Σ CLV), mean CLV and P(alive), total spent."""
    row = value_source(user, snapshot, filters).totals(
        "customers", "clv_sum", "clv_n", "alive_sum", "alive_n", "monetary", "orders", "repeat"
    )
    customers = row["customers"] or 0
    return {
        "customers": customers,
        "equity": row["clv_sum"] if row["clv_n"] else None,
        "mean_clv": _ratio(row["clv_sum"], row["clv_n"]),
        "mean_alive": _ratio(row["alive_sum"], row["alive_n"]),
        "spent": row["monetary"],
        "orders": row["orders"],
        "repeat": row["repeat"],
        "repeat_rate": (row["repeat"] / customers) if customers else None,
    }


def equity_trend(user: User, filters: ValueFilters, limit: int = 36) -> list[dict[str, Any]]:
    """Return customer equity per finished snapshot, oldest first (the user's customers only)."""
    snapshots = list(
        ValueSnapshot.objects.filter(state=SnapshotState.DONE).order_by("-created_at", "-id")[
            :limit
        ]
    )[::-1]
    everything = sees_everything(user)
    if everything and not (filters.channel or filters.segment):
        return [
            {"as_of": s.as_of, "equity": s.customer_equity, "customers": s.customers}
            for s in snapshots
        ]
    # Cells outlive the pruned rows: the whole trend from a few hundred cells per snapshot;
    # older snapshots whose cells are not keyed by owner from the rows a rep sees.
    cells = [s for s in snapshots if s.has_cells and (everything or s.cells_by_owner)]
    rows = [] if everything else [s for s in snapshots if s.has_rows and s not in cells]
    sums: dict[int, dict[str, Any]] = {}
    if cells:
        sums.update(
            _trend_sums(
                cells_of_snapshots(cells, visible_owner_ids(user)),
                filters,
                Sum("clv_sum"),
                Sum("customers"),
            )
        )
    if rows:
        visible = CustomerValue.objects.filter(snapshot__in=rows).filter(
            customer_visibility_q(user)
        )
        sums.update(_trend_sums(visible, filters, Sum("clv"), Count("id")))
    shown = [s for s in snapshots if s in cells or s in rows]
    return [
        {
            "as_of": s.as_of,
            "equity": sums.get(s.pk, {}).get("equity"),
            "customers": sums.get(s.pk, {}).get("customers", 0),
        }
        for s in shown
    ]


def cells_of_snapshots(
    snapshots: list[ValueSnapshot], owners: list[int] | None
) -> QuerySet[ValueCell]:
    """Return the cells of these snapshots: every cell, or those of these owners' customers."""
    qs = ValueCell.objects.filter(snapshot__in=snapshots)
    return qs if owners is None else qs.filter(owner_id__in=owners)


def _trend_sums(
    qs: QuerySet[Any], filters: ValueFilters, equity: Aggregate, customers: Aggregate
) -> dict[int, dict[str, Any]]:
    """Equity and customers per snapshot of the rows or cells, narrowed by the filters."""
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    return {
        r["snapshot_id"]: r
        for r in qs.order_by().values("snapshot_id").annotate(equity=equity, customers=customers)
    }


def clv_histogram(
    user: User, snapshot: ValueSnapshot | None, filters: ValueFilters
) -> list[dict[str, Any]]:
    """Return customers per CLV bin: equal bins up to the 99th percentile, and one open bin above.

    Someone who sees every customer reads the histogram computed with the snapshot, someone
    who sees one owner's customers (their own) that owner's; someone who sees several owners'
    customers (a department) adds up those owners' grid counts (see ``histograms``) and bins
    them, as their rows would be. A snapshot written before owners kept grid counts is binned
    from the rows.
    """
    key = histogram_key(filters.channel, filters.segment)
    if snapshot is not None and snapshot.has_cells and sees_everything(user):
        stored = (snapshot.histograms or {}).get(key)
        return list(stored or [])
    owners = visible_owner_ids(user)
    if snapshot is not None and owners is not None and reads_owner_cells(user, snapshot):
        if not owners:
            return []
        if len(owners) == 1:
            mine = (
                OwnerTables.objects.filter(snapshot=snapshot, owner_id=owners[0])
                .values_list("histograms", flat=True)
                .first()
            )
            return list((mine or {}).get(key) or [])
        # An owner without customers has no tables: nothing to add for them.
        parts = list(
            OwnerTables.objects.filter(snapshot=snapshot, owner_id__in=owners)
            .annotate(
                part=KeyTransform(key, "clv_counts"),
                written=ExpressionWrapper(Q(clv_counts__isnull=False), output_field=BooleanField()),
            )
            .values_list("part", "written")
        )
        if all(written for _part, written in parts):
            return bins_from_counts(add_counts(part for part, _written in parts))
    qs = filtered_values(user, snapshot, filters).filter(clv__isnull=False).values_list("clv")
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # no snapshot yet (a new installation): nothing to draw
        return []
    values = frames.sql_frame(sql, params, {"clv": pl.Float64})["clv"].to_numpy()
    return histogram_bins(values)


def top_customers(
    user: User, snapshot: ValueSnapshot | None, filters: ValueFilters, limit: int = 10
) -> list[CustomerValue]:
    """Return the customers with the highest CLV, with their contact/company and owner."""
    return list(
        filtered_values(user, snapshot, filters)
        .filter(clv__isnull=False)
        .select_related("contact", "company", "contact__owner", "company__owner")
        # The order of the (snapshot, CLV, customer) index.
        .order_by(F("clv").desc(nulls_last=True), "customer_key")[:limit]
    )


@dataclass
class SegmentCell:
    """One RFM segment with its customers now, before, and how many came in and left."""

    code: str
    label: str
    count: int = 0
    previous: int = 0
    came_in: int = 0
    left: int = 0
    new: int = 0
    share: float = 0.0

    @property
    def change(self) -> int:
        """Customers gained (positive) or lost (negative) since the previous snapshot."""
        return self.count - self.previous


@dataclass
class SegmentGrid:
    """The 11 segments and the from→to movement matrix since the previous snapshot."""

    cells: list[SegmentCell]
    matrix: list[dict[str, Any]]
    moved: int
    has_previous: bool
    total: int
    columns: list[tuple[str, str]] = field(default_factory=list)


def segment_grid(user: User, snapshot: ValueSnapshot | None, filters: ValueFilters) -> SegmentGrid:
    """Return counts per segment and movements (one GROUP BY over previous, current segment)."""
    counted = value_source(user, snapshot, ValueFilters(channel=filters.channel))
    pairs = [
        {**row, "n": row["customers"]}
        for row in counted.grouped(("previous_segment", "segment"), "customers")
    ]
    cells = {code: SegmentCell(code, str(SEGMENT_LABELS[code])) for code in SEGMENT_CODES}
    flows: dict[tuple[str, str], int] = {}
    for row in pairs:
        before, after, n = row["previous_segment"], row["segment"], row["n"]
        flows[(before, after)] = n
        if after in cells:
            cells[after].count += n
            if not before:
                cells[after].new += n
            elif before != after:
                cells[after].came_in += n
        if before in cells:
            cells[before].previous += n
            if before != after:
                cells[before].left += n
    total = sum(c.count for c in cells.values())
    for cell in cells.values():
        cell.share = cell.count / total if total else 0.0
    sources = [(NEW_CUSTOMER, _("New customers since"))] + [
        (code, str(SEGMENT_LABELS[code])) for code in SEGMENT_CODES
    ]
    matrix = []
    for source, label in sources:
        key = "" if source == NEW_CUSTOMER else source
        counts = [flows.get((key, target), 0) for target in SEGMENT_CODES]
        if any(counts):
            matrix.append({"code": source, "label": label, "counts": counts, "total": sum(counts)})
    moved = sum(n for (before, after), n in flows.items() if before and before != after)
    has_previous = bool(snapshot and snapshot.previous_id)
    return SegmentGrid(
        cells=[cells[code] for code in SEGMENT_CODES],
        matrix=matrix,
        moved=moved,
        has_previous=has_previous,
        total=total,
        columns=[(code, str(SEGMENT_LABELS[code])) for code in SEGMENT_CODES],
    )


def inactivity_counts(
    user: User, snapshot: ValueSnapshot | None, filters: ValueFilters
) -> list[dict[str, Any]]:
    """Return customers per inactivity state (active, 9/12/15 months, churned)."""
    counted = {
        r["inactivity"]: r["customers"]
        for r in value_source(user, snapshot, filters).grouped(("inactivity",), "customers")
    }
    return [
        {"code": code, "label": str(label), "count": counted.get(code, 0)}
        for code, label in INACTIVITY_STATES
    ]


# --- Drill-down: the customers behind a number ---------------------------------------------

DRILL_ORDERINGS = {
    "clv": ("clv", "customer_key"),
    "-clv": ("-clv", "customer_key"),
    "last": ("last_purchase", "customer_key"),
    "-last": ("-last_purchase", "customer_key"),
    "alive": ("p_alive", "customer_key"),
    "-alive": ("-p_alive", "customer_key"),
    "spent": ("monetary", "customer_key"),
    "-spent": ("-monetary", "customer_key"),
}


@dataclass
class DrillFilters:
    """Which customers a dashboard number stands for."""

    segment: str = ""
    previous_segment: str = ""
    inactivity: str = ""
    channel: str = ""
    cohort: dt.date | None = None
    clv_min: float | None = None
    clv_max: float | None = None
    q: str = ""
    ordering: str = "-clv"

    def as_query(self) -> dict[str, str]:
        """Return the filters as query-string parameters (links and exports)."""
        pairs = {
            "segment": self.segment,
            "previous_segment": self.previous_segment,
            "inactivity": self.inactivity,
            "channel": self.channel,
            "cohort": self.cohort.strftime("%Y-%m") if self.cohort else "",
            "clv_min": "" if self.clv_min is None else f"{self.clv_min:g}",
            "clv_max": "" if self.clv_max is None else f"{self.clv_max:g}",
            "q": self.q,
            "sort": self.ordering if self.ordering != "-clv" else "",
        }
        return {k: v for k, v in pairs.items() if v}


def drilldown(
    user: User, snapshot: ValueSnapshot | None, filters: DrillFilters
) -> QuerySet[CustomerValue]:
    """Return the visible customers of a snapshot matching the drill-down filters."""
    qs = customer_values_visible_to(user, snapshot).select_related(
        "contact", "company", "contact__owner", "company__owner"
    )
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    if filters.previous_segment:
        previous = "" if filters.previous_segment == NEW_CUSTOMER else filters.previous_segment
        qs = qs.filter(previous_segment=previous)
    if filters.inactivity:
        qs = qs.filter(inactivity=filters.inactivity)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.cohort:
        qs = qs.filter(
            first_purchase__gte=filters.cohort, first_purchase__lt=add_months(filters.cohort, 1)
        )
    if filters.clv_min is not None:
        qs = qs.filter(clv__gte=filters.clv_min)
    if filters.clv_max is not None:
        qs = qs.filter(clv__lt=filters.clv_max)
    if filters.q:
        qs = qs.filter(contact__in=contacts_visible_to(user).filter(search_q(filters.q)))
    ordering = DRILL_ORDERINGS.get(filters.ordering, DRILL_ORDERINGS["-clv"])
    if ordering[0].lstrip("-") in {"clv", "p_alive"}:
        name = ordering[0].lstrip("-")
        expression = (
            F(name).desc(nulls_last=True)
            if ordering[0].startswith("-")
            else F(name).asc(nulls_last=True)
        )
        return qs.order_by(expression, ordering[1])
    return qs.order_by(*ordering)


def drilldown_total(
    user: User, snapshot: ValueSnapshot | None, filters: DrillFilters
) -> int | None:
    """Return how many customers the drill-down lists, from the cells when they count them.

    The cells of the owners whose customers the user sees (every cell for someone who sees
    everyone) already add up the customers per segment, previous segment, inactivity and
    channel: a list narrowed only by those is counted from a few hundred cells instead of its
    rows. It is the figure of the number the user clicked on the dashboard, and the rows'
    count while no customer changed owner or went to the trash since the snapshot. None (count
    the rows) for a cohort, a CLV range or a search, which the cells do not key, and for a
    snapshot without cells keyed by owner.
    """
    if snapshot is None or not reads_owner_cells(user, snapshot):
        return None
    if filters.cohort or filters.clv_min is not None or filters.clv_max is not None or filters.q:
        return None
    cells = cells_of(snapshot, visible_owner_ids(user))
    if filters.segment:
        cells = cells.filter(segment=filters.segment)
    if filters.previous_segment:
        previous = "" if filters.previous_segment == NEW_CUSTOMER else filters.previous_segment
        cells = cells.filter(previous_segment=previous)
    if filters.inactivity:
        cells = cells.filter(inactivity=filters.inactivity)
    if filters.channel:
        cells = cells.filter(channel=filters.channel)
    total: int = cells.aggregate(n=Coalesce(Sum("customers"), 0))["n"]
    return total


# --- The customer card -------------------------------------------------------------------------


def customer_value_for(user: User, contact: Contact | None) -> dict[str, Any] | None:
    """Return the contact's value in the latest snapshot, if the user may see it and it is there."""
    if contact is None or not can_view_value(user):
        return None
    if not contacts_visible_to(user).filter(pk=contact.pk).exists():
        return None
    snapshot = latest_snapshot()
    if snapshot is None:
        return None
    row = CustomerValue.objects.filter(snapshot=snapshot, contact_id=contact.pk).first()
    if row is None:
        return None
    return {
        "segment": row.segment,
        "segment_label": str(SEGMENT_LABELS.get(row.segment, row.segment)),
        "r": row.r,
        "f": row.f,
        "m": row.m,
        "clv": row.clv,
        "p_alive": row.p_alive,
        "expected_purchases": row.expected_purchases,
        "expected_average_value": row.expected_average_value,
        "last_purchase": row.last_purchase,
        "first_purchase": row.first_purchase,
        "orders": row.orders,
        "purchase_days": row.purchase_days,
        "total": row.monetary,
        "inactivity": row.inactivity,
        "inactivity_label": str(dict(INACTIVITY_STATES).get(row.inactivity, row.inactivity)),
        "as_of": snapshot.as_of,
        "horizon_months": get_analytics_settings().clv_horizon_months,
    }
