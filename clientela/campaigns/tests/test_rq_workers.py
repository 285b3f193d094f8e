"""A campaign sent through the RQ task backend (Redis) by two real `clientela worker` processes.

The database backend is the default and every other test uses it; this one proves the other
backend the design names for installations that outgrow one machine. It needs a Redis server:
set CLIENTELA_TEST_REDIS_URL (for example redis://127.0.0.1:6379/15) to run it.

Both workers run while the campaign starts: one takes the scheduler's `campaigns.due` task
(snapshot, queueing in small batches, each batch enqueueing a `delivery.send_due` task), and
both take the sending tasks as they come. Whatever worker sends what, every recipient gets
exactly one message on the real SMTP server.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest

from clientela.testing.processes import process_site, stop
from clientela.testing.smtp import running_smtp_server

REDIS_URL = os.environ.get("CLIENTELA_TEST_REDIS_URL", "")
RECIPIENTS = 60

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not REDIS_URL, reason="set CLIENTELA_TEST_REDIS_URL to run the RQ backend test"
    ),
]

SEED = f"""
from clientela.campaigns.services.campaigns import create_campaign
from clientela.campaigns.services.sending import send_campaign
from clientela.campaigns.services.templates import create_from_starter
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent, Contact
from clientela.demo.seeding import ensure_structure
from clientela.segments.choices import SegmentKind
from clientela.segments.services import save_as_list

marketer = ensure_structure().users["mercadeo"]
contacts = Contact.objects.bulk_create(
    Contact(first_name=f"Persona{{i}}", email=f"persona{{i}}@example.co", language="es")
    for i in range({RECIPIENTS})
)
Consent.objects.bulk_create(
    Consent(contact=c, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING,
            status=ConsentStatus.GRANTED, source="test")
    for c in contacts
)
audience = save_as_list(actor=marketer, name="RQ", contacts=[c.pk for c in contacts], via="seed")
template = create_from_starter(actor=marketer, code="newsletter", via="seed")
campaign = create_campaign(
    actor=marketer, via="seed",
    data={{"name": "RQ", "template": template.pk, "segments": [audience.pk]}},
)
send_campaign(campaign, actor=marketer)  # enqueues campaigns.due through RQ on commit
print(campaign.pk)
"""


def _rq_idle(connection: Any) -> bool:
    """Whether no job is queued, being handed to a worker or running (one atomic read).

    RQ moves a job from the queue to its intermediate list atomically (LMOVE), records it in
    the StartedJobRegistry before removing it from that list, and drops it from the registry
    only after it ended; a job enqueues its follow-ups while it runs. So all three empty at
    one instant means nothing can be sent any more.
    """
    from rq import Queue
    from rq.registry import StartedJobRegistry

    queue = Queue("default", connection=connection)
    started = StartedJobRegistry(queue=queue)
    with connection.pipeline(transaction=True) as pipeline:
        pipeline.llen(queue.key)
        pipeline.llen(queue.intermediate_queue_key)
        pipeline.zcard(started.key)
        waiting, handed_over, running = pipeline.execute()
    return bool(waiting == handed_over == running == 0)


def test_two_rq_workers_send_a_campaign_once_to_each_recipient(tmp_path, db):
    pytest.importorskip("django_tasks_rq")
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    # A run stopped halfway may have left jobs for a database that no longer exists.
    connection.flushdb()
    with running_smtp_server() as smtp:
        settings = {
            "CLIENTELA_TASKS_BACKEND": "rq",
            "CLIENTELA_RQ_URL": REDIS_URL,
            "CLIENTELA_EMAIL_HOST": smtp.host,
            "CLIENTELA_EMAIL_PORT": str(smtp.port),
            "CLIENTELA_CAMPAIGN_BATCH": "10",
            "CLIENTELA_DELIVERY_BATCH": "5",
            "CLIENTELA_LOG_LEVEL": "INFO",
        }
        logs = [tmp_path / f"worker{n}.log" for n in range(2)]
        with process_site(tmp_path, settings) as site:
            workers = [site.start("worker", log=log) for log in logs]
            try:
                site.shell(SEED)
                deadline = time.monotonic() + 240
                while len(smtp.messages) < RECIPIENTS and time.monotonic() < deadline:
                    assert all(w.poll() is None for w in workers), "a worker stopped"
                    time.sleep(0.5)
                # A duplicate could only come from a job still queued or running: wait until
                # none is, then count what the SMTP server received once more (below).
                while not _rq_idle(connection) and time.monotonic() < deadline:
                    assert all(w.poll() is None for w in workers), "a worker stopped"
                    time.sleep(0.2)
                assert _rq_idle(connection), "RQ jobs were still queued or running"
            finally:
                stop(workers)  # SIGTERM: a warm shutdown, the current job ends first

    output = [log.read_text(errors="replace") for log in logs]
    received = Counter(m.recipients[0] for m in smtp.messages)
    expected = {f"persona{i}@example.co" for i in range(RECIPIENTS)}
    assert set(received) == expected, output
    assert set(received.values()) == {1}
    # The tasks did run in RQ's workers (the database backend would leave their logs empty).
    assert sum(text.count("Job OK") for text in output) >= 2, output
