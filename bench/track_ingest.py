"""track-ingest: tracking batches of 50 events POSTed to the production server, on PostgreSQL.

Migrates a fresh PostgreSQL database, adds a tracked site, starts the real production server
(`clientela serve`, granian) and drives POST /t/events from a second process (wrk) with
batches of 50 events as the script sends them (text/plain JSON, a browser's user agent and
the site's Origin; visitors drawn from a pool of 10,000, so most batches update a known one).
Figure: events stored per second (rows in tracking_event at the end / seconds of load);
target ≥ 20,000 events/s.
Baseline, same run and database: PostgreSQL COPY of the same rows (the stored ones, read back)
into the same table with the same indexes, from this process: the physical floor of writing
them. Ratio = ingest / COPY.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PG,
    bench_env,
    create_database,
    drop_database,
    manage,
    server_shape,
    start_server,
    stop_server,
    wrk,
)

ORIGIN = "https://www.example.co"
AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
COLUMNS = (
    "site_id", "visitor_id", "contact_id", "kind", "url", "path", "referrer", "cta", "title",
    "occurred_at", "received_at",
)  # fmt: skip
LUA = """
math.randomseed(%(seed)d)
local events = [==[%(events)s]==]
request = function()
  local visitor = string.format("%%032x", math.random(1, 10000))
  local body = '{"site":"%(key)s","visitor":"' .. visitor .. '","events":' .. events .. '}'
  return wrk.format("POST", "/t/events", wrk.headers, body)
end
"""
MAKE_SITE = (
    "from clientela.tracking.models import TrackedSite; "
    f"print(TrackedSite.objects.create(name='bench', allowed_origins={ORIGIN!r}, "
    "consent_mode='always').key)"
)


def batch_events(now_ms: int) -> list[dict[str, Any]]:
    """Fifty events as a visitor's script sends them: page views and CTA clicks."""
    pages = ["/", "/precios", "/planes/pro", "/blog/como-vender-mas", "/contacto"]
    return [
        {
            "kind": "click" if n % 5 == 4 else "pageview",
            "url": f"{ORIGIN}{pages[n % len(pages)]}?utm_source=facebook&utm_campaign=webinar",
            "referrer": "https://www.facebook.com/" if n == 0 else f"{ORIGIN}/",
            "title": "Clientela: precios y planes",
            "cta": "Ver planes" if n % 5 == 4 else "",
            "ts": now_ms + n * 1000,
        }
        for n in range(50)
    ]


def _copy_baseline(name: str, limit: int) -> tuple[int, float]:
    """COPY the stored rows (read back) into tracking_event again; return (rows, seconds)."""
    import psycopg

    columns = ", ".join(COLUMNS)
    with psycopg.connect(f"{PG}/{name}") as db:
        rows = db.execute(
            f"SELECT {columns} FROM tracking_event ORDER BY id LIMIT %s", [limit]
        ).fetchall()
        db.commit()
        started = time.perf_counter()
        with (
            db.cursor() as cursor,
            cursor.copy(f"COPY tracking_event ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        db.commit()
        return len(rows), time.perf_counter() - started


def run(
    size: int = 1_000_000, seed: int = 42, seconds: int = 20, connections: int = 16
) -> list[dict[str, Any]]:
    """Serve a fresh database, load POST /t/events with wrk, and compare with COPY."""
    import psycopg

    if shutil.which("wrk") is None:
        raise SystemExit("track-ingest needs wrk (apt-get install wrk)")
    seconds = seconds if size >= 100_000 else 2
    digest = hashlib.sha1(str(os.getpid()).encode(), usedforsecurity=False).hexdigest()[:8]
    name = f"clientela_bench_track_{digest}"
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    env = bench_env(data_dir, database_url=create_database(name), track_rate="100000000/m")
    try:
        manage(env, "migrate", "-v0")
        key = manage(env, "shell", "-v", "0", "-c", MAKE_SITE).strip()
        workers, threads = server_shape()
        server, base = start_server(env, workers=workers, threads=threads)
        events = json.dumps(batch_events(int(time.time() * 1000)), separators=(",", ":"))
        headers = {
            "Content-Type": "text/plain;charset=UTF-8",
            "Origin": ORIGIN,
            "User-Agent": AGENT,
        }
        lua = LUA % {"seed": seed, "events": events, "key": key}
        try:
            wrk(f"{base}/t/events", seconds=1, connections=connections, headers=headers, lua=lua)
            with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
                db.execute("TRUNCATE tracking_event")  # the warm-up's rows do not count
            load = wrk(f"{base}/t/events", seconds=seconds, connections=connections,
                       headers=headers, lua=lua)  # fmt: skip
        finally:
            stop_server(server)
        with psycopg.connect(f"{PG}/{name}") as db:
            stored = int(db.execute("SELECT count(*) FROM tracking_event").fetchone()[0])  # type: ignore[index]
        copied, copy_seconds = _copy_baseline(name, min(stored, size))
    finally:
        drop_database(name)
        shutil.rmtree(data_dir, ignore_errors=True)
    rate = stored / load["seconds"] if load["seconds"] else 0.0
    copy_rate = copied / copy_seconds if copy_seconds else 0.0
    return [{
        "scenario": "track-ingest", "size": size, "database": "postgresql", "server": "granian",
        "server_workers": int(workers), "server_threads": int(threads), "connections": connections,
        "figure": "events_stored_per_s", "value": round(rate, 1), "unit": "events/s",
        "target": 20_000, "baseline": "PostgreSQL COPY of the same rows into the same table",
        "baseline_value": round(copy_rate, 1), "ratio": round(rate / copy_rate, 3) if copy_rate else None,
        "events": stored, "batches": load["requests"], "seconds": round(load["seconds"], 2),
        "errors": load["errors"], "non2xx": load["non2xx"], "batch_p50_ms": round(load["p50_ms"], 2),
        "batch_p99_ms": round(load["p99_ms"], 2), "copied_rows": copied,
    }]  # fmt: skip
