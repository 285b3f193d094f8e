"""value-pages: p95 of every customer-value page through the production server (granian).

Builds the data once per database and size, then serves it with `clientela serve` and requests
each page in turn, signed in as a manager (sees everyone) and as a sales rep (their own
customers), reporting the p95 of `requests` sequential requests per page:

- SQLite: the demo company (`clientela demo --no-serve --contacts SIZE`: contacts, a retail
  purchase history, marketing spend and monthly snapshots), target p95 ≤ 300 ms;
- PostgreSQL: SIZE contacts with about ten orders each loaded with COPY (the rfm-1m loader), a
  quarter of them owned by the rep, and one customer-value snapshot computed by the real service
  (its duration is reported too), target p95 ≤ 1 s at 1,000,000 customers.

Baseline, same run and database: a hand-written SQL aggregate over the snapshot table (customers
and Σ CLV per segment, the smallest figure a value page shows), its p95 over the same number of
runs. The ratio is the page's p95 over the baseline's.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGET_MS = {"sqlite": 300, "postgresql": 1000}
TIMEOUT_S = 60
AS_OF = dt.date(2026, 11, 1)  # the rfm-1m loader's orders end here
BASELINE_SQL = (
    "SELECT segment, COUNT(*), SUM(clv) FROM analytics_customervalue "
    "WHERE snapshot_id = (SELECT MAX(id) FROM analytics_valuesnapshot WHERE state = 'done') "
    "GROUP BY segment"
)
# (figure, path, personas that may open it); {contact} and {segment} are filled at run time.
PAGES = (
    ("dashboard", "/value/", ("gerente", "ana")),
    ("ltv", "/value/ltv/", ("gerente", "ana")),
    ("settings", "/value/settings/", ("gerente",)),
    ("customers", "/value/customers/", ("gerente", "ana")),
    ("customers_segment", "/value/customers/?segment={segment}", ("gerente", "ana")),
    ("cohorts", "/value/cohorts/", ("gerente", "ana")),
    ("contact_card", "/contacts/{contact}/", ("gerente", "ana")),
    ("export_segments", "/value/export/segments.csv", ("gerente",)),
    ("export_channels", "/value/export/channels.csv", ("gerente",)),
    ("export_customers_segment", "/value/customers/export.csv?segment={segment}", ("gerente",)),
)


def _env(database: str, size: int, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({"CLIENTELA_DATA_DIR": str(data_dir), "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40})
    if database == "postgresql":
        env["CLIENTELA_DATABASE_URL"] = f"{PG}/{_pg_name(size)}"
    return env


def _pg_name(size: int) -> str:
    return f"clientela_bench_value_{size}"


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "clientela", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=7200,
    ).stdout


def _prepare_sqlite(size: int, env: dict[str, str]) -> None:
    """Build the demo company at `size` contacts (its own snapshots included)."""
    _manage(env, "demo", "--no-serve", "--contacts", str(size))


def _pg_ready(size: int) -> bool:
    """Whether the PostgreSQL database already holds this size and a finished snapshot."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [_pg_name(size)]
        ).fetchone():
            return False
    try:
        with psycopg.connect(f"{PG}/{_pg_name(size)}") as db:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM contacts_contact WHERE created_via = 'seed'), "
                "(SELECT COUNT(*) FROM analytics_valuesnapshot WHERE state = 'done')"
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] >= size and row[1])


