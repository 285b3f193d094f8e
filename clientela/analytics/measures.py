"""The figures the customer-value pages add up, over customer rows or over pre-added cells.

A snapshot keeps one row per customer (``CustomerValue``) and, beside them, the same rows
added up per (channel, segment, previous segment, inactivity, owner) cell (``ValueCell``): a
few hundred cells instead of a million rows. Someone who sees every customer adds up every
cell; someone who sees some owners' customers (their own, their departments') adds up those
owners' cells. Both go through `value_source`, and the cells are built from the rows with the
very aggregates the rows path uses (`row_measures`), so the two paths cannot disagree.

A cell's owner is the customer's owner when the snapshot was taken: a customer handed to
another owner since then counts for the former owner's figures until the next snapshot (the
lists of customers, read row by row, follow the live owner).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.aggregates import Aggregate
from django.db.models.functions import Coalesce

from clientela.analytics.models import PERIOD_MONTHS, CustomerValue, ValueCell, ValueSnapshot

CELL_DIMENSIONS = ("channel", "segment", "previous_segment", "inactivity")
PERIOD_KEYS = (*(f"{months}m" for months in PERIOD_MONTHS), "all")
PERIOD_FIGURES = ("buyers", "orders", "revenue", "cost", "costed", "unattributed", "new")


def period_key(months: int | None) -> str:
    """Return the suffix of a period's figures ("3m" … "24m", "all")."""
    if months is None:
        return "all"
    if months not in PERIOD_MONTHS:
        raise ValueError(f"no sums are kept for a period of {months} months")
    return f"{months}m"


def row_measures(as_of: dt.date) -> dict[str, Aggregate]:
    """Every figure of a cell, as an aggregate over customer rows of a snapshot of `as_of`."""
    from clientela.analytics.frames import period_start

    year_ago = as_of - dt.timedelta(days=365)
    measures: dict[str, Aggregate] = {
        "customers": Count("id"),
        "clv_sum": Sum("clv"),
        "clv_n": Count("clv"),
        "alive_sum": Sum("p_alive"),
        "alive_n": Count("p_alive"),
        "monetary": Sum("monetary"),
        "orders": Sum("orders"),
        "repeat": Count("id", filter=Q(purchase_days__gt=1)),
        "prior": Count("id", filter=Q(bought_prior_year=True)),
        "lost": Count("id", filter=Q(bought_prior_year=True, last_purchase__lte=year_ago)),
        "last_purchase": Max("last_purchase"),
    }
    for key in PERIOD_KEYS:
        if key == "all":
            measures.update({
                "buyers_all": Count("id"), "orders_all": Sum("orders"),
                "revenue_all": Sum("monetary"), "new_all": Count("id"),
            })  # fmt: skip
        else:
            start = period_start(int(key[:-1]), as_of)
            measures.update({
                f"buyers_{key}": Count("id", filter=Q(**{f"orders_{key}__gt": 0})),
                f"orders_{key}": Sum(f"orders_{key}"),
                f"revenue_{key}": Sum(f"revenue_{key}"),
                f"new_{key}": Count("id", filter=Q(first_purchase__gte=start)),
            })  # fmt: skip
        for figure in ("cost", "costed", "unattributed"):
            measures[f"{figure}_{key}"] = Sum(f"{figure}_{key}")
    return measures


def cell_measures() -> dict[str, Any]:
    """Return the same figures as aggregates over a snapshot's cells.

    A count over no rows is 0, where a sum over no cells is NULL (a rep with no customer in
    a segment): counts are summed with 0 as the default.
    """
    measures: dict[str, Any] = {
        "orders_all": Sum("orders"),
        "revenue_all": Sum("monetary"),
        "buyers_all": Coalesce(Sum("customers"), 0),
        "new_all": Coalesce(Sum("customers"), 0),
    }
    for name, over_rows in row_measures(dt.date(2000, 1, 1)).items():
        if name in measures:
            continue
        if name == "last_purchase":
            measures[name] = Max(name)
        elif isinstance(over_rows, Count):
            measures[name] = Coalesce(Sum(name), 0)
        else:
            measures[name] = Sum(name)
    return measures


@dataclass(frozen=True)
class ValueSource:
    """Rows or cells to add up, and the aggregate of each figure over them."""

    queryset: QuerySet[Any]
    measures: dict[str, Any]
    cells: bool

    def pick(self, *names: str, months: int | bool | None = False) -> dict[str, Any]:
        """Return the aggregates of these figures.

        With `months`, a period's figures by plain name ("buyers", "orders", "revenue",
        "cost", "costed", "unattributed", "new").
        """
        picked = {name: self.measures[name] for name in names}
        if months is not False:
            key = period_key(months if isinstance(months, int) else None)
            for figure in PERIOD_FIGURES:
                picked[figure] = self.measures[f"{figure}_{key}"]
        return picked

    def _aliased(self, names: tuple[str, ...], months: int | bool | None) -> dict[str, Any]:
        # Aliases never named like a column: a cell's Sum("customers") must read the column,
        # not an annotation called "customers".
        return {f"v_{k}": v for k, v in self.pick(*names, months=months).items()}

    def totals(self, *names: str, months: int | bool | None = False) -> dict[str, Any]:
        """Return the figures over the whole source."""
        row = self.queryset.order_by().aggregate(**self._aliased(names, months))
        return {k[2:]: v for k, v in row.items()}

    def grouped(
        self, by: tuple[str, ...], *names: str, months: int | bool | None = False
    ) -> list[dict[str, Any]]:
        """Return the figures per value of the `by` columns."""
        rows = self.queryset.order_by().values(*by).annotate(**self._aliased(names, months))
        return [{k[2:] if k.startswith("v_") else k: v for k, v in r.items()} for r in rows]


def cells_of(snapshot: ValueSnapshot, owners: list[int] | None = None) -> QuerySet[ValueCell]:
    """Return a snapshot's cells: every cell, or those of the customers of these owners."""
    cells = ValueCell.objects.filter(snapshot=snapshot)
    return cells if owners is None else cells.filter(owner_id__in=owners)


def build_cells(snapshot: ValueSnapshot) -> int:
    """Replace the snapshot's cells by its rows added up per cell and owner; returns the cells."""
    ValueCell.objects.filter(snapshot=snapshot).delete()
    groups = (
        CustomerValue.objects.filter(snapshot=snapshot)
        .order_by()
        .values(*CELL_DIMENSIONS, "snapshot_owner_id")
        .annotate(**{f"_{k}": v for k, v in row_measures(snapshot.as_of).items()})
    )
    skip = {"orders_all", "revenue_all", "buyers_all", "new_all"}
    cells = []
    for group in groups:
        values = {k[1:]: v for k, v in group.items() if k.startswith("_") and k[1:] not in skip}
        cells.append(
            ValueCell(
                snapshot=snapshot,
                owner_id=group["snapshot_owner_id"],
                **{d: group[d] for d in CELL_DIMENSIONS},
                **{k: (0 if v is None and k != "last_purchase" else v) for k, v in values.items()},
            )
        )
    ValueCell.objects.bulk_create(cells, batch_size=500)
    return len(cells)
