"""board-50k: the deals board with 50,000 open deals in 7 stages, and moving deals, on PostgreSQL.

Builds a fresh PostgreSQL database with the demo company, adds a pipeline of seven open
stages holding `size` open deals owned by the demo's three reps and the manager (deterministic
seed), starts the real production server (`clientela serve`, granian, no worker) and drives it
from a second process (wrk):

* `board_manager_p95` / `board_rep_p95`: GET of the board page (every column's count and sum
  in the company currency plus its first 12 cards) signed in as the manager (sees every deal)
  and as a rep (sees their own). Target p95 ≤ 200 ms. Baseline: the same queries hand-written
  in SQL (one GROUP BY, one keyset query per column with the card facts), run in this process
  over psycopg; the ratio is the price of the ORM, the template and HTTP.
* `move_rps`: POST /api/v1/deals/{id}/move to a random stage of a random deal (row lock,
  version, stage history closed and opened, timeline event). Target ≥ 300 req/s. Baseline:
  the same writes hand-written in SQL, on as many connections as wrk uses.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    PG,
    bench_env,
    create_database,
    drop_database,
    manage,
    start_server,
    wrk,
)

STAGES = ("Prospecto", "Contactado", "Agendado", "Asistió", "Cotizado", "Negociación", "Reserva")
OWNERS = ("ana", "carlos", "luisa", "gerente")
GET_LUA = ""  # wrk's own GET of the URL; bench.common.wrk adds the report
MOVE_LUA = """
local stages = {%(stages)s}
math.randomseed(%(seed)d)
request = function()
  local id = math.random(%(first)d, %(last)d)
  local body = string.format('{"stage": %%d}', stages[math.random(1, #stages)])
  return wrk.format("POST", string.format("/api/v1/deals/%%d/move", id),
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}, body)
end
"""

# Run in a child process with the server's settings: the bench pipeline and its deals.
SEED = """
import os, random, datetime as dt
from decimal import Decimal
from django.utils import timezone
from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.deals.models import Deal, Pipeline, Stage, StageHistory
size, seed = int(os.environ["BENCH_SIZE"]), int(os.environ["BENCH_SEED"])
rng = random.Random(seed)
pipeline = Pipeline.objects.create(name="Bench 50k", position=0)
names = os.environ["BENCH_STAGES"].split("|")
stages = Stage.objects.bulk_create(
    Stage(pipeline=pipeline, name=n, position=i, probability=10 * (i + 1), rotting_days=14)
    for i, n in enumerate(names, start=1))
owners = list(User.objects.filter(username__in=os.environ["BENCH_OWNERS"].split("|")))
contacts = list(Contact.objects.values_list("id", flat=True))
now = timezone.now()
batch = []
for n in range(size):
    stage = stages[n % len(stages)]
    amount = Decimal(rng.randrange(15, 90) * 1000)
    entered = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    batch.append(Deal(title=f"Lote {n}", contact_id=contacts[n % len(contacts)],
        owner=owners[n % len(owners)], pipeline=pipeline, stage=stage, amount=amount,
        currency="USD", amount_company=amount * 4100, rate=4100, stage_entered_at=entered,
        created_at=entered, updated_at=entered))
    if len(batch) == 5000 or n == size - 1:
        made = Deal.objects.bulk_create(batch)
        StageHistory.objects.bulk_create(StageHistory(deal=d, stage=d.stage,
            entered_at=d.stage_entered_at) for d in made)
        batch = []
ids = Deal.objects.filter(pipeline=pipeline).order_by("id").values_list("id", flat=True)
print(pipeline.pk, ids.first(), ids.last(), ",".join(str(s.pk) for s in stages),
      User.objects.get(username="ana").pk)
"""

BOARD_SUMS = """
SELECT stage_id, count(*), sum(amount_company) FROM deals_deal
WHERE pipeline_id = %(pipeline)s AND (%(owner)s::bigint IS NULL OR owner_id = %(owner)s)
GROUP BY stage_id
"""
BOARD_CARDS = """
SELECT d.id, d.title, d.amount, d.currency, d.amount_company, d.version, d.state,
       d.stage_entered_at, c.first_name, c.last_name, co.name, u.first_name, u.last_name,
       EXISTS (SELECT 1 FROM activities_activity a WHERE a.deal_id = d.id AND a.done_at IS NULL
               AND (a.due_at >= now() OR a.due_at IS NULL)),
       GREATEST(d.stage_entered_at, COALESCE((SELECT a.done_at FROM activities_activity a
               WHERE a.deal_id = d.id AND a.done_at IS NOT NULL ORDER BY a.done_at DESC LIMIT 1),
               d.stage_entered_at)),
       EXISTS (SELECT 1 FROM deals_deal w WHERE w.contact_id = d.contact_id AND w.state = 'won'
               AND w.id <> d.id)
FROM deals_deal d
LEFT JOIN contacts_contact c ON c.id = d.contact_id
LEFT JOIN contacts_company co ON co.id = d.company_id
JOIN accounts_user u ON u.id = d.owner_id
WHERE d.stage_id = %(stage)s AND (%(owner)s::bigint IS NULL OR d.owner_id = %(owner)s)
ORDER BY d.stage_entered_at DESC, d.id DESC LIMIT 13
"""
MOVE_SQL = (
    "SELECT stage_id, version FROM deals_deal WHERE id = %(id)s FOR UPDATE",
    "UPDATE deals_stagehistory SET left_at = now() WHERE deal_id = %(id)s AND left_at IS NULL",
    "INSERT INTO deals_stagehistory (deal_id, stage_id, entered_at) VALUES (%(id)s, %(stage)s, now())",
    "UPDATE deals_deal SET stage_id = %(stage)s, stage_entered_at = now(), version = version + 1,"
    " updated_at = now() WHERE id = %(id)s",
    "INSERT INTO timeline_event (created_at, verb, via, target_type, target_id, target_repr, data)"
    " VALUES (now(), 'deal_moved', 'api', 'deals.deal', %(id)s::text, 'Lote', '{}'::jsonb)",
)


def _session(base: str, username: str) -> str:
    """Sign in through the login form; return the Cookie header of the session."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "login page without CSRF token"
    data = urllib.parse.urlencode({"username": username, "password": "clientela-demo",
                                   "csrfmiddlewaretoken": match.group(1)}).encode()  # fmt: skip
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data,
                                       headers={"Referer": base}))  # fmt: skip
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def _sql_board(
    database: str, pipeline: int, stages: list[int], owner: int | None, runs: int
) -> float:
    """Return the p95 (ms) of the board's queries hand-written in SQL."""
    import psycopg

    samples = []
    with psycopg.connect(f"{PG}/{database}") as db:
        for _attempt in range(runs):
            started = time.perf_counter()
            db.execute(BOARD_SUMS, {"pipeline": pipeline, "owner": owner}).fetchall()
            for stage in stages:
                db.execute(BOARD_CARDS, {"stage": stage, "owner": owner}).fetchall()
            db.rollback()
            samples.append((time.perf_counter() - started) * 1000)
    return _p95(samples)


