"""Real worker processes, on SQLite (a file database in WAL mode, write transactions taken
IMMEDIATE) or PostgreSQL (`FOR UPDATE SKIP LOCKED`), whichever the suite runs on: three claim
from one queue at once and never share a message; one killed with SIGKILL in the middle of a
batch loses nobody, and the worker that takes over after the lease repeats at most the message
each of its sending threads was handing over."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from clientela.testing.processes import process_site, smtp_env

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
    with process_site(tmp_path) as site:
        site.shell(SEED)
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
                env={**site.env, "DJANGO_SETTINGS_MODULE": "clientela.settings"},
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
    every = [pk for ids in claimed for pk in ids]
    assert len(every) == len(set(every)) == MESSAGES


SEND = """
from clientela.delivery.services.sending import send_due
print(send_due(owner="kill-test"))
"""
EXPIRE = """
from datetime import timedelta
from django.utils import timezone
from clientela.delivery.models import Message
Message.objects.filter(state="sending").update(leased_until=timezone.now() - timedelta(seconds=1))
"""
STATES = """
import json
from django.db.models import Count
from clientela.delivery.models import Message
print(json.dumps(dict(Message.objects.values_list("state").annotate(n=Count("id")))))
"""


def _two_threads_of_50(smtp: Any) -> dict[str, str]:
    """Settings of a sending process on the test SMTP server: two threads, batches of 50."""
    return {
        **smtp_env(smtp.host, smtp.port),
        "CLIENTELA_DELIVERY_BATCH": "50",
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
        "CLIENTELA_DELIVERY_THREADS": "2",
    }


def test_a_worker_killed_mid_batch_loses_nobody_and_repeats_at_most_one_per_thread(tmp_path, db):
    import signal

    from clientela.testing.smtp import running_smtp_server

    with running_smtp_server() as smtp:
        with process_site(tmp_path, _two_threads_of_50(smtp)) as site:
            site.shell(SEED)
            worker = site.start("shell", "-c", SEND)
            deadline = time.monotonic() + 120
            while len(smtp.messages) < 75 and time.monotonic() < deadline:
                time.sleep(0.01)
            worker.send_signal(signal.SIGKILL)  # in the middle of its second batch
            worker.wait(timeout=30)
            assert 0 < len(smtp.messages) < MESSAGES
            # The lease runs out (here: at once), and the next worker takes over.
            site.shell(EXPIRE)
            site.shell(SEND)
            states = json.loads(site.shell(STATES))
        received = [m.recipients[0] for m in smtp.messages]
    assert states == {"sent": MESSAGES}
    assert set(received) == {f"p{i}@example.co" for i in range(MESSAGES)}
    # Each of the killed worker's two sending threads had at most one hand-off in flight.
    assert len(received) - len(set(received)) <= 2


def test_a_sender_stopped_with_sigterm_puts_its_batches_back_and_duplicates_nobody(tmp_path, db):
    import signal

    from clientela.testing.smtp import running_smtp_server

    with running_smtp_server() as smtp:
        with process_site(tmp_path, _two_threads_of_50(smtp)) as site:
            sender = site.start("sender", "--idle", "0.2", log=tmp_path / "sender.log")
            site.shell(SEED)
            deadline = time.monotonic() + 120
            while len(smtp.messages) < 75 and time.monotonic() < deadline:
                time.sleep(0.01)
            sender.send_signal(signal.SIGTERM)
            assert sender.wait(timeout=60) == 0, (tmp_path / "sender.log").read_text()
            stopped = json.loads(site.shell(STATES))
            # Nothing is left waiting for a lease to run out: what was not sent is queued.
            assert set(stopped) <= {"sent", "queued"} and stopped.get("queued", 0) > 0
            site.shell(SEND)
            states = json.loads(site.shell(STATES))
        received = [m.recipients[0] for m in smtp.messages]
    assert states == {"sent": MESSAGES}
    assert sorted(received) == sorted(f"p{i}@example.co" for i in range(MESSAGES))
