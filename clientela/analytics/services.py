"""Writes for customer value: snapshots of RFM, inactivity and CLV per customer; settings."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import time
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import numpy as np
import polars as pl
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.analytics import frames
from clientela.analytics.aggregates import days_between, summary_from_aggregates
from clientela.analytics.clv.summary import DAYS_PER_MONTH, SummaryInputError, unit_days
from clientela.analytics.cohort_queries import company_cohort_tables, owner_cohort_tables
from clientela.analytics.decimals import check_field
from clientela.analytics.histograms import (
    bins_from_counts,
    grid_counts,
    histogram_bins,
    histogram_key,
)
from clientela.analytics.measures import build_cells
from clientela.analytics.models import (
    PERIOD_MONTHS,
    AnalyticsSettings,
    CustomerValue,
    OwnerTables,
    SnapshotState,
    ValueSnapshot,
)
from clientela.analytics.queries import (
    can_manage_settings,
    can_recompute,
    get_analytics_settings,
    latest_snapshot,
    thresholds_of,
)
from clientela.analytics.rfm import (
    INACTIVITY_CODES,
    SEGMENT_CODES,
    inactivity_states,
    rfm_scores,
    segment_codes,
)
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.models import Job, JobState
from clientela.timeline.choices import Verb
from clientela.timeline.services import diff_fields, record_event

logger = logging.getLogger(__name__)

JOB_KIND = "customer_value"
TIME_UNIT = "weeks"
STEPS = 5
# A snapshot still "running" after this long died with its process; another may start.
STALE_AFTER = dt.timedelta(hours=2)
ROW_COLUMNS = (
    "snapshot_id", "customer_key", "contact_id", "company_id", "first_purchase", "last_purchase",
    "purchase_days", "orders", "monetary", "recency_days", "r", "f", "m", "segment",
    "previous_segment", "inactivity", "channel", "expected_purchases", "p_alive",
    "expected_average_value", "clv",
    *(f"{name}_{months}m" for months in PERIOD_MONTHS
      for name in ("orders", "revenue", "cost", "costed", "unattributed")),
    "cost_all", "costed_all", "unattributed_all", "bought_prior_year", "snapshot_owner_id",
)  # fmt: skip


def _progress(job: Job | None, step: int, message: str) -> None:
    if job is None:
        return
    Job.objects.filter(pk=job.pk).update(
        processed=step, message=message, heartbeat_at=timezone.now()
    )


def score_frame(
    aggregates: pl.DataFrame,
    *,
    as_of: dt.date,
    settings: AnalyticsSettings,
    first_days: pl.DataFrame | None,
    previous: pl.DataFrame | None,
) -> tuple[pl.DataFrame, dict[str, Any], str]:
    """Add RFM scores, segment, inactivity, previous segment and (with first days) CLV.

    Returns the frame, the fitted model parameters and a note when CLV could not be fitted.
    """
    # The models import SciPy: loaded by the processes that score, never by a web request.
    from clientela.analytics.clv.fitting import FitError
    from clientela.analytics.clv.value import score_customers

    recency = days_between(as_of, aggregates["last_purchase"].to_numpy())
    r, f, m = rfm_scores(recency, aggregates["purchase_days"], aggregates["monetary"])
    frame = aggregates.with_columns(
        recency_days=pl.Series(recency),
        r=pl.Series(r),
        f=pl.Series(f),
        m=pl.Series(m),
        segment=pl.Series(segment_codes(r, f, m), dtype=pl.String),
        inactivity=pl.Series(
            inactivity_states(
                aggregates["last_purchase"].to_numpy(), as_of, thresholds_of(settings)
            ),
            dtype=pl.String,
        ),
    )
    if previous is not None and previous.height:
        frame = frame.join(
            previous.rename({"segment": "previous_segment"}), on="customer_key", how="left"
        )
    else:
        frame = frame.with_columns(previous_segment=pl.lit(None, dtype=pl.String))
    frame = frame.with_columns(pl.col("previous_segment").fill_null(""))
    model: dict[str, Any] = {}
    note = ""
    empty = pl.lit(None, dtype=pl.Float64)
    clv_columns: dict[str, Any] = {
        "expected_purchases": empty,
        "p_alive": empty,
        "expected_average_value": empty,
        "clv": empty,
    }
    if first_days is None:
        frame = frame.with_columns(channel=pl.lit(""))
    else:
        frame = frame.join(first_days, on="customer_key", how="left").with_columns(
            pl.col("channel").fill_null(""),
            pl.col("first_day_total").fill_null(pl.col("monetary")),
        )
        horizon = settings.clv_horizon_months * DAYS_PER_MONTH / unit_days(TIME_UNIT)
        try:
            summary = summary_from_aggregates(
                frame["first_purchase"].to_numpy(),
                frame["last_purchase"].to_numpy(),
                frame["purchase_days"].to_numpy(),
                frame["monetary"].to_numpy(),
                frame["first_day_total"].to_numpy(),
                as_of=as_of,
                time_unit=TIME_UNIT,
            )
            result = score_customers(
                summary,
                time_unit=TIME_UNIT,
                horizon=horizon,
                discount_rate=float(settings.monthly_discount_rate),
            )
        # Degenerate data (too few or identical customers) must cost CLV, never the snapshot.
        except (
            FitError,
            SummaryInputError,
            ValueError,
            ArithmeticError,
            np.linalg.LinAlgError,
        ) as exc:
            note = _("CLV could not be estimated from these orders: %(reason)s") % {
                "reason": str(exc)
            }
        else:
            scored = result.customers
            # A customer the models leave out (e.g. one whose rows are all refunds) has no
            # value: NULL in the snapshot, never NaN, which sums and charts would spread.
            clv_columns = {
                name: pl.Series(scored[name].to_numpy(), dtype=pl.Float64).fill_nan(None)
                for name in ("expected_purchases", "p_alive", "expected_average_value", "clv")
            }
            model = {
                "bgnbd": result.bgnbd.as_dict(),
                "gamma_gamma": result.gamma_gamma.as_dict(),
                "time_unit": TIME_UNIT,
                "horizon": horizon,
                "discount_rate": float(settings.monthly_discount_rate),
            }
        frame = frame.drop("first_day_total")
    return frame.with_columns(**clv_columns), model, note


def _split_key(frame: pl.DataFrame) -> pl.DataFrame:
    """contact_id / company_id from the customer key (negative keys are companies)."""
    key = pl.col("customer_key")
    return frame.with_columns(
        contact_id=pl.when(key > 0).then(key),
        company_id=pl.when(key < 0).then(-key),
    )


def write_customer_rows(snapshot: ValueSnapshot, frame: pl.DataFrame) -> None:
    """Store the snapshot's rows: COPY on PostgreSQL, one executemany on SQLite."""
    out = _split_key(frame).with_columns(
        snapshot_id=pl.lit(snapshot.pk, dtype=pl.Int64),
        monetary=pl.col("monetary").round(2).cast(pl.Decimal(20, 2)),
    )
    out = out.select(ROW_COLUMNS)
    columns = ", ".join(ROW_COLUMNS)
    table = CustomerValue._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            out.write_csv(buffer, include_header=False, null_value="")
            buffer.seek(0)
            statement = (
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, "
                "FORCE_NOT_NULL (segment, previous_segment, inactivity, channel))"
            )
            with cursor.cursor.copy(statement) as copy:
                while block := buffer.read(1 << 20):
                    copy.write(block)
        else:
            placeholders = ", ".join(["%s"] * len(ROW_COLUMNS))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            batch: list[tuple[Any, ...]] = []
            for row in out.iter_rows():
                batch.append(row)
                if len(batch) >= 20_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)