def _sql_moves(database: str, first: int, last: int, stages: list[int], seconds: float,
               connections: int, seed: int) -> float:  # fmt: skip
    """Return the moves per second the same writes reach hand-written in SQL."""
    import psycopg

    done = [0] * connections
    stop = time.monotonic() + seconds

    def work(slot: int) -> None:
        rng = random.Random(seed + slot)
        with psycopg.connect(f"{PG}/{database}") as db:
            while time.monotonic() < stop:
                values = {"id": rng.randint(first, last), "stage": rng.choice(stages)}
                with db.transaction():
                    for statement in MOVE_SQL:
                        db.execute(statement, values)
                done[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def run(
    size: int = 50_000, seed: int = 42, seconds: int = 15, connections: int = 16
) -> list[dict[str, Any]]:
    """Seed a fresh database, serve it, load the board and the move endpoint, report figures."""
    import psycopg

    from clientela.demo.processes import default_web_workers

    if shutil.which("wrk") is None:
        raise SystemExit("board-50k needs wrk (apt-get install wrk)")
    seconds = seconds if size >= 10_000 else 2
    database = f"clientela_bench_board_{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    env = bench_env(data_dir, database_url=create_database(database), api_rate="100000000/m")
    server = None
    workers = os.environ.get("CLIENTELA_WEB_WORKERS") or str(default_web_workers())
    try:
        started = time.monotonic()
        manage(env, "demo", "--no-serve", "--contacts", "300")
        seeded = {**env, "BENCH_SIZE": str(size), "BENCH_SEED": str(seed),
                  "BENCH_STAGES": "|".join(STAGES), "BENCH_OWNERS": "|".join(OWNERS)}  # fmt: skip
        line = manage(seeded, "shell", "-c", SEED).strip().splitlines()[-1].split()
        pipeline, first, last, rep_id = int(line[0]), int(line[1]), int(line[2]), int(line[4])
        stage_ids = [int(pk) for pk in line[3].split(",")]
        with psycopg.connect(f"{PG}/{database}", autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        token = manage(env, "token", "create", "gerente").strip()
        prepare_s = time.monotonic() - started
        server, base = start_server(env, data_dir / "server.log", workers)
        board_url = f"{base}/deals/pipeline/{pipeline}/"
        pages = {}
        for role, username in (("manager", "gerente"), ("rep", "ana")):
            cookie = {"Cookie": _session(base, username)}
            wrk(board_url, seconds=1, connections=2, headers=cookie, lua=GET_LUA)  # warm-up
            pages[role] = wrk(board_url, seconds=seconds, connections=4, headers=cookie,
                               lua=GET_LUA)  # fmt: skip
        runs = 200 if size >= 10_000 else 20
        sql = {
            "manager": _sql_board(database, pipeline, stage_ids, None, runs),
            "rep": _sql_board(database, pipeline, stage_ids, rep_id, runs),
        }
        lua = MOVE_LUA % {"stages": ",".join(map(str, stage_ids)), "seed": seed, "first": first,
                          "last": last, "token": token}  # fmt: skip
        moves = wrk(f"{base}/api/v1/deals/{first}/move", seconds=seconds,
                     connections=connections, headers={}, lua=lua)  # fmt: skip
        sql_moves = _sql_moves(database, first, last, stage_ids, min(seconds, 10), connections,
                               seed)  # fmt: skip
        with psycopg.connect(f"{PG}/{database}") as db:
            row = db.execute(
                "SELECT count(*) FILTER (WHERE n <> 1) FROM (SELECT count(*) n FROM"
                " deals_stagehistory WHERE left_at IS NULL GROUP BY deal_id) s"
            ).fetchone()
            broken = int(row[0]) if row else -1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop_database(database)
        shutil.rmtree(data_dir, ignore_errors=True)
    common = {
        "scenario": "board-50k", "size": size, "database": "postgresql", "server": "granian",
        "server_workers": int(workers), "prepare_seconds": round(prepare_s, 1),
        "deals_with_other_than_one_open_stay": broken,
    }  # fmt: skip
    figures = []
    for role in ("manager", "rep"):
        page = pages[role]
        figures.append({
            **common, "figure": f"board_{role}_p95", "value": round(page["p95_ms"], 2),
            "unit": "ms", "connections": 4, "requests": page["requests"],
            "errors": page["errors"], "non2xx": page["non2xx"],
            "baseline": "the board's queries hand-written in SQL (psycopg, same database)",
            "baseline_value": round(sql[role], 2),
            "ratio": round(page["p95_ms"] / sql[role], 3) if sql[role] else None,
        })  # fmt: skip
    figures.append({
        **common, "figure": "move_rps", "value": round(moves["rps"], 1), "unit": "req/s",
        "connections": connections, "requests": moves["requests"], "errors": moves["errors"],
        "non2xx": moves["non2xx"], "p95_ms": round(moves["p95_ms"], 2),
        "baseline": "the move's writes hand-written in SQL on as many connections",
        "baseline_value": round(sql_moves, 1),
        "ratio": round(moves["rps"] / sql_moves, 3) if sql_moves else None,
    })  # fmt: skip
    return figures
