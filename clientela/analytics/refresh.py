"""Keep the latest snapshot right for a few customers between nightly runs.

A merge moves the merged contact's orders to the survivor: without this the survivor's value
card would say "1 pedido" while its timeline shows 3 until the next snapshot. The contacts app
tells registered listeners after a merge (or its undo) commits; analytics answers by
recomputing those contacts' rows of the latest snapshot:

- purchases, periods and first-day channel from their orders (through the contact index);
- R, F and M against the snapshot's other customers (the quintile rule of ``rfm_scores``:
  1 + 5 × customers strictly worse ÷ customers), segment and inactivity;
- P(alive), expected purchases and CLV from the snapshot's fitted models (no refit);
- the snapshot's summary figures (customers, equity, segment, inactivity and movement counts)
  moved by the difference, so the dashboard agrees with the rows.

The nightly snapshot recomputes everyone from scratch, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import fields
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Count, Q

from clientela.analytics import frames
from clientela.analytics.aggregates import days_between, summary_from_aggregates
from clientela.analytics.measures import build_cells
from clientela.analytics.models import CustomerValue, ValueSnapshot
from clientela.analytics.queries import get_analytics_settings, latest_snapshot, thresholds_of
from clientela.analytics.rfm import inactivity_states, segment_codes
from clientela.analytics.services import write_customer_rows

logger = logging.getLogger(__name__)


def refresh_after_merge(contact_ids: list[int]) -> None:
    """Merge listener (registered with contacts): recompute those contacts' values.

    Derived data: a failure is logged, never turned into an error of the merge that already
    committed (the nightly snapshot repairs it).
    """
    try:
        refresh_contact_values(contact_ids)
    except Exception:
        logger.exception("customer value of contacts %s not refreshed after a merge", contact_ids)


def refresh_contact_values(contact_ids: Iterable[int]) -> int:
    """Recompute the latest snapshot's rows of these contacts; returns the rows written."""
    keys = sorted({int(i) for i in contact_ids if i})
    latest = latest_snapshot()
    if latest is None or not keys:
        return 0
    with transaction.atomic():
        snapshot = ValueSnapshot.objects.select_for_update().get(pk=latest.pk)
        old: list[dict[str, Any]] = [
            dict(row)
            for row in CustomerValue.objects.filter(
                snapshot=snapshot, customer_key__in=keys
            ).values("segment", "previous_segment", "inactivity", "orders", "monetary", "clv")
        ]
        frame = _score(snapshot, frames.customer_aggregates(snapshot.as_of, keys), keys)
        CustomerValue.objects.filter(snapshot=snapshot, customer_key__in=keys).delete()
        if frame.height:
            write_customer_rows(snapshot, frames.with_owners(frame, keys))
        _move_summary(snapshot, old, frame)
        if snapshot.has_cells:
            build_cells(snapshot)
    return frame.height


def _score(snapshot: ValueSnapshot, aggregates: pl.DataFrame, keys: list[int]) -> pl.DataFrame:
    """RFM, segment, inactivity, previous segment, channel and CLV of a few customers."""
    if aggregates.height == 0:
        return aggregates
    as_of = snapshot.as_of
    recency = days_between(as_of, aggregates["last_purchase"].to_numpy())
    others = CustomerValue.objects.filter(snapshot=snapshot).exclude(customer_key__in=keys)
    population = others.count() + aggregates.height
    scores: list[tuple[int, int, int]] = []
    for days_since, days, money in zip(
        recency, aggregates["purchase_days"], aggregates["monetary"], strict=True
    ):
        worse = others.aggregate(
            r=Count("id", filter=Q(recency_days__gt=int(days_since))),
            f=Count("id", filter=Q(purchase_days__lt=int(days))),
            m=Count("id", filter=Q(monetary__lt=Decimal(str(round(float(money), 2))))),
        )
        scores.append((
            1 + (5 * worse["r"]) // population,
            1 + (5 * worse["f"]) // population,
            1 + (5 * worse["m"]) // population,
        ))  # fmt: skip
    r, f, m = (np.array(column, dtype=np.int64) for column in zip(*scores, strict=True))
    previous = dict(
        CustomerValue.objects.filter(
            snapshot_id=snapshot.previous_id, customer_key__in=keys
        ).values_list("customer_key", "segment")
    )
    settings = get_analytics_settings()
    first_days = frames.contact_first_days(as_of, keys)
    frame = aggregates.join(first_days, on="customer_key", how="left").with_columns(
        pl.col("channel").fill_null(""),
        pl.col("first_day_total").fill_null(pl.col("monetary")),
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
    frame = frame.with_columns(
        previous_segment=pl.Series(
            [previous.get(key, "") for key in frame["customer_key"]], dtype=pl.String
        ),
        **_clv_columns(snapshot, frame),
    )
    return frame.drop("first_day_total")


def _params(kind: type[Any], stored: dict[str, Any]) -> Any:
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in stored.items() if k in names})