def _counts(values: pl.Series, codes: tuple[str, ...]) -> dict[str, int]:
    counted = dict(values.value_counts().iter_rows())
    return {code: int(counted.get(code, 0)) for code in codes}


def _movement(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    grouped = frame.group_by("previous_segment", "segment").len()
    for before, after, n in grouped.iter_rows():
        matrix.setdefault(before, {})[after] = int(n)
    return matrix


def _claim(actor: User | None, as_of: dt.date, job: Job | None) -> ValueSnapshot:
    """Start a snapshot unless another one is running (a stale one is marked failed)."""
    with transaction.atomic():
        running = ValueSnapshot.objects.select_for_update().filter(state=SnapshotState.RUNNING)
        stale = running.filter(created_at__lt=timezone.now() - STALE_AFTER)
        stale.update(state=SnapshotState.FAILED, clv_message="stopped before finishing")
        if running.exclude(pk__in=stale.values("pk")).exists():
            raise Conflict(_("Customer value is already being computed. Wait a moment."))
        return ValueSnapshot.objects.create(
            as_of=as_of,
            created_by=actor if actor is not None and actor.pk else None,
            job=job,
            previous=latest_snapshot(),
        )


def compute_customer_value_snapshot(
    *,
    actor: User | None = None,
    as_of: dt.date | None = None,
    with_clv: bool = True,
    job: Job | None = None,
) -> ValueSnapshot:
    """Score every customer (RFM, segment, inactivity, CLV) and keep it as a new snapshot.

    One SQL aggregate per customer feeds vectorised NumPy/Polars scoring; rows are written in
    bulk (COPY on PostgreSQL). `actor` None means the scheduler. The previous snapshot's
    segment is kept per customer, so movements between segments can be counted.
    """
    if actor is not None and not can_recompute(actor):
        raise Forbidden(_("Only administrators and managers recompute customer value."))
    day = as_of or timezone.localdate()
    settings = get_analytics_settings()
    snapshot = _claim(actor, day, job)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    try:
        _progress(job, 1, _("Adding up orders per customer"))
        aggregates = frames.customer_aggregates(day)
        lap("aggregate")
        first_days = frames.first_day_aggregates(day) if with_clv else None
        lap("first_days")
        previous = (
            frames.snapshot_segments(snapshot.previous_id)
            if snapshot.previous_id and snapshot.previous and snapshot.previous.has_rows
            else None
        )
        lap("previous")
        _progress(job, 2, _("Scoring customers"))
        frame = aggregates
        model: dict[str, Any] = {}
        note = ""
        if aggregates.height:
            frame, model, note = score_frame(
                aggregates,
                as_of=day,
                settings=settings,
                first_days=first_days,
                previous=previous,
            )
        lap("score")
        _progress(job, 3, _("Saving customer values"))
        if frame.height:
            frame = frames.with_owners(frame)
            write_customer_rows(snapshot, frame)
        lap("write")
        _progress(job, 4, _("Summing up"))
        if frame.height:
            build_cells(snapshot)
            snapshot.histograms = _histograms(frame)
        lap("cells")
        orders = frames.order_days(start=None, end=day)
        snapshot.cohorts = company_cohort_tables(day, orders)
        lap("cohorts")
        if frame.height:
            write_owner_tables(snapshot, frame, orders)
        lap("owner_tables")
        snapshot.has_cells = True
        snapshot.cells_by_owner = True
        _finish(snapshot, frame, model, note)
        _prune(settings.snapshots_kept)
        lap("finish")
        ValueSnapshot.objects.filter(pk=snapshot.pk).update(timings=timings)
        snapshot.timings = timings
    except Exception:
        logger.exception("customer value snapshot %s failed", snapshot.pk)
        CustomerValue.objects.filter(snapshot=snapshot).delete()
        ValueSnapshot.objects.filter(pk=snapshot.pk).update(
            state=SnapshotState.FAILED, finished_at=timezone.now(), has_rows=False
        )
        raise
    return snapshot


def write_owner_tables(snapshot: ValueSnapshot, frame: pl.DataFrame, orders: pl.DataFrame) -> int:
    """Store each owner's cohort tables and CLV histograms of the snapshot; returns the owners.

    `frame` holds the snapshot's customers with their owner, `orders` every customer's money
    per purchase day up to the snapshot's day.
    """
    owners = frame.select("customer_key", "snapshot_owner_id")
    cohorts = owner_cohort_tables(snapshot.as_of, orders, owners)
    owned = frame.filter(pl.col("snapshot_owner_id").is_not_null())
    # Only the histograms with customers: a missing one reads as empty.
    parts = {
        int(owner): part
        for (owner,), part in owned.partition_by("snapshot_owner_id", as_dict=True).items()
    }
    counts = {owner: _histogram_counts(part) for owner, part in parts.items()}
    histograms = {
        owner: {k: bins for k, c in mine.items() if (bins := bins_from_counts(c))}
        for owner, mine in counts.items()
    }
    OwnerTables.objects.filter(snapshot=snapshot).delete()
    OwnerTables.objects.bulk_create(
        [
            OwnerTables(
                snapshot=snapshot,
                owner_id=owner,
                cohorts=cohorts.get(owner, {}),
                histograms=histograms[owner],
                clv_counts=counts[owner],
            )
            for owner in sorted(histograms)
        ],
        batch_size=100,
    )
    return len(histograms)


def _clv_by_filter(frame: pl.DataFrame) -> Iterator[tuple[str, np.ndarray]]:
    """Yield the key and the CLV values of every channel and segment filter the dashboard offers."""
    scored = frame.select("channel", "segment", "clv").filter(pl.col("clv").is_not_null())
    for channel in ["", *scored["channel"].unique().to_list()]:
        by_channel = scored.filter(pl.col("channel") == channel) if channel else scored
        for segment in ["", *SEGMENT_CODES]:
            chosen = by_channel.filter(pl.col("segment") == segment) if segment else by_channel
            yield histogram_key(channel, segment), chosen["clv"].to_numpy()


def _histograms(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Return the CLV histogram of every channel and segment filter the dashboard offers."""
    return {key: histogram_bins(values) for key, values in _clv_by_filter(frame)}


def _histogram_counts(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Return the CLV grid counts of every filter with customers (a missing one is empty)."""
    return {key: grid_counts(values) for key, values in _clv_by_filter(frame) if values.size}


def _finish(snapshot: ValueSnapshot, frame: pl.DataFrame, model: dict[str, Any], note: str) -> None:
    """Record the snapshot's summary figures and mark it done."""
    if frame.height:
        snapshot.customers = frame.height
        snapshot.orders = int(frame["orders"].sum())
        snapshot.revenue = round(float(frame["monetary"].sum()), 2)
        snapshot.segment_counts = _counts(frame["segment"], SEGMENT_CODES)
        snapshot.inactivity_counts = _counts(frame["inactivity"], INACTIVITY_CODES)
        snapshot.movement = _movement(frame)
        clv = frame["clv"].drop_nulls()
        snapshot.customer_equity = float(clv.sum()) if len(clv) else None
    snapshot.model = model
    snapshot.clv_message = note
    snapshot.state = SnapshotState.DONE
    snapshot.finished_at = timezone.now()
    snapshot.save()


def _prune(keep: int) -> None:
    """Delete the per-customer rows of snapshots older than the last `keep` finished ones.

    Their owners' tables go too (only the latest snapshot with rows is read); cells stay.
    """
    keep = max(int(keep), 2)  # the latest and the one movements are measured against
    old = list(
        ValueSnapshot.objects.filter(state=SnapshotState.DONE, has_rows=True)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[keep:]
    )
    for pk in old:
        CustomerValue.objects.filter(snapshot_id=pk).delete()
        OwnerTables.objects.filter(snapshot_id=pk).delete()
        ValueSnapshot.objects.filter(pk=pk).update(has_rows=False)


def request_customer_value_snapshot(*, actor: User) -> Job:
    """Queue a recompute for the worker and return its Job (the running one if there is one)."""
    if not can_recompute(actor):
        raise Forbidden(_("Only administrators and managers recompute customer value."))
    # The task module imports this one, so the task is looked up by name (no import cycle).
    task = import_string("clientela.analytics.tasks.run_customer_value_task")
    with transaction.atomic():
        current = (
            Job.objects.select_for_update()
            .filter(kind=JOB_KIND, state__in=[JobState.PENDING, JobState.RUNNING])
            .filter(created_at__gte=timezone.now() - STALE_AFTER)
            .first()
        )
        if current is not None:
            return current
        job = Job.objects.create(
            kind=JOB_KIND,
            created_by=actor,
            total=STEPS,
        )
        transaction.on_commit(partial(task.enqueue, job.pk))
    return job


def run_customer_value_job(job_id: int) -> None:
    """Run a queued recompute and record its outcome on the Job (called by the worker)."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.is_finished:
        return
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    try:
        snapshot = compute_customer_value_snapshot(actor=job.created_by, job=job)
    except Conflict as exc:
        _end_job(job, JobState.FAILED, str(exc))
        return
    except Exception as exc:
        _end_job(job, JobState.FAILED, _("The computation failed: %(error)s") % {"error": exc})
        raise
    counts = {"customers": snapshot.customers, "snapshot": snapshot.pk}
    Job.objects.filter(pk=job.pk).update(counts=counts)
    _end_job(job, JobState.DONE, snapshot.clv_message or _("Customer value is up to date."))


def _end_job(job: Job, state: str, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=state, finished_at=timezone.now(), processed=STEPS, message=message
    )


SETTINGS_FIELDS = (
    "inactive_9m", "inactive_12m", "inactive_15m", "churned", "clv_horizon_months",
    "monthly_discount_rate", "default_gross_margin", "retention_cost_per_customer", "industry",
    "snapshots_kept",
)  # fmt: skip
DECIMAL_SETTINGS = ("monthly_discount_rate", "default_gross_margin", "retention_cost_per_customer")


@transaction.atomic
def update_analytics_settings(*, actor: User, data: Mapping[str, Any]) -> AnalyticsSettings:
    """Change the analytics settings; the inactivity steps must grow month after month."""
    if not can_manage_settings(actor):
        raise Forbidden(_("Only administrators and managers change analytics settings."))
    current = get_analytics_settings()
    values = {name: data.get(name, getattr(current, name)) for name in SETTINGS_FIELDS}
    errors: dict[str, list[str]] = {}
    for name in DECIMAL_SETTINGS:
        if values[name] is None or values[name] == "":
            values[name] = None
            continue
        try:
            values[name] = check_field(AnalyticsSettings, name, values[name])
        except DjangoValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    steps = [values[name] for name in ("inactive_9m", "inactive_12m", "inactive_15m", "churned")]
    if any(step is None or int(step) < 1 for step in steps) or any(
        int(b) <= int(a) for a, b in itertools.pairwise(steps)
    ):
        errors["churned"] = [
            _("Each inactivity step must come after the previous one (for example 9, 12, 15, 36).")
        ]
    if not 1 <= int(values["clv_horizon_months"] or 0) <= 120:
        errors["clv_horizon_months"] = [_("Use a horizon between 1 and 120 months.")]
    retention = values["retention_cost_per_customer"]
    if retention is not None and retention < 0:
        errors["retention_cost_per_customer"] = [_("Enter a number of zero or more.")]
    margin = values["default_gross_margin"]
    if margin is not None and not 0 <= float(margin) <= 1:
        errors["default_gross_margin"] = [_("Enter the margin as a fraction between 0 and 1.")]
    rate = values["monthly_discount_rate"]
    if rate is None or not 0 <= float(rate) < 1:
        errors["monthly_discount_rate"] = [_("Enter a monthly rate between 0 and 1.")]
    if errors:
        raise ValidationFailed(errors)
    before = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    fields = {**values, "updated_by": actor, "updated_at": timezone.now()}
    with transaction.atomic():
        # An UPDATE, not update_or_create: the stored row may hold a value that cannot be read.
        if not AnalyticsSettings.objects.filter(pk=1).update(**fields):
            AnalyticsSettings.objects.create(pk=1, **fields)
        obj = get_analytics_settings()
        changes = diff_fields(before, {name: getattr(obj, name) for name in SETTINGS_FIELDS})
        if changes:
            record_event(Verb.UPDATED, actor=actor, target=obj, data={"changes": changes})
    return obj


def compute_nightly_snapshot() -> None:
    """Scheduler entry point: a snapshot as of today, skipped when orders are absent."""
    from clientela.orders.models import Order

    if not Order.objects.exists() and latest_snapshot() is None:
        return
    try:
        compute_customer_value_snapshot(actor=None)
    except Conflict:
        logger.info("customer value snapshot already running; nightly run skipped")
