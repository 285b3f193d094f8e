"""funnel-1m: funnel, close rates and stage durations over 1M deals / ~5M stage stays (PostgreSQL).

Builds a fresh PostgreSQL database (migrated, then loaded with COPY) holding `size` deals of
one seven-stage real-estate pipeline (five open stages, won, lost), opened over two years by
twenty reps, and their stage history: each deal walks the open stages from the first on (a
tenth skip the second stage), goes as far as its own luck takes it, and most end won or lost —
about five stays per deal, deterministic for (size, seed). Then, in a process configured for
that database, it times for the pipeline and the year 2026, as the manager (sees every deal):

- the real path: ``clientela.sales.queries`` — ``funnel`` (the furthest stage position each
  deal keeps, counted per stage), ``close_rates`` by month and by rep, and ``durations``
  (opened → won, and the average stay per stage), the four reports of the sales overview;
- the baseline: the same aggregates hand-written in SQL, with the same work_mem.

The load writes each deal's furthest position as the move service would; the funnel's
definition over the stage history (``HISTORY_FUNNEL``) is what the real path must count, and
its time is reported too (the funnel before deals kept the position).

Each side runs three times, alternating; the best run of each is reported (targets: ≤ 2 s,
ratio ≤ 3).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from bench.rfm_1m import CHUNK, _copy, _drop_indexes, _env, _fillers, _fresh_database
from bench.rfm_1m import PG as PG  # the bench server, re-exported for the tiny run

REPS = 20
# (name, probability, kind, position)
STAGES = (
    ("Nuevo", 10, "open"), ("Agendado", 25, "open"), ("Asistió a la cita", 40, "open"),
    ("Cotizado", 60, "open"), ("Nutrición", 30, "open"), ("Cierre ganado", 100, "won"),
    ("Cierre perdido", 0, "lost"),
)  # fmt: skip
# Chance of going on from open stage i to i + 1 (four steps), and of closing at all.
ONWARD = np.array([0.95, 0.9, 0.85, 0.8])
CLOSED = 0.85
YEAR = 2026

# The funnel's definition, over the stage history: what the real path must count (its
# equality is checked), timed once as the figure before deals kept their furthest position.
HISTORY_FUNNEL = """
    SELECT count(*) FILTER (WHERE furthest >= 1), count(*) FILTER (WHERE furthest >= 2),
           count(*) FILTER (WHERE furthest >= 3), count(*) FILTER (WHERE furthest >= 4),
           count(*) FILTER (WHERE furthest >= 5), count(*) FILTER (WHERE furthest >= 6)
    FROM (SELECT d.id, max(s.position) AS furthest
          FROM deals_deal d
          JOIN deals_stagehistory h ON h.deal_id = d.id
          JOIN deals_stage s ON s.id = h.stage_id AND s.pipeline_id = %(p)s
                             AND s.kind IN ('open', 'won')
          WHERE d.pipeline_id = %(p)s AND d.created_at >= %(start)s AND d.created_at < %(end)s
          GROUP BY d.id) per_deal
