"""rfm-1m: RFM scores and segments for 1M customers / ~10M orders in PostgreSQL.

Builds a fresh PostgreSQL database (migrated, then loaded with COPY) holding `size` contacts
and about ten orders each, drawn deterministically from a BG/NBD-like process (each customer
buys at their own rate from their first purchase on, spending around their own typical ticket).
Then, in a process configured for that database, it times:

- the real path: ``compute_customer_value_snapshot(with_clv=False)`` — one SQL aggregate per
  customer streamed out with COPY, quintile scores, the 125-cell segment map and the
  inactivity states in NumPy, and the 1M ``CustomerValue`` rows written back with COPY;
- the baseline: the same scores done by hand in SQL — GROUP BY contact with max(ordered_at),
  count(distinct day) and sum(amount), NTILE(5) for R, F and M — stored with CREATE TABLE AS.

Each side runs twice, alternating; the best run of each is reported (target: ratio ≤ 3). The
full nightly snapshot (the same plus the BG/NBD and Gamma-Gamma fits and CLV) is reported too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DAYS = 730
ORDERS_PER_CUSTOMER = 10
CHUNK = 1_000_000

BASELINE_SQL = """
CREATE TABLE bench_rfm_baseline AS
WITH per_customer AS (
    SELECT contact_id,
           max(ordered_at) AS last_order,
           count(DISTINCT ordered_on) AS frequency,
           sum(amount_company_currency) AS monetary
    FROM orders_order
    WHERE contact_id IS NOT NULL
    GROUP BY contact_id
)
SELECT contact_id, last_order, frequency, monetary,
       ntile(5) OVER (ORDER BY last_order) AS r,
       ntile(5) OVER (ORDER BY frequency) AS f,
       ntile(5) OVER (ORDER BY monetary) AS m
FROM per_customer
"""


def _env(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update(
        {
            "CLIENTELA_DATABASE_URL": f"{PG}/{database}",
            "CLIENTELA_DATA_DIR": os.environ.get("CLIENTELA_DATA_DIR", "var/bench"),
            "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40,
        }
    )
    return env


def _fresh_database(name: str, env: dict[str, str]) -> None:
    """Drop and create the database, then apply the migrations."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "-m", "clientela", "migrate", "-v0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


def _fillers(conn: Any, table: str, given: set[str]) -> dict[str, str]:
    """Return a CSV value for each NOT NULL column without default that the loader leaves unset."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    ).fetchall()
    values = {
        "jsonb": "{}",
        "boolean": "f",
        "integer": "1",
        "bigint": "1",
        "timestamp with time zone": "2026-01-01 00:00:00+00",
        "date": "2026-01-01",
    }
    return {name: values.get(kind, "") for name, kind in rows if name not in given}


def _copy(conn: Any, table: str, columns: list[str], payload: bytes) -> None:
    with conn.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with cursor.copy(statement) as copy:
            view = memoryview(payload)
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])


def generate(size: int, seed: int) -> dict[str, Any]:
    """Per-customer first day, order count, rate of spend; deterministic for (size, seed)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, DAYS - 1, size)
    # A gamma-mixed Poisson (negative binomial) number of repeat orders, mean about nine.
    rates = rng.gamma(shape=1.5, scale=(ORDERS_PER_CUSTOMER - 1) / 1.5, size=size)
    active_share = (DAYS - first) / DAYS
    counts = 1 + rng.poisson(rates * active_share / max(active_share.mean(), 1e-9))
    typical = rng.lognormal(np.log(150_000), 0.5, size)
    return {"first": first, "counts": counts, "typical": typical, "rng": rng}


