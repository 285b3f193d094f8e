"""delivery-kill: a bulk send survives workers killed at random and a faulty SMTP server.

Data: `size` messages queued with `delivery.services.bulk.queue_bulk` (the campaigns' snapshot
path), sent by `workers` real `clientela sender` processes. A seeded killer SIGKILLs a random
sender `kills` times at random moments and starts a new one each time. The SMTP sink, in its
own process, answers a few recipients `451` (a temporary refusal: retried with backoff) and
drops a few connections after it received a message but before it answered (the sender cannot
know the message arrived: it tries again, a duplicate by design).

Figures (one JSON line): ``duplicates`` (messages the sink received more than once) against
``interrupted_hand_offs`` (kills × sending threads + dropped answers: the most duplicates
the design allows,
DESIGN rule 8), with ``missing`` (queued messages the sink never received: must be 0),
``unexplained`` (duplicates neither a killed sender's reclaimed batch nor a dropped answer
accounts for: must be 0; a reclaim is logged by the worker that takes over) and the send rate
under those faults.

Run: ``python -m bench delivery-kill [--size N] [--database sqlite|postgresql]``; the full run
is 100,000 messages and 20 kills; CI runs it at a tiny size.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import PG, bench_env, free_port, scratch_postgres, wait_for_port

SCENARIO = "delivery-kill"
P_TEMPORARY = 0.01
P_DROP = 0.002
THREADS = 2  # CLIENTELA_DELIVERY_THREADS of each sender (the default)
OPEN = ("queued", "sending", "held")
SEED = """
import os
from django.db import transaction
from clientela.delivery.services.bulk import BulkEmail, queue_bulk
size = int(os.environ["BENCH_KILL_SIZE"])
with transaction.atomic():
    queue_bulk(
        (BulkEmail(f"persona{i}@example.co", None, "es", f"r:{i}", subject=f"Boletín {i}",
                   text=f"Hola persona {i}", html=f"<p>Hola persona {i}</p>")
         for i in range(size)),
        kind="delivery.test", group="bench:kill", source="bench",
    )
