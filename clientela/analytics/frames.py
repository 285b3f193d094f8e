"""SQL aggregates over orders, handed to Polars as data frames (one query each, no row loops).

On PostgreSQL the result travels with ``COPY (SELECT ...) TO STDOUT`` as CSV and is parsed by
Polars, several times faster than building a Python tuple per row; on SQLite a plain cursor
is used.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection

from clientela.analytics.models import PERIOD_MONTHS
from clientela.orders.queries import (
    CUSTOMER_KEY_SQL,
    LIVE_COMPANY_SQL,
    LIVE_CONTACT_SQL,
    LIVE_CUSTOMER_SQL,
    add_months,
    first_day_sql,
)


def sql_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a frame with the given column names and types."""
    names = list(schema)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            buffer = io.BytesIO()
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for block in copy:
                    buffer.write(block)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=schema)
            buffer.seek(0)
            read_schema = {
                name: (pl.String if dtype == pl.Date else dtype) for name, dtype in schema.items()
            }
            frame = pl.read_csv(
                buffer, has_header=False, new_columns=names, schema=read_schema, null_values=[""]
            )
        else:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            # SQLite hands dates back as text from aggregates and as dates from plain columns.
            columns = list(zip(*rows, strict=True)) if rows else [() for _name in names]
            data = {
                name: (
                    [None if v is None else str(v) for v in column]
                    if schema[name] == pl.Date
                    else list(column)
                )
                for name, column in zip(names, columns, strict=True)
            }
            frame = pl.DataFrame(
                data,
                schema={
                    name: (pl.String if dtype == pl.Date else dtype)
                    for name, dtype in schema.items()
                },
                strict=False,
            )
    casts = [
        pl.col(name).str.to_date("%Y-%m-%d") for name, dtype in schema.items() if dtype == pl.Date
    ]
    return frame.with_columns(casts) if casts else frame


AGGREGATE_SCHEMA: dict[str, Any] = {
    "customer_key": pl.Int64,
    "first_purchase": pl.Date,
    "last_purchase": pl.Date,
    "purchase_days": pl.Int64,
    "orders": pl.Int64,
    "monetary": pl.Float64,
}


def period_start(months: int, as_of: dt.date) -> dt.date:
    """First day of the period of the last `months` calendar months up to `as_of`."""
    return add_months(as_of.replace(day=1), -(months - 1))


def _period_sums(as_of: dt.date) -> tuple[str, list[Any], dict[str, Any]]:
    """Conditional sums per period (see CustomerValue): SQL, its parameters, its schema."""
    amount = "o.amount_company_currency"
    cost = "o.cost_company_currency"
    columns: list[str] = []
    params: list[Any] = []
    schema: dict[str, Any] = {}
    for months in PERIOD_MONTHS:
        start = period_start(months, as_of)
        since = "o.ordered_on >= %s"
        columns += [
            f"SUM(CASE WHEN {since} THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {since} THEN {amount} ELSE 0 END)",
            f"SUM(CASE WHEN {since} THEN COALESCE({cost}, 0) ELSE 0 END)",
            f"SUM(CASE WHEN {since} AND {cost} IS NOT NULL THEN {amount} ELSE 0 END)",
            f"SUM(CASE WHEN {since} AND o.channel = '' THEN 1 ELSE 0 END)",
        ]
        params += [start] * 5
        schema.update({
            f"orders_{months}m": pl.Int64, f"revenue_{months}m": pl.Float64,
            f"cost_{months}m": pl.Float64, f"costed_{months}m": pl.Float64,
            f"unattributed_{months}m": pl.Int64,
        })  # fmt: skip
    columns += [
        f"SUM(COALESCE({cost}, 0))",
        f"SUM(CASE WHEN {cost} IS NOT NULL THEN {amount} ELSE 0 END)",
        "SUM(CASE WHEN o.channel = '' THEN 1 ELSE 0 END)",
        "MAX(CASE WHEN o.ordered_on > %s AND o.ordered_on <= %s THEN 1 ELSE 0 END)",
    ]
    params += [as_of - dt.timedelta(days=730), as_of - dt.timedelta(days=365)]
    schema.update({
        "cost_all": pl.Float64, "costed_all": pl.Float64, "unattributed_all": pl.Int64,
        "bought_prior_year": pl.Int64,
    })  # fmt: skip
    return ", ".join(columns), params, schema


