"""form-submit: end-to-end public form submissions through the production server on PostgreSQL.

Builds a fresh PostgreSQL database with the demo company (its published webinar form and its
round-robin routing rule), starts the real production server (`clientela serve --no-worker`,
granian), and drives it from a second process (wrk) with `size` distinct submissions: each
carries a genuine render token and a solved ALTCHA challenge; the request validates it, checks
the anti-spam and stores it raw (decision 125: the request only validates and stores). Then
the real worker (`clientela worker --batch`) does what the requests woke it for — turning the
received submissions into contacts in bulk (dedupe, consent, events) and the follow-up
(routing: a task and a notice for the rep; the three e-mails queued) — timed as its own figure.
Figures: submissions/s and p99 latency of the posting (targets ≥ 300/s, p99 ≤ 150 ms), and end
to end: submissions stored, processed into contacts and followed up ÷ (seconds of posting +
seconds of the worker's jobs after it), checked against what was stored, processed and
followed up. Baseline, same server and run: GET /healthz (a view doing
`SELECT 1`), the framework's floor.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
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

# wrk runs two threads (bench.common.wrk: -t2), each with its own Lua state: thread k posts
# bodies k+1, k+3, k+5, … so no body is posted twice while the file lasts.
POST_LUA = """
local bodies = {}
local i = 0
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
init = function(args)
  for line in io.lines("%(path)s") do bodies[#bodies + 1] = line end
  i = tonumber(wrk.thread:get("id")) - 1
end
request = function()
  i = i + 2
  if i > #bodies then i = (i - 1) %% 2 + 1 end
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json",
    ["Accept"] = "application/json"}, bodies[i])
