"""api-read: the API and the contacts list under load from a second process (wrk) on loopback.

Builds (once, then reuses) a PostgreSQL database with `size` deterministic contacts, starts the
real production server (`clientela serve`, granian), and drives it with wrk:
- GET /api/v1/contacts/{id} over random ids: requests/s and p99 latency (target ≥ 1,000 req/s, p99 ≤ 50 ms);
- GET /api/v1/contacts?<filters>&limit=50: p95 (target ≤ 150 ms);
- GET /contacts/ (the HTML list page, signed in): p95 (target ≤ 150 ms).
Baseline, same server and run: GET /healthz (a view doing `SELECT 1`) — the framework's floor.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import PG, ROOT, bench_env, manage, server_shape, start_server, stop_server, wrk

LUA = """
local ids = {}
math.randomseed(%(seed)d)
request = function()
  local path = wrk.path
  if %(random)s then path = string.format(wrk.path, math.random(1, %(max_id)d)) end
  return wrk.format("GET", path, wrk.headers)
end
"""


def database_name(size: int) -> str:
    """Name the seeded database after its size and the migrations it was built with.

    The database outlives a run and the server may be shared by checkouts at other
    migrations: one seeded before a migration (a renamed column) answered 500s to the code
    after it, and migrating it in place would break the checkouts still before it.
    """
    migrations = sorted(p.name for p in ROOT.glob("clientela/*/migrations/0*.py"))
    digest = hashlib.sha1("\n".join(migrations).encode(), usedforsecurity=False).hexdigest()
    return f"clientela_bench_api_{size}_{digest[:8]}"


def _ensure_database(name: str, size: int, seed: int, env: dict[str, str]) -> None:
    """Create and seed the database unless it already holds this size and seed."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            with psycopg.connect(f"{PG}/{name}") as db:
                try:
                    count = db.execute("SELECT count(*) FROM contacts_contact").fetchone()
                except psycopg.Error:
                    count = None
            if count and count[0] == size:
                return
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "-v0")
    manage(env, "seed", "--contacts", str(size), "--seed", str(seed))
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
        db.execute("VACUUM ANALYZE")


def _session_cookie(base: str) -> str:
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "login page without CSRF token"
    data = urllib.parse.urlencode({"username": "gerente", "password": "clientela-demo",
                                   "csrfmiddlewaretoken": match.group(1)}).encode()  # fmt: skip
    opener.open(
        urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": base})
    )
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def run(
    size: int = 1_000_000, seed: int = 42, seconds: int = 15, connections: int = 16
) -> list[dict[str, Any]]:
    """Seed (or reuse) the database, serve it, load it with wrk and report the figures."""
    if shutil.which("wrk") is None:
        raise SystemExit("api-read needs wrk (apt-get install wrk)")
    seconds = seconds if size >= 100_000 else 2
    name = database_name(size)
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    env = bench_env(data_dir, database_url=f"{PG}/{name}", api_rate="100000000/m")
    started = time.monotonic()
    _ensure_database(name, size, seed, env)
    prepare_s = time.monotonic() - started
    token = manage(env, "token", "create", "gerente").strip()
    workers, threads = server_shape()
    server, base = start_server(env, workers=workers, threads=threads)
    try:
        auth = {"Authorization": f"Bearer {token}"}
        lua_random = LUA % {"seed": seed, "random": "true", "max_id": size}
        lua_fixed = LUA % {"seed": seed, "random": "false", "max_id": size}
        owner_id = json.loads(
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/me", headers=auth)).read()
        )["id"]
        wrk(
            f"{base}/api/v1/contacts/%d",
            seconds=2,
            connections=connections,
            headers=auth,
            lua=lua_random,
        )  # warm-up
        floor = wrk(
            f"{base}/healthz", seconds=seconds, connections=connections, headers={}, lua=lua_fixed
        )
        detail = wrk(
            f"{base}/api/v1/contacts/%d",
            seconds=seconds,
            connections=connections,
            headers=auth,
            lua=lua_random,
        )
        page = wrk(f"{base}/api/v1/contacts?lifecycle_stage=customer&owner={owner_id}&limit=50",
                    seconds=seconds, connections=4, headers=auth, lua=lua_fixed)  # fmt: skip
        cookie = _session_cookie(base)
        ui = wrk(
            f"{base}/contacts/",
            seconds=seconds,
            connections=4,
            headers={"Cookie": cookie},
            lua=lua_fixed,
        )
    finally:
        stop_server(server)
        shutil.rmtree(data_dir, ignore_errors=True)
    common = {"scenario": "api-read", "size": size, "database": "postgresql", "server": "granian", "server_workers": int(workers), "server_threads": int(threads),
              "prepare_seconds": round(prepare_s, 1)}  # fmt: skip
    figures = []
    for figure, result, value_key, unit in (
        ("contact_detail_rps", detail, "rps", "req/s"),
        ("contact_detail_p99", detail, "p99_ms", "ms"),
        ("contacts_api_page_p95", page, "p95_ms", "ms"),
        ("contacts_list_page_p95", ui, "p95_ms", "ms"),
    ):
        baseline_value = (
            floor["rps"] if unit == "req/s" else floor["p99_ms" if "p99" in figure else "p95_ms"]
        )
        figures.append({
            **common, "figure": figure, "value": round(result[value_key], 2), "unit": unit,
            "baseline": "GET /healthz (SELECT 1) on the same server", "baseline_value": round(baseline_value, 2),
            "ratio": round(result[value_key] / baseline_value, 3) if baseline_value else None,
            "errors": result["errors"], "non2xx": result["non2xx"], "requests": result["requests"],
        })  # fmt: skip
    return figures