"""
RECLAIMED = re.compile(r"reclaimed \d+ message\(s\) whose lease expired \(ids \[([\d, ]*)\]")


def _sizes(size: int) -> tuple[int, int]:
    """Return (kills, senders) for a run of `size` messages."""
    return (20 if size >= 10_000 else max(2, size // 200)), 2


def run(size: int = 100_000, seed: int = 42, database: str = "sqlite") -> list[dict[str, Any]]:
    """Queue, send with senders killed at random against a faulty sink, check every message."""
    kills, senders = _sizes(size)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="clientela-kill-"))
    env = bench_env(
        work, delivery_lease_seconds="10", delivery_retry_seconds="1",
        delivery_max_attempts="30", delivery_batch="100",
        default_from_email="Clientela <hola@bench.example.co>",
        email_backend="django.core.mail.backends.smtp.EmailBackend",
        email_host="127.0.0.1", email_timeout="10", delivery_threads=str(THREADS),
    )  # fmt: skip
    name = f"clientela_bench_kill_{os.getpid()}"
    with ExitStack() as stack:
        if database == "postgresql":
            env["CLIENTELA_DATABASE_URL"] = stack.enter_context(scratch_postgres(name))
        return _run(env, database, name, size, seed, kills, senders, rng, work)


def _run(
    env: dict[str, str], database: str, name: str, size: int, seed: int, kills: int,
    senders: int, rng: random.Random, work: Path,
) -> list[dict[str, Any]]:  # fmt: skip
    manage = [sys.executable, "-m", "clientela"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=900)
        subprocess.run(
            [*manage, "shell", "-c", SEED], env={**env, "BENCH_KILL_SIZE": str(size)},
            check=True, timeout=3600,
        )  # fmt: skip
        port = free_port()
        env["CLIENTELA_EMAIL_PORT"] = str(port)
        received_log = work / "received.log"
        dropped_log = work / "dropped.log"
        sink = subprocess.Popen(
            [sys.executable, "-m", "bench.delivery_kill", "--sink", str(port), str(received_log),
             str(dropped_log), str(seed)],
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        processes.append(sink)
        wait_for_port(port)
        logs: list[Path] = []

        def start_sender() -> subprocess.Popen[bytes]:
            log = work / f"sender-{len(logs)}.log"
            logs.append(log)
            with log.open("wb") as handle:
                child = subprocess.Popen(
                    [*manage, "sender", "--idle", "0.2"], env=env, stdout=handle, stderr=handle
                )
            processes.append(child)
            return child

        running = [start_sender() for _ in range(senders)]
        started = time.monotonic()
        expected_s = max(2.0, size / 250)
        done_kills = 0
        for _ in range(kills):
            time.sleep(rng.uniform(0.2, 2 * expected_s / kills))
            if _open_count(env, database, name) == 0:
                break
            victim = running.pop(rng.randrange(len(running)))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            done_kills += 1
            running.append(start_sender())
        deadline = time.monotonic() + 600 + size / 20
        while _open_count(env, database, name) and time.monotonic() < deadline:
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        for child in running:
            child.terminate()
        for child in running:
            child.wait(timeout=30)
        sink.terminate()
        sink.wait(timeout=30)
        received = Counter(received_log.read_text().split())
        dropped = set(dropped_log.read_text().split()) if dropped_log.exists() else set()
        queued = _message_ids(env, database, name)
        reclaimed_ids: set[int] = set()
        for log in logs:
            for match in RECLAIMED.finditer(log.read_text(errors="replace")):
                reclaimed_ids.update(int(pk) for pk in match.group(1).split(",") if pk.strip())
        reclaimed = {mid for pk, mid in queued.items() if pk in reclaimed_ids}
        duplicated = {mid: n - 1 for mid, n in received.items() if n > 1}
        missing = [mid for mid in queued.values() if mid not in received]
        unexplained = [mid for mid in duplicated if mid not in reclaimed and mid not in dropped]
        # A killed sender interrupts at most one hand-off per sending thread.
        interrupted = done_kills * THREADS + len(dropped)
        duplicates = sum(duplicated.values())
        return [
            {
                "scenario": SCENARIO, "database": database, "size": size,
                "figure": "duplicates", "unit": "messages", "value": duplicates,
                "baseline": "interrupted hand-offs (kills x threads + dropped answers)",
                "baseline_value": interrupted,
                "ratio": round(duplicates / interrupted, 3) if interrupted else 0.0,
                "missing": len(missing), "unexplained": len(unexplained), "kills": done_kills,
                "dropped_answers": len(dropped), "senders": senders, "threads": THREADS,
                "sent_per_s_under_faults": round(size / elapsed, 1),
                "stuck": _open_count(env, database, name),
            }
        ]  # fmt: skip
    finally:
        for child in processes:
            if child.poll() is None:
                child.kill()
                child.wait()


def _query(env: dict[str, str], database: str, name: str, sql: str) -> list[tuple[Any, ...]]:
    if database == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG}/{name}") as conn:
            return list(conn.execute(sql).fetchall())
    path = Path(env["CLIENTELA_DATA_DIR"]) / "clientela.sqlite3"
    with sqlite3.connect(path, timeout=30) as conn:
        return list(conn.execute(sql).fetchall())


def _open_count(env: dict[str, str], database: str, name: str) -> int:
    states = ", ".join(f"'{state}'" for state in OPEN)
    sql = f"SELECT count(*) FROM delivery_message WHERE state IN ({states})"
    return int(_query(env, database, name, sql)[0][0])


def _message_ids(env: dict[str, str], database: str, name: str) -> dict[int, str]:
    sql = "SELECT id, message_id FROM delivery_message"
    return {int(pk): str(mid) for pk, mid in _query(env, database, name, sql)}


# -- the sink: received, temporarily refused, or received and then cut off ---------------------
def _sink(port: int, received: Path, dropped: Path, seed: int) -> None:
    from aiosmtpd.controller import Controller

    rng = random.Random(seed + 1)
    header = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
    log = received.open("a", buffering=1)
    cut = dropped.open("a", buffering=1)

    class FaultySink:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if rng.random() < P_TEMPORARY:
                return "451 4.3.0 Busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            found = header.search(bytes(envelope.content))
            mid = found.group(1).decode() if found else "?"
            log.write(mid + "\n")
            if rng.random() < P_DROP:
                cut.write(mid + "\n")
                server.transport.close()
            return "250 2.0.0 Ok"

    controller = Controller(FaultySink(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(1)
    finally:
        controller.stop()


if __name__ == "__main__" and len(sys.argv) >= 6 and sys.argv[1] == "--sink":
    _sink(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))
elif __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))