def _prepare_postgresql(size: int, seed: int, env: dict[str, str]) -> float | None:
    """Load the PostgreSQL data set and compute one snapshot; return its seconds.

    Loads contacts and orders, adds the demo users, gives the rep a quarter of the contacts
    and computes one snapshot (the seconds are None when the data was reused).

    The data is reused when present (CLIENTELA_BENCH_FRESH=1 rebuilds it;
    CLIENTELA_BENCH_RESNAPSHOT=1 only computes a new snapshot).
    """
    import psycopg

    from bench import rfm_1m

    name = _pg_name(size)
    if _pg_ready(size) and not os.environ.get("CLIENTELA_BENCH_FRESH"):
        _manage(env, "migrate", "-v0")
        if not os.environ.get("CLIENTELA_BENCH_RESNAPSHOT"):
            return None
    else:
        rfm_1m._fresh_database(name, env)
        rfm_1m.load(name, size, seed)
        _manage(env, "seed", "--contacts", "0")
        with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
            db.execute(
                "UPDATE contacts_contact SET owner_id = (SELECT id FROM accounts_user "
                "WHERE username = 'ana') WHERE mod(id, 4) = 0 AND created_via = 'seed'"
            )
            db.execute("VACUUM ANALYZE")
    out = subprocess.run(
        [sys.executable, "-m", "bench.value_pages", "--snapshot"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=7200,
    ).stdout
    seconds: float = json.loads(out.strip().splitlines()[-1])["seconds"]
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
        db.execute("VACUUM ANALYZE")
    return seconds


def compute_snapshot() -> dict[str, Any]:
    """In a process configured for the bench database: one full snapshot, timed."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    django.setup()
    from clientela.analytics.services import compute_customer_value_snapshot

    started = time.perf_counter()
    snapshot = compute_customer_value_snapshot(as_of=AS_OF)
    return {"seconds": time.perf_counter() - started, "timings": snapshot.timings}


def _baseline(database: str, size: int, data_dir: Path, runs: int) -> list[float]:
    """Milliseconds of the hand-written snapshot aggregate, `runs` times."""
    times = []
    if database == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG}/{_pg_name(size)}") as db:
            for _run in range(runs + 1):
                started = time.perf_counter()
                db.execute(BASELINE_SQL).fetchall()
                times.append((time.perf_counter() - started) * 1000)
    else:
        with sqlite3.connect(data_dir / "clientela.sqlite3") as db:
            for _run in range(runs + 1):
                started = time.perf_counter()
                db.execute(BASELINE_SQL).fetchall()
                times.append((time.perf_counter() - started) * 1000)
    return times[1:]  # the first run warms the cache


def _sample(database: str, size: int, data_dir: Path) -> tuple[int, str]:
    """Return a contact the rep owns that has a value row, and the snapshot's smallest segment."""
    sql_contact = (
        "SELECT cv.contact_id FROM analytics_customervalue cv "
        "JOIN contacts_contact c ON c.id = cv.contact_id "
        "JOIN accounts_user u ON u.id = c.owner_id AND u.username = 'ana' "
        "WHERE cv.snapshot_id = (SELECT MAX(id) FROM analytics_valuesnapshot WHERE state = 'done') "
        "ORDER BY cv.contact_id LIMIT 1"
    )
    sql_segment = (
        "SELECT segment FROM analytics_customervalue WHERE snapshot_id = "
        "(SELECT MAX(id) FROM analytics_valuesnapshot WHERE state = 'done') "
        "GROUP BY segment ORDER BY COUNT(*), segment LIMIT 1"
    )
    if database == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG}/{_pg_name(size)}") as db:
            contact = db.execute(sql_contact).fetchone()
            segment = db.execute(sql_segment).fetchone()
    else:
        with sqlite3.connect(data_dir / "clientela.sqlite3") as db:
            contact = db.execute(sql_contact).fetchone()
            segment = db.execute(sql_segment).fetchone()
    assert contact and segment, "the bench data has no customer values"
    return int(contact[0]), str(segment[0])