"""
BASELINE_SQL = {
    # The same aggregate the real path runs: over the deals' furthest position.
    "funnel": """
        SELECT count(*) FILTER (WHERE furthest_position >= 1),
               count(*) FILTER (WHERE furthest_position >= 2),
               count(*) FILTER (WHERE furthest_position >= 3),
               count(*) FILTER (WHERE furthest_position >= 4),
               count(*) FILTER (WHERE furthest_position >= 5),
               count(*) FILTER (WHERE furthest_position >= 6)
        FROM deals_deal
        WHERE pipeline_id = %(p)s AND created_at >= %(start)s AND created_at < %(end)s
    """,
    "close_month": """
        SELECT date_trunc('month', closed_at AT TIME ZONE 'America/Bogota') AS month,
               count(*) FILTER (WHERE state = 'won'), count(*) FILTER (WHERE state = 'lost'),
               sum(amount_company) FILTER (WHERE state = 'won')
        FROM deals_deal
        WHERE pipeline_id = %(p)s AND closed_at >= %(start)s AND closed_at < %(end)s
          AND state IN ('won', 'lost')
        GROUP BY 1 ORDER BY 1
    """,
    "close_owner": """
        SELECT owner_id, count(*) FILTER (WHERE state = 'won'), count(*) FILTER (WHERE state = 'lost'),
               sum(amount_company) FILTER (WHERE state = 'won')
        FROM deals_deal
        WHERE pipeline_id = %(p)s AND closed_at >= %(start)s AND closed_at < %(end)s
          AND state IN ('won', 'lost')
        GROUP BY 1
    """,
    "to_win": """
        SELECT count(*), avg(closed_at - created_at) FROM deals_deal
        WHERE pipeline_id = %(p)s AND closed_at >= %(start)s AND closed_at < %(end)s
          AND state = 'won'
    """,
    "stage_time": """
        SELECT h.stage_id, count(*), avg(h.left_at - h.entered_at)
        FROM deals_stagehistory h JOIN deals_stage s ON s.id = h.stage_id
        WHERE s.pipeline_id = %(p)s AND h.left_at IS NOT NULL
          AND h.entered_at >= %(start)s AND h.entered_at < %(end)s
        GROUP BY h.stage_id
    """,
}


def generate(size: int, seed: int) -> dict[str, Any]:
    """Per-deal opening moment, owner, amount, furthest open stage, skip, outcome, stays."""
    rng = np.random.default_rng(seed)
    opened = rng.integers(0, 730 * 86400, size)  # seconds after 2025-01-01 05:00 UTC
    furthest = np.ones(size, dtype=np.int64)
    for step, chance in enumerate(ONWARD, start=1):
        furthest += (furthest == step) & (rng.random(size) < chance)
    skip = (rng.random(size) < 0.1) & (furthest >= 3)
    closed = rng.random(size) < CLOSED
    # Won more often the further a deal got.
    won = closed & (rng.random(size) < 0.12 * furthest)
    outcome = np.where(closed, np.where(won, 6, 7), 0)
    stays = rng.uniform(0.5, 10, (size, 6)) * 86400  # seconds in each row's stage
    return {
        "opened": opened, "owner": rng.integers(0, REPS, size), "furthest": furthest,
        "skip": skip, "outcome": outcome, "stays": stays,
        "amount": np.round(rng.lognormal(np.log(120_000_000), 0.4, size), -3),
    }  # fmt: skip


def _moments(base: np.datetime64, seconds: np.ndarray) -> Any:
    import polars as pl

    moments = (base + seconds.astype("int64").astype("timedelta64[s]")).astype("datetime64[ms]")
    return pl.Series(moments).dt.strftime("%Y-%m-%d %H:%M:%S+00")


def load(name: str, size: int, seed: int) -> tuple[int, int, int]:
    """Fill users, the pipeline, deals and stage history with COPY; return ids and row counts."""
    import polars as pl
    import psycopg

    data = generate(size, seed)
    base = np.datetime64("2025-01-01T05:00:00")
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        role = conn.execute("SELECT id FROM accounts_role WHERE code = 'gerente'").fetchone()
        rep_role = conn.execute("SELECT id FROM accounts_role WHERE code = 'comercial'").fetchone()
        assert role and rep_role, "the built-in roles are missing"
        for table in ("accounts_user", "deals_pipeline", "deals_stage"):
            conn.execute(
                f"SELECT setval('{table}_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM {table}), "
                "false)"
            )
        user_cols = ["username", "password", "first_name", "last_name", "email", "is_active",
                     "is_staff", "is_superuser", "date_joined", "role_id"]  # fmt: skip
        fill = _fillers(conn, "accounts_user", {"id", *user_cols})
        users = [("gerente", role[0])] + [(f"rep{i}", rep_role[0]) for i in range(REPS)]
        ids = []
        for username, role_id in users:
            row = {"username": username, "password": "!", "first_name": username.title(),
                   "last_name": "Bench", "email": f"{username}@example.co", "is_active": True,
                   "is_staff": False, "is_superuser": False, "date_joined": "2025-01-01 00:00:00+00",
                   "role_id": role_id, **fill}  # fmt: skip
            columns = list(row)
            placeholders = ", ".join(["%s"] * len(columns))
            ids.append(
                conn.execute(
                    f"INSERT INTO accounts_user ({', '.join(columns)}) VALUES ({placeholders}) "
                    "RETURNING id",
                    list(row.values()),
                ).fetchone()[0]  # type: ignore[index]
            )
        manager, reps = ids[0], np.array(ids[1:])
        pipeline = conn.execute(
            "INSERT INTO deals_pipeline (name, position, is_archived, created_at, version) "
            "VALUES ('Lotes bench', 0, false, now(), 1) RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        stage_ids = [
            conn.execute(
                "INSERT INTO deals_stage (pipeline_id, name, position, probability, kind, "
                "is_archived) VALUES (%s, %s, %s, %s, %s, false) RETURNING id",
                [pipeline, stage, position, probability, kind],
            ).fetchone()[0]  # type: ignore[index]
            for position, (stage, probability, kind) in enumerate(STAGES, start=1)
        ]
        stage_of = np.array([0, *stage_ids])  # by position
        indexes = _drop_indexes(conn, ["deals_deal", "deals_stagehistory"])
        # Each deal's rows: open positions 1..furthest (minus a skipped 2), then its outcome.
        positions = np.zeros((size, 6), dtype=np.int64)
        for column in range(5):
            keep = (data["furthest"] >= column + 1) & ~((column == 1) & data["skip"])
            positions[:, column] = np.where(keep, column + 1, 0)
        positions[:, 5] = data["outcome"]
        present = positions > 0
        entered = (
            data["opened"][:, None]
            + np.cumsum(np.where(present, data["stays"], 0), axis=1)
            - np.where(present, data["stays"], 0)
        )
        last_column = 5 - np.argmax(present[:, ::-1], axis=1)
        last_position = positions[np.arange(size), last_column]
        last_entered = entered[np.arange(size), last_column]
        closed = data["outcome"] > 0
        # What the move service keeps on the deal: its furthest open or won position.
        furthest = np.where(positions == 7, 0, positions).max(axis=1)
        state = np.where(
            data["outcome"] == 6, "won", np.where(data["outcome"] == 7, "lost", "open")
        )
        deal_cols = ["id", "title", "owner_id", "pipeline_id", "stage_id", "amount", "currency",
                     "amount_company", "rate", "state", "closed_at", "stage_entered_at",
                     "created_at", "updated_at", "version", "source", "custom",
                     "furthest_position"]  # fmt: skip
        fill = _fillers(conn, "deals_deal", set(deal_cols))
        sources = np.array(["web", "facebook", "referral", "walk_in"])
        for offset in range(0, size, CHUNK):
            part = slice(offset, min(offset + CHUNK, size))
            n = part.stop - part.start
            opened = _moments(base, data["opened"][part])
            stage_moment = _moments(base, last_entered[part])
            frame = pl.DataFrame(
                {
                    "id": np.arange(part.start + 1, part.stop + 1),
                    "title": "Lote",
                    "owner_id": reps[data["owner"][part]],
                    "pipeline_id": pipeline,
                    "stage_id": stage_of[last_position[part]],
                    "amount": data["amount"][part],
                    "currency": "COP",
                    "amount_company": data["amount"][part],
                    "rate": 1,
                    "state": state[part],
                    "closed_at": pl.Series(np.where(closed[part], stage_moment.to_numpy(), None)),
                    "stage_entered_at": stage_moment,
                    "created_at": opened,
                    "updated_at": stage_moment,
                    "version": 1,
                    "source": sources[np.arange(n) % len(sources)],
                    "custom": "{}",
                    "furthest_position": furthest[part],
                    **fill,
                }
            )
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False, null_value="")
            _copy(conn, "deals_deal", list(frame.columns), buffer.getvalue())
        conn.execute(f"SELECT setval('deals_deal_id_seq', {size})")
        rows = 0
        step = max(CHUNK // 6, 1)
        for offset in range(0, size, step):
            part = slice(offset, min(offset + step, size))
            mask = present[part]
            deal = np.repeat(np.arange(part.start + 1, part.stop + 1), mask.sum(axis=1))
            where = entered[part][mask]
            # A stay ends when the next begins; the last one (the current stage) is open.
            is_last = np.zeros_like(mask)
            is_last[np.arange(part.stop - part.start), last_column[part]] = True
            left = np.where(is_last[mask], -1, where + data["stays"][part][mask])
            left_text = _moments(base, np.maximum(left, 0)).to_numpy()
            frame = pl.DataFrame(
                {
                    "deal_id": deal,
                    "stage_id": stage_of[positions[part][mask]],
                    "entered_at": _moments(base, where),
                    "left_at": pl.Series(np.where(left < 0, None, left_text)),
                }
            )
            rows += frame.height
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False, null_value="")
            _copy(conn, "deals_stagehistory", list(frame.columns), buffer.getvalue())
        for statement in indexes:
            conn.execute(statement)
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("VACUUM ANALYZE")
    return pipeline, manager, rows


def measure(pipeline_id: int, manager_id: int, rounds: int = 3) -> dict[str, Any]:
    """In a process configured for the bench database: time the reports and the baseline."""
    import datetime as dt

    import django

    django.setup()
    from django.db import connection, transaction

    from clientela.accounts.models import User
    from clientela.deals.models import Pipeline
    from clientela.sales.queries import (
        REPORT_WORK_MEM,
        ReportFilters,
        close_rates,
        day_start,
        durations,
        funnel,
    )

    user = User.objects.get(pk=manager_id)
    f = ReportFilters(
        pipeline=Pipeline.objects.get(pk=pipeline_id),
        since=dt.date(YEAR, 1, 1),
        until=dt.date(YEAR, 12, 31),
    )
    params: dict[str, int | dt.datetime] = {
        "p": pipeline_id, "start": day_start(f.since), "end": f.end,
    }  # fmt: skip
    service: list[float] = []
    baseline: list[float] = []
    found: dict[str, Any] = {}
    for _round in range(rounds):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # The same hash room the reports give themselves (sales.queries.REPORT_WORK_MEM).
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
            for sql in BASELINE_SQL.values():
                cursor.execute(sql, params)
                cursor.fetchall()
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        steps = funnel(user, f)
        by_month = close_rates(user, f, "month")
        by_owner = close_rates(user, f, "owner")
        spans = durations(user, f)
        service.append(time.perf_counter() - started)
        found = {
            "funnel": [s.reached for s in steps],
            "conversion": [str(s.conversion) for s in steps],
            "closed": sum(r.closed for r in by_month),
            "reps": len(by_owner),
            "days_to_win": str(spans.days_to_win),
        }
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cursor.execute(HISTORY_FUNNEL, params)
        expected = list(cursor.fetchone() or ())
    history = time.perf_counter() - started
    started = time.perf_counter()
    funnel(user, f)
    funnel_alone = time.perf_counter() - started
    return {
        "service": service, "baseline": baseline, "found": found, "expected": expected,
        "history_funnel": history, "funnel_alone": funnel_alone,
    }  # fmt: skip


def run(size: int = 1_000_000, seed: int = 42) -> list[dict[str, Any]]:
    """Build the database, measure in a second process, report the figure."""
    name = f"clientela_bench_funnel_{size}"
    env = _env(name)
    started = time.monotonic()
    _fresh_database(name, env)
    pipeline, manager, stays = load(name, size, seed)
    prepare = time.monotonic() - started
    out = subprocess.run(
        [sys.executable, "-m", "bench.funnel_1m", "--measure", str(pipeline), str(manager)],
        env={**env, "DJANGO_SETTINGS_MODULE": "clientela.settings"},
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    value, base = min(result["service"]), min(result["baseline"])
    return [
        {
            "scenario": "funnel-1m",
            "figure": "funnel_close_rates_durations_seconds",
            "unit": "s",
            "size": size,
            "stage_stays": stays,
            "value": round(value, 3),
            "baseline": "hand-written SQL aggregates",
            "baseline_value": round(base, 3),
            "ratio": round(value / base, 3),
            "runs": [round(v, 3) for v in result["service"]],
            "baseline_runs": [round(v, 3) for v in result["baseline"]],
            "funnel": result["found"]["funnel"],
            "funnel_baseline": result["expected"],
            "funnel_seconds": round(result["funnel_alone"], 3),
            "history_funnel_sql_seconds": round(result["history_funnel"], 3),
            "conversion": result["found"]["conversion"],
            "closed": result["found"]["closed"],
            "reps": result["found"]["reps"],
            "days_to_win": result["found"]["days_to_win"],
            "prepare_seconds": round(prepare, 1),
        }
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        raise SystemExit("use `python -m bench funnel-1m [--size N]`")