end
"""

# Made in a child process with the server's settings (its secret key signs the tokens).
PAYLOADS = """
import json, os, time
import altcha
from clientela.webforms import antispam
from clientela.webforms.models import Form
form = Form.objects.get(name__startswith="Webinar")
consent = form.consents.get().input_name
with open(os.environ["BENCH_FORM_BODIES"], "w") as out:
    for n in range(int(os.environ["BENCH_FORM_COUNT"])):
        challenge = antispam.new_challenge()
        found = altcha.solve_challenge(challenge["challenge"], challenge["salt"],
                                       challenge["algorithm"], challenge["maxNumber"])
        proof = {"algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
                 "number": found.number, "salt": challenge["salt"],
                 "signature": challenge["signature"]}
        import base64
        body = {antispam.TOKEN_FIELD: antispam.issue_render_token(form.public_id, now=time.time() - 60),
                antispam.ALTCHA_FIELD: base64.b64encode(json.dumps(proof).encode()).decode(),
                "first_name": f"Visitante {n}", "email": f"visitante{n}@bench.example.co",
                "phone": f"300{n:07d}", "city": "Medellín", consent: "1",
                "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "bench"}
        out.write(json.dumps(body) + "\\n")
print(form.public_id)
"""

UNPROCESSED = "SELECT count(*) FROM webforms_submission WHERE state = '%s'"


def _count(database: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(f"{PG}/{database}") as db:
        row = db.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _now(database: str) -> Any:
    import psycopg

    with psycopg.connect(f"{PG}/{database}") as db:
        row = db.execute("SELECT now()").fetchone()
    return row[0] if row else None


def _span(database: str, since: Any) -> float:
    """Return the seconds from the first job started after `since` to the last one's end."""
    import psycopg

    sql = (
        "SELECT extract(epoch FROM max(finished_at) - min(started_at))"
        " FROM django_tasks_database_dbtaskresult WHERE started_at >= %s"
    )
    with psycopg.connect(f"{PG}/{database}") as db:
        row = db.execute(sql, [since]).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def run(
    size: int = 6000, seed: int = 42, seconds: int = 15, connections: int = 16
) -> list[dict[str, Any]]:
    """Seed a fresh database, serve it, post `size` distinct submissions, report the figures."""
    if shutil.which("wrk") is None:
        raise SystemExit("form-submit needs wrk (apt-get install wrk)")
    seconds = seconds if size >= 1000 else 2
    database = f"clientela_bench_forms_{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    env = bench_env(
        data_dir, database_url=create_database(database), form_rate_ip="100000000/m",
        form_rate_form="100000000/m", form_min_fill_seconds="0", altcha_max_number="10",
    )  # fmt: skip
    server = None
    try:
        started = time.monotonic()
        manage(env, "demo", "--no-serve", "--contacts", "200")
        bodies = data_dir / "bodies.jsonl"
        maker = {**env, "BENCH_FORM_COUNT": str(size), "BENCH_FORM_BODIES": str(bodies)}
        public_id = manage(maker, "shell", "-c", PAYLOADS).strip().split()[-1]
        prepare_s = time.monotonic() - started
        before = _count(database, "SELECT count(*) FROM webforms_submission")
        already = {state: _count(database, UNPROCESSED % state) for state in ("received", "failed")}
        assigned_before = _count(database, "SELECT count(*) FROM webforms_leadassignment")
        # The seeding's own queued jobs first, so the timed worker run below does only the
        # follow-ups; this run's time is mostly the worker's start (Django, the database).
        started = time.monotonic()
        manage(env, "worker", "--batch")
        worker_start_s = time.monotonic() - started
        workers, threads = server_shape()
        server, base = start_server(env, data_dir / "server.log", workers, threads)
        floor = wrk(f"{base}/healthz", seconds=seconds, connections=connections, headers={},
                    lua="")  # fmt: skip
        # Warm every worker up on the form's own page (templates, translations, the form).
        wrk(f"{base}/f/{public_id}", seconds=2, connections=connections, headers={}, lua="")
        # Every body is one new visitor: stop before wrk would post a body a second time.
        lua = POST_LUA % {"path": str(bodies)}
        budget = max(1, min(seconds, int(size / 800)))
        posted = wrk(f"{base}/f/{public_id}", seconds=budget, connections=connections,
                     headers={}, lua=lua)  # fmt: skip
        # Requests in flight when wrk stopped counting may not even be stored yet: stop the
        # server, then count.
        stop_server(server, timeout=60)
        server = None
        stored = _count(database, "SELECT count(*) FROM webforms_submission") - before
        # The requests only stored: every new submission waits `received` for the worker.
        left = {state: _count(database, UNPROCESSED % state) - already[state] for state in already}
        # The contacts and the follow-up work (routing, the rep's task and notice, three
        # e-mails) are the worker's: run the real worker over what the requests woke it for.
        started = time.monotonic()
        since = _now(database)
        manage(env, "worker", "--batch")
        follow_up_s = time.monotonic() - started
        # The jobs' own span, from the first one's start to the last one's end: the worker's
        # work without the process's start (Django, imports), which production pays once.
        work_s = _span(database, since)
        processed = (
            _count(database, "SELECT count(*) FROM webforms_submission WHERE state = 'processed'")
            - before
        )
        failed = _count(database, UNPROCESSED % "failed") - already["failed"]
        still_received = _count(database, UNPROCESSED % "received") - already["received"]
        pending = (
            "SELECT count(*) FROM webforms_submission"
            " WHERE state = 'processed' AND followed_up_at IS NULL"
        )
        not_followed_up = _count(database, pending)
        assigned = (
            _count(database, "SELECT count(*) FROM webforms_leadassignment") - assigned_before
        )
        queued = _count(database, "SELECT count(*) FROM delivery_message")
    finally:
        if server is not None:
            stop_server(server)
        drop_database(database)
        if os.environ.get("BENCH_KEEP_LOG"):
            shutil.copy(data_dir / "server.log", os.environ["BENCH_KEEP_LOG"])
        shutil.rmtree(data_dir, ignore_errors=True)
    common = {
        "scenario": "form-submit", "size": size, "database": "postgresql", "server": "granian",
        "server_workers": int(workers), "connections": connections,
        "prepare_seconds": round(prepare_s, 1), "requests": posted["requests"],
        "stored": stored, "received_at_stop": left["received"], "failed_at_stop": left["failed"],
        "processed": processed, "failed": failed, "received_after_worker": still_received, "assigned": assigned, "emails_queued": queued,
        "not_followed_up": not_followed_up,
        "posting_seconds": round(posted["seconds"], 2), "follow_up_seconds": round(follow_up_s, 2),
        "worker_jobs_seconds": round(work_s, 2), "worker_start_seconds": round(worker_start_s, 2),
        # Submissions the worker turned into contacts and followed up, per second of its jobs.
        "worker_per_second": round(processed / work_s, 1) if work_s else None,
        "errors": posted["errors"], "non2xx": posted["non2xx"],
        "baseline": "GET /healthz (SELECT 1) on the same server",
    }  # fmt: skip
    followed_up = processed - not_followed_up
    end_to_end = round(followed_up / (posted["seconds"] + work_s), 1) if work_s else None
    return [
        {**common, "figure": "submissions_per_second", "value": round(posted["rps"], 1),
         "unit": "submissions/s", "baseline_value": round(floor["rps"], 1),
         "ratio": round(posted["rps"] / floor["rps"], 3) if floor["rps"] else None},
        # End to end: submissions stored, processed into contacts by the worker and followed up
        # (routed, task, notice, e-mails queued) over the posting time plus the worker's jobs.
        {**common, "figure": "end_to_end_per_second", "value": end_to_end,
         "unit": "submissions/s", "baseline_value": round(floor["rps"], 1),
         "ratio": round(end_to_end / floor["rps"], 3) if floor["rps"] and end_to_end else None},
        {**common, "figure": "submission_p99", "value": round(posted["p99_ms"], 2), "unit": "ms",
         "baseline_value": round(floor["p99_ms"], 2),
         "ratio": round(posted["p99_ms"] / floor["p99_ms"], 3) if floor["p99_ms"] else None},
    ]  # fmt: skip