def _opener(base: str, username: str) -> urllib.request.OpenerDirector:
    """Return an opener signed in as `username` (demo password)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "login page without CSRF token"
    data = urllib.parse.urlencode({"username": username, "password": "clientela-demo",
                                   "csrfmiddlewaretoken": match.group(1)}).encode()  # fmt: skip
    opener.open(
        urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": base})
    )
    return opener


def _time_page(opener: urllib.request.OpenerDirector, url: str, requests: int) -> dict[str, Any]:
    """Time `requests` sequential GETs after one warm-up: milliseconds and statuses.

    A status 0 means no answer within the timeout; the page is not requested again.
    """
    statuses = set()
    times = []
    for _run in range(requests + 1):
        started = time.perf_counter()
        try:
            with opener.open(url, timeout=TIMEOUT_S) as response:
                response.read()
                statuses.add(response.status)
        except urllib.error.HTTPError as exc:
            statuses.add(exc.code)
        except TimeoutError:
            statuses.add(0)  # no answer within the timeout: the figure is a lower bound
            times.append((time.perf_counter() - started) * 1000)
            break
        times.append((time.perf_counter() - started) * 1000)
    return {"times": times[1:] or times, "statuses": sorted(statuses)}


def p95(values: list[float]) -> float:
    """Return the 95th percentile by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _run_one(
    database: str, size: int, seed: int, requests: int, personas: tuple[str, ...]
) -> list[dict[str, Any]]:
    from clientela.demo.processes import default_web_workers
    from clientela.testing.processes import free_port, wait_for

    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-value-"))
    env = _env(database, size, data_dir)
    started = time.monotonic()
    snapshot_seconds = None
    if database == "postgresql":
        snapshot_seconds = _prepare_postgresql(size, seed, env)
    else:
        _prepare_sqlite(size, env)
    prepare_s = time.monotonic() - started
    contact, segment = _sample(database, size, data_dir)
    baseline = p95(_baseline(database, size, data_dir, requests))
    _manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    workers = os.environ.get("CLIENTELA_WEB_WORKERS") or str(default_web_workers())
    server = subprocess.Popen(
        [sys.executable, "-m", "clientela", "serve", "--no-worker", "--port", str(port),
         "--workers", workers, "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results: list[tuple[str, str, dict[str, Any]]] = []
    try:
        # Two workers importing Django, NumPy and Polars take over a minute on a loaded machine.
        wait_for(f"{base}/healthz", server, timeout=300)
        for persona in personas:
            opener = _opener(base, persona)
            for figure, path, personas in PAGES:
                if persona not in personas:
                    continue
                url = base + path.format(contact=contact, segment=segment)
                results.append((figure, persona, _time_page(opener, url, requests)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    common = {
        "scenario": "value-pages", "size": size, "database": database, "server": "granian",
        "server_workers": int(workers), "requests": requests, "unit": "ms",
        "prepare_seconds": round(prepare_s, 1), "target_ms": TARGET_MS[database],
    }  # fmt: skip
    figures = []
    for figure, persona, result in results:
        value = p95(result["times"])
        figures.append({
            **common, "figure": f"{figure}_p95", "persona": persona, "value": round(value, 1),
            "baseline": "hand-written SQL: customers and Σ CLV per segment of the snapshot",
            "baseline_value": round(baseline, 4),
            "ratio": round(value / baseline, 1) if baseline else None,
            "statuses": result["statuses"],
        })  # fmt: skip
    if snapshot_seconds is not None:
        figures.append({**common, "figure": "snapshot_seconds", "unit": "s",
                        "value": round(snapshot_seconds, 1), "baseline": None,
                        "baseline_value": None, "ratio": None})  # fmt: skip
    return figures


def run(
    size: int | None = None,
    seed: int = 42,
    database: str | None = None,
    requests: int = 20,
    personas: tuple[str, ...] = ("gerente", "ana"),
) -> list[dict[str, Any]]:
    """Measure the value pages as the manager and the rep (`personas`).

    On SQLite (default: the 2,000-contact demo), PostgreSQL (default: 1,000,000 customers)
    or both (no database given).
    """
    databases = [database] if database else ["sqlite", "postgresql"]
    figures = []
    for name in databases:
        default = 2000 if name == "sqlite" else 1_000_000
        figures += _run_one(name, size or default, seed, requests, personas)
    return figures


if __name__ == "__main__":
    if sys.argv[1:] == ["--snapshot"]:
        print(json.dumps(compute_snapshot()))
    else:
        raise SystemExit("use `python -m bench value-pages [--size N] [--database D]`")