def customer_aggregates(as_of: dt.date, contact_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Aggregate each customer's purchases up to `as_of`.

    Per customer (contact, or company without contact): first and last purchase day, distinct
    purchase days, orders and total spent in the company currency, and the sums of each period
    the LTV screens show (see CustomerValue).

    Contacts and company-only customers are grouped apart, each by its own column, so the
    contacts' GROUP BY can walk the (contact, day) index in order instead of sorting. With
    `contact_ids`, only those contacts (a merge's survivor, say).
    """
    periods, period_params, period_schema = _period_sums(as_of)
    aggregates = (
        "MIN(o.ordered_on), MAX(o.ordered_on), COUNT(DISTINCT o.ordered_on), COUNT(*), "
        f"SUM(o.amount_company_currency), {periods}"
    )
    contacts_sql = f"""
        SELECT o.contact_id, {aggregates}
        FROM orders_order o
        WHERE o.contact_id IS NOT NULL AND o.ordered_on <= %s AND {LIVE_CONTACT_SQL}
    """  # noqa: S608 - fixed SQL, values are parameters
    params: list[Any] = [*period_params, as_of]
    if contact_ids is not None:
        ids = [int(i) for i in contact_ids] or [0]
        contacts_sql += f" AND o.contact_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
        sql = contacts_sql + " GROUP BY o.contact_id"
    else:
        sql = f"""{contacts_sql}
            GROUP BY o.contact_id
            UNION ALL
            SELECT -o.company_id, {aggregates}
            FROM orders_order o
            WHERE o.contact_id IS NULL AND o.ordered_on <= %s AND {LIVE_COMPANY_SQL}
            GROUP BY o.company_id
        """  # noqa: S608 - fixed SQL, values are parameters
        params += [*period_params, as_of]
    frame = sql_frame(sql, params, {**AGGREGATE_SCHEMA, **period_schema})
    return frame.with_columns(pl.col("bought_prior_year").cast(pl.Boolean))


OWNER_SCHEMA: dict[str, Any] = {"customer_key": pl.Int64, "snapshot_owner_id": pl.Int64}


def with_owners(frame: pl.DataFrame, contact_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Return the frame with each customer's owner now (``snapshot_owner_id``; null when none).

    A customer's owner is its contact's, or its company's for a company buying without a
    contact: the owner that decides who sees the customer. With `contact_ids`, only those
    contacts are read (the frame holds no one else).
    """
    if contact_ids is None:
        sql = """
            SELECT c.id, c.owner_id FROM contacts_contact c WHERE c.owner_id IS NOT NULL
            UNION ALL
            SELECT -co.id, co.owner_id FROM contacts_company co WHERE co.owner_id IS NOT NULL
        """
        params: list[Any] = []
    else:
        ids = [int(i) for i in contact_ids] or [0]
        marks = ", ".join(["%s"] * len(ids))
        sql = f"SELECT c.id, c.owner_id FROM contacts_contact c WHERE c.id IN ({marks})"  # noqa: S608
        params = ids
    owners = sql_frame(sql, params, OWNER_SCHEMA)
    return frame.drop("snapshot_owner_id", strict=False).join(owners, on="customer_key", how="left")


FIRST_DAY_SCHEMA: dict[str, Any] = {
    "customer_key": pl.Int64,
    "first_day_total": pl.Float64,
    "channel": pl.String,
}


def first_day_aggregates(as_of: dt.date) -> pl.DataFrame:
    """Per customer: money spent on the first purchase day and the acquisition channel."""
    sql = f"SELECT t.customer_key, t.first_day_total, t.channel FROM ({first_day_sql()}) t"  # noqa: S608
    return sql_frame(sql, [as_of], FIRST_DAY_SCHEMA)


def contact_first_days(as_of: dt.date, contact_ids: Sequence[int]) -> pl.DataFrame:
    """`first_day_aggregates` for a few contacts, through the (contact, day) index.

    The same rule as ``first_day_sql``: the money of the first purchase day, and that day's
    order channel, else the contact's source.
    """
    ids = [int(i) for i in contact_ids] or [0]
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
        SELECT o.contact_id, SUM(o.amount_company_currency),
               COALESCE(MAX(NULLIF(o.channel, '')), MAX(c.source), '')
        FROM orders_order o
        JOIN (
            SELECT contact_id, MIN(ordered_on) AS first_day FROM orders_order
            WHERE contact_id IN ({marks}) AND ordered_on <= %s GROUP BY contact_id
        ) f ON f.contact_id = o.contact_id AND o.ordered_on = f.first_day
        LEFT JOIN contacts_contact c ON c.id = o.contact_id
        GROUP BY o.contact_id
    """  # noqa: S608 - fixed SQL, values are parameters
    return sql_frame(sql, [*ids, as_of], FIRST_DAY_SCHEMA)


def snapshot_segments(snapshot_id: int) -> pl.DataFrame:
    """(customer_key, segment) of every customer in a snapshot."""
    sql = "SELECT customer_key, segment FROM analytics_customervalue WHERE snapshot_id = %s"
    return sql_frame(sql, [snapshot_id], {"customer_key": pl.Int64, "segment": pl.String})


ORDER_SCHEMA: dict[str, Any] = {
    "customer_key": pl.Int64,
    "date": pl.Date,
    "amount": pl.Float64,
}


def order_days(
    *,
    start: dt.date | None,
    end: dt.date,
    visible_sql: str = "",
    visible_params: Sequence[Any] = (),
) -> pl.DataFrame:
    """Money per customer and purchase day (one row per customer and day), for cohorts.

    `visible_sql` narrows the orders (alias `o`) to what a user may see.
    """
    where = ["o.ordered_on <= %s", LIVE_CUSTOMER_SQL]
    params: list[Any] = [end]
    if start is not None:
        where.append("o.ordered_on >= %s")
        params.append(start)
    if visible_sql:
        where.append(visible_sql)
        params.extend(visible_params)
    sql = f"""
        SELECT {CUSTOMER_KEY_SQL} AS customer_key, o.ordered_on, SUM(o.amount_company_currency)
        FROM orders_order o
        WHERE {" AND ".join(where)}
        GROUP BY {CUSTOMER_KEY_SQL}, o.ordered_on
    """  # noqa: S608 - fixed SQL, values are parameters
    return sql_frame(sql, params, ORDER_SCHEMA)