def _clv_columns(snapshot: ValueSnapshot, frame: pl.DataFrame) -> dict[str, pl.Series]:
    """P(alive), expected purchases and spend, CLV from the snapshot's fitted models."""
    # The models import SciPy: loaded after a merge, not by every process that registers the
    # merge listener.
    from clientela.analytics.clv.bgnbd import (
        BgNbdParams,
        conditional_expected_purchases,
        probability_alive,
    )
    from clientela.analytics.clv.gamma_gamma import (
        GammaGammaParams,
        conditional_expected_average_value,
    )
    from clientela.analytics.clv.value import customer_lifetime_value

    model = snapshot.model or {}
    empty = pl.Series([None] * frame.height, dtype=pl.Float64)
    if "bgnbd" not in model or "gamma_gamma" not in model:
        names = ("expected_purchases", "p_alive", "expected_average_value", "clv")
        return dict.fromkeys(names, empty)
    bgnbd = _params(BgNbdParams, model["bgnbd"])
    gamma_gamma = _params(GammaGammaParams, model["gamma_gamma"])
    time_unit = model.get("time_unit", "weeks")
    summary = summary_from_aggregates(
        frame["first_purchase"].to_numpy(),
        frame["last_purchase"].to_numpy(),
        frame["purchase_days"].to_numpy(),
        frame["monetary"].to_numpy(),
        frame["first_day_total"].to_numpy(),
        as_of=snapshot.as_of,
        time_unit=time_unit,
    )
    x = summary["frequency"].to_numpy().astype(np.float64)
    t_x = summary["recency"].to_numpy()
    age = summary["T"].to_numpy()
    money = summary["monetary_value"].to_numpy()
    horizon = float(model["horizon"])
    return {
        "expected_purchases": pl.Series(
            conditional_expected_purchases(bgnbd, horizon, x, t_x, age)
        ),
        "p_alive": pl.Series(probability_alive(bgnbd, x, t_x, age)),
        "expected_average_value": pl.Series(
            conditional_expected_average_value(gamma_gamma, x, money)
        ),
        "clv": pl.Series(
            customer_lifetime_value(
                bgnbd,
                gamma_gamma,
                x,
                t_x,
                age,
                money,
                horizon=horizon,
                time_unit=time_unit,
                discount_rate=float(model.get("discount_rate", 0.01)),
            )
        ),
    }


def _move_summary(snapshot: ValueSnapshot, old: list[dict[str, Any]], new: pl.DataFrame) -> None:
    """Move the snapshot's summary figures from the old rows to the new ones."""
    segments = dict(snapshot.segment_counts or {})
    inactivity = dict(snapshot.inactivity_counts or {})
    movement = {k: dict(v) for k, v in (snapshot.movement or {}).items()}
    equity = snapshot.customer_equity
    revenue = Decimal(snapshot.revenue or 0)
    orders = int(snapshot.orders or 0)

    def shift(row: dict[str, Any], sign: int) -> None:
        nonlocal equity, revenue, orders
        segments[row["segment"]] = segments.get(row["segment"], 0) + sign
        inactivity[row["inactivity"]] = inactivity.get(row["inactivity"], 0) + sign
        cell = movement.setdefault(row["previous_segment"] or "", {})
        cell[row["segment"]] = cell.get(row["segment"], 0) + sign
        orders += sign * int(row["orders"])
        revenue += sign * Decimal(str(round(float(row["monetary"]), 2)))
        if row["clv"] is not None and equity is not None:
            equity += sign * float(row["clv"])

    for row in old:
        shift(row, -1)
    # A customer left without purchases (an undone merge took them all) has no new row, and
    # an empty frame has none of the scored columns.
    if new.height:
        for row in new.select(
            "segment", "previous_segment", "inactivity", "orders", "monetary", "clv"
        ).iter_rows(named=True):
            shift(row, 1)
    snapshot.customers = snapshot.customers - len(old) + new.height
    snapshot.orders = max(orders, 0)
    snapshot.revenue = revenue
    snapshot.customer_equity = equity
    snapshot.segment_counts = segments
    snapshot.inactivity_counts = inactivity
    snapshot.movement = {k: {s: n for s, n in v.items() if n} for k, v in movement.items()}
    snapshot.save(
        update_fields=[
            "customers", "orders", "revenue", "customer_equity", "segment_counts",
            "inactivity_counts", "movement",
        ]
    )  # fmt: skip
