"""Segment conditions over customer value: RFM segment, inactivity state, CLV and P(alive).

They read the latest finished snapshot (the nightly run, or the last recompute), the same
figures the value pages show; a contact the snapshot does not hold has no value, so "CLV at
least 100" leaves him out and "RFM segment is none of …" keeps him.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from clientela.analytics.models import CustomerValue
from clientela.analytics.queries import latest_snapshot
from clientela.analytics.rfm import INACTIVITY_STATES, SEGMENTS
from clientela.segments.conditions.base import chunks, column_q
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    register_condition,
)

VALUE = _("Customer value")


def _snapshot_id(ctx: Context) -> int | None:
    def build() -> int | None:
        snapshot = latest_snapshot()
        return snapshot.pk if snapshot else None

    return ctx.cached("analytics:snapshot", build)  # type: ignore[no-any-return]


def _column(path: str, kind: Kind) -> Any:
    def compile_(condition: Condition, ctx: Context) -> Q:
        snapshot_id = _snapshot_id(ctx)
        rows = CustomerValue.objects.filter(snapshot_id=snapshot_id, contact_id=OuterRef("pk"))
        if condition.positive == "is_empty":
            return ~Q(Exists(rows.filter(**{f"{path}__isnull": False})))
        return Q(Exists(rows.filter(column_q(path, kind, condition, ctx, nullable=True))))

    def load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
        snapshot_id = _snapshot_id(ctx)
        values: dict[int, Any] = {}
        for part in chunks(list(ids)):
            rows = CustomerValue.objects.filter(snapshot_id=snapshot_id, contact_id__in=part)
            values.update(rows.values_list("contact_id", path))
        return values

    return compile_, load


def register_value_conditions() -> None:
    """Register the customer-value conditions with segments (AnalyticsConfig.ready)."""
    for field, label, path, kind, choices, operators in (
        (
            "rfm_segment",
            _("RFM segment"),
            "segment",
            Kind.CHOICE,
            partial(lambda: [(s.code, s.label) for s in SEGMENTS]),
            ("in", "not_in"),
        ),
        (
            "inactivity",
            _("Inactivity (months without buying)"),
            "inactivity",
            Kind.CHOICE,
            partial(list, INACTIVITY_STATES),
            ("in", "not_in"),
        ),
        ("clv", _("Predicted CLV"), "clv", Kind.NUMBER, None, ()),
        ("p_alive", _("Probability still a customer (P(alive))"), "p_alive", Kind.NUMBER, None, ()),
    ):
        compile_, load = _column(path, kind)
        register_condition(
            ConditionSpec(
                field=field,
                label=label,
                group=VALUE,
                kind=kind,
                compile=compile_,
                load=load,
                choices=choices,
                operators=operators,
            )
        )


def register_value_ready_made() -> None:
    """Register the 11 RFM groups and the reactivation cascade as ready-made segments."""
    from clientela.segments.readymade import ReadyMade, register_ready_made

    for segment in SEGMENTS:
        register_ready_made(
            ReadyMade(
                f"rfm_{segment.code}",
                segment.label,
                _("Customers in this RFM group in the latest customer-value snapshot."),
                {"all": [{"field": "rfm_segment", "op": "in", "value": [segment.code]}]},
            )
        )
    descriptions = {
        "inactive_9m": _("First reactivation step: no purchase for 9 months (settings)."),
        "inactive_12m": _("Second reactivation step: no purchase for 12 months (settings)."),
        "inactive_15m": _("Third reactivation step: no purchase for 15 months (settings)."),
        "churned": _("Fuga: no purchase for 3 years (settings); out of the reactivation cascade."),
    }
    for code, label in INACTIVITY_STATES:
        if code in descriptions:
            register_ready_made(
                ReadyMade(
                    f"inactivity_{code}",
                    label,
                    descriptions[code],
                    {"all": [{"field": "inactivity", "op": "in", "value": [code]}]},
                )
            )
