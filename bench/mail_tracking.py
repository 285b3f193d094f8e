"""mail-tracking: opens and clicks of sent e-mail through the production server, on PostgreSQL.

Migrates a fresh PostgreSQL database, stores `size` sent marketing messages, starts the real
production server (`clientela serve`, granian) and drives the public endpoints from a second
process (wrk): the signed open pixel (GET /m/o/…) and click redirect (GET /m/c/…?u=…), half
and half, over 2,000 messages drawn at random, with a mail client's user agent.
Figure: opens and clicks stored per second (rows in delivery_messageevent / seconds of load),
and the p99 latency; target ≥ 2,000/s with p99 ≤ 50 ms.
Baseline, same run and server: GET /healthz (a view that reads nothing), the server's own
floor. Ratio = tracking requests per second / healthz requests per second.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
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

AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
PATHS = 2000
SEED = """
import json, random
from datetime import timedelta
from email.utils import make_msgid
from django.utils import timezone
from clientela.delivery import links
from clientela.delivery.models import Message
random.seed({seed})
sent = timezone.now() - timedelta(hours=1)
rows = (
    Message(kind="delivery.test", to_address=f"p{{n}}@example.co", from_address="a@example.co",
            subject="Novedades", text_body="x", state="sent", sent_at=sent, purpose="newsletter",
            message_id=make_msgid(idstring=str(n), domain="example.co"))
    for n in range({size})
)
Message.objects.bulk_create(rows, batch_size=5000)
tokens = list(Message.objects.order_by("?").values_list("token", flat=True)[:{paths}])
paths = []
for n, token in enumerate(tokens):
    if n % 2:
        url = links.click_url(token, f"https://tienda.example.co/oferta/{{n}}?utm_source=email")
    else:
        url = links.open_url(token)
    paths.append(url.removeprefix(links.public_url()))
print(json.dumps(paths))
"""
LUA = """
math.randomseed(%(seed)d)
local paths = {%(paths)s}
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)], wrk.headers)
end
"""
HEALTH_LUA = LUA.replace("paths[math.random(1, #paths)]", '"/healthz"')


def run(
    size: int = 100_000, seed: int = 42, seconds: int = 20, connections: int = 16
) -> list[dict[str, Any]]:
    """Serve a fresh database, load the pixel and click endpoints with wrk, compare with healthz."""
    import psycopg

    if shutil.which("wrk") is None:
        raise SystemExit("mail-tracking needs wrk (apt-get install wrk)")
    seconds = seconds if size >= 10_000 else 2
    digest = hashlib.sha1(str(os.getpid()).encode(), usedforsecurity=False).hexdigest()[:8]
    name = f"clientela_bench_mail_{digest}"
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    env = bench_env(data_dir, database_url=create_database(name), track_rate="100000000/m")
    try:
        manage(env, "migrate", "-v0")
        out = manage(
            env, "shell", "-v", "0", "-c",
            SEED.format(seed=seed, size=size, paths=min(PATHS, size)),
        )  # fmt: skip
        paths: list[str] = json.loads(out.strip().splitlines()[-1])
        workers, threads = server_shape()
        server, base = start_server(env, workers=workers, threads=threads)
        headers = {"User-Agent": AGENT}
        lua = LUA % {"seed": seed, "paths": ",".join(json.dumps(p) for p in paths)}
        try:
            wrk(base, seconds=1, connections=connections, headers=headers, lua=lua)
            with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
                db.execute("TRUNCATE delivery_messageevent")  # the warm-up's rows do not count
            load = wrk(base, seconds=seconds, connections=connections, headers=headers, lua=lua)
            health = wrk(
                base, seconds=seconds, connections=connections, headers=headers,
                lua=HEALTH_LUA % {"seed": seed, "paths": ""},
            )  # fmt: skip
        finally:
            stop_server(server)
        with psycopg.connect(f"{PG}/{name}") as db:
            counts: dict[str, int] = dict(
                db.execute(
                    "SELECT kind, count(*) FROM delivery_messageevent GROUP BY kind"
                ).fetchall()
            )
    finally:
        drop_database(name)
        shutil.rmtree(data_dir, ignore_errors=True)
    stored = int(sum(counts.values()))
    rate = stored / load["seconds"] if load["seconds"] else 0.0
    return [{
        "scenario": "mail-tracking", "size": size, "database": "postgresql", "server": "granian",
        "server_workers": int(workers), "server_threads": int(threads), "connections": connections,
        "figure": "opens_clicks_stored_per_s", "value": round(rate, 1), "unit": "events/s",
        "target": 2_000, "p99_target_ms": 50,
        "baseline": "GET /healthz through the same server", "baseline_value": round(health["rps"], 1),
        "ratio": round(load["rps"] / health["rps"], 3) if health["rps"] else None,
        "opens": int(counts.get("open", 0)), "clicks": int(counts.get("click", 0)),
        "requests": load["requests"], "seconds": round(load["seconds"], 2),
        "errors": load["errors"], "non2xx": load["non2xx"], "p50_ms": round(load["p50_ms"], 2),
        "p99_ms": round(load["p99_ms"], 2), "healthz_p99_ms": round(health["p99_ms"], 2),
    }]  # fmt: skip
