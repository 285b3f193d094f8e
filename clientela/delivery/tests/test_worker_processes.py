"""Real worker processes claim from one queue at once and never share a message — on SQLite
(a file database in WAL mode, write transactions taken IMMEDIATE) and on PostgreSQL
(`FOR UPDATE SKIP LOCKED`), whichever the suite runs on."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from clientela.testing.processes import drop_database, server_env

pytestmark = [pytest.mark.e2e]

MESSAGES = 400
SEED = f"""
from email.utils import make_msgid
from clientela.delivery.models import Message
Message.objects.bulk_create(
    Message(kind="delivery.test", to_address=f"p{{i}}@example.co", from_address="a@example.co",
            subject="x", text_body="x", message_id=make_msgid(domain="example.co"))
    for i in range({MESSAGES})
)
"""
CLAIM = """
import json, sys, time
from datetime import timedelta
from clientela.delivery.services.sending import claim_batch
time.sleep(max(0.0, float(sys.argv[-2]) - time.time()))  # start together
ids = []
while batch := claim_batch(sys.argv[-1], 9, timedelta(minutes=5)):
    ids.extend(m.pk for m in batch)
print(json.dumps(ids))
"""


def test_it_gives_concurrent_worker_processes_disjoint_batches(tmp_path, db):
    env = server_env(tmp_path)
    try:

        def manage(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "clientela", *args], env=env, capture_output=True,
                text=True, check=True, timeout=300,
            )  # fmt: skip

        manage("migrate", "-v0")
        manage("shell", "-c", SEED)
        start = str(time.time() + 4)
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import django, sys; django.setup(); exec(sys.argv[1])",
                    CLAIM,
                    start,
                    f"w{n}",
                ],
                env={**env, "DJANGO_SETTINGS_MODULE": "clientela.settings"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        claimed = []
        for worker in workers:
            out, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err
            claimed.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        drop_database(env)
    every = [pk for ids in claimed for pk in ids]
    assert len(every) == len(set(every)) == MESSAGES