def load(name: str, size: int, seed: int) -> int:
    """Fill contacts and orders with COPY; returns the number of orders."""
    import polars as pl
    import psycopg

    data = generate(size, seed)
    rng = data["rng"]
    start_day = np.datetime64("2024-11-01")
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        # Bulk loading: no per-row foreign-key triggers, indexes rebuilt once at the end.
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        indexes = _drop_indexes(conn, ["contacts_contact", "orders_order"])
        contact_cols = ["id", "first_name", "last_name", "search_text", "created_via"]
        fill = _fillers(conn, "contacts_contact", set(contact_cols))
        for offset in range(0, size, CHUNK):
            ids = np.arange(offset + 1, min(offset + CHUNK, size) + 1)
            frame = pl.DataFrame(
                {
                    "id": ids,
                    "first_name": pl.Series(ids).cast(pl.String),
                    "last_name": "Cliente",
                    "search_text": "",
                    "created_via": "seed",
                    **fill,
                }
            )
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False)
            _copy(conn, "contacts_contact", list(frame.columns), buffer.getvalue())
        conn.execute(f"SELECT setval('contacts_contact_id_seq', {size})")
        counts = data["counts"]
        total = int(counts.sum())
        owners = np.repeat(np.arange(size), counts)
        order_cols = [
            "contact_id", "ordered_at", "ordered_on", "amount", "currency", "exchange_rate",
            "amount_company_currency", "channel", "source_system", "external_id", "note",
            "created_via", "created_at", "updated_at", "version",
        ]  # fmt: skip
        for offset in range(0, total, CHUNK):
            who = owners[offset : offset + CHUNK]
            first = data["first"][who]
            is_first = np.r_[True, who[1:] != who[:-1]]
            day = np.where(
                is_first, first, first + (rng.random(len(who)) * (DAYS - first)).astype(np.int64)
            )
            amount = np.round(rng.gamma(4.0, data["typical"][who] / 4.0) / 100) * 100 + 100
            dates = (start_day + day).astype("datetime64[D]")
            on = pl.Series(dates).dt.strftime("%Y-%m-%d")
            moment = on + " 12:00:00-05"
            frame = pl.DataFrame(
                {
                    "contact_id": who + 1,
                    "ordered_at": moment,
                    "ordered_on": on,
                    "amount": amount,
                    "currency": "COP",
                    "exchange_rate": 1,
                    "amount_company_currency": amount,
                    "channel": np.where(is_first, "facebook", "walk_in"),
                    "source_system": "",
                    "external_id": "",
                    "note": "",
                    "created_via": "seed",
                    "created_at": moment,
                    "updated_at": moment,
                    "version": 1,
                }
            ).select(order_cols)
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False)
            _copy(conn, "orders_order", order_cols, buffer.getvalue())
        for statement in indexes:
            conn.execute(statement)
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("VACUUM ANALYZE")
    return total


def _drop_indexes(conn: Any, tables: list[str]) -> list[str]:
    """Drop the secondary indexes of the tables; return the statements that recreate them."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
        "WHERE i.tablename = ANY(%s) AND c.conname IS NULL",
        [tables],
    ).fetchall()
    for index_name, _definition in rows:
        conn.execute(f'DROP INDEX "{index_name}"')
    return [definition for _name, definition in rows]


def measure(rounds: int = 2) -> dict[str, Any]:
    """In a process configured for the bench database: time the service and the baseline."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    django.setup()
    import datetime as dt

    from django.db import connection

    from clientela.analytics.services import compute_customer_value_snapshot

    as_of = dt.date(2026, 11, 1)
    service: list[float] = []
    baseline: list[float] = []
    timings: list[dict[str, float]] = []
    customers = 0
    for _round in range(rounds):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_rfm_baseline")
            started = time.perf_counter()
            cursor.execute(BASELINE_SQL)
            baseline.append(time.perf_counter() - started)
            cursor.execute("DROP TABLE bench_rfm_baseline")
        started = time.perf_counter()
        snapshot = compute_customer_value_snapshot(as_of=as_of, with_clv=False)
        service.append(time.perf_counter() - started)
        timings.append(snapshot.timings)
        customers = snapshot.customers
    started = time.perf_counter()
    full = compute_customer_value_snapshot(as_of=as_of, with_clv=True)
    full_seconds = time.perf_counter() - started
    return {
        "service": service,
        "baseline": baseline,
        "timings": timings,
        "customers": customers,
        "full_seconds": full_seconds,
        "full_timings": full.timings,
        "clv_message": full.clv_message,
    }


def run(size: int = 1_000_000, seed: int = 42) -> list[dict[str, Any]]:
    """Build the database, measure in a second process, report the figures."""
    name = f"clientela_bench_rfm_{size}"
    env = _env(name)
    started = time.monotonic()
    _fresh_database(name, env)
    orders = load(name, size, seed)
    prepare = time.monotonic() - started
    out = subprocess.run(
        [sys.executable, "-m", "bench.rfm_1m", "--measure"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=7200,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    value = min(result["service"])
    base = min(result["baseline"])
    common = {"scenario": "rfm-1m", "unit": "s", "size": size, "orders": orders}
    return [
        {
            **common,
            "figure": "rfm_seconds",
            "value": round(value, 3),
            "baseline": "hand-written SQL aggregate",
            "baseline_value": round(base, 3),
            "ratio": round(value / base, 3),
            "runs": [round(v, 3) for v in result["service"]],
            "baseline_runs": [round(v, 3) for v in result["baseline"]],
            "steps": result["timings"][int(np.argmin(result["service"]))],
            "customers": result["customers"],
            "prepare_seconds": round(prepare, 1),
        },
        {
            **common,
            "figure": "snapshot_with_clv_seconds",
            "value": round(result["full_seconds"], 3),
            "baseline": "hand-written SQL aggregate",
            "baseline_value": round(base, 3),
            "ratio": round(result["full_seconds"] / base, 3),
            "steps": result["full_timings"],
            "note": result["clv_message"],
        },
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(json.dumps(measure()))
    else:
        raise SystemExit("use `python -m bench rfm-1m [--size N]`")
