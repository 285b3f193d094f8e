"""A worker process SIGKILLed while it snapshots a campaign's audience leaves no partial snapshot.

`sending.snapshot` writes one recipient row per member inside `advance`'s transaction, the one
that holds the campaign's row lock. A real `clientela worker` takes the scheduler's
`campaigns.due` task for a 5,000-recipient campaign (snapshot batches of 250 rows) and is killed
with SIGKILL while that transaction is writing, found by polling the database — nothing in the
code waits for the test:

- PostgreSQL: the worker's backend holds the recipients table's RowExclusiveLock and the table's
  heap has grown past what two batches of rows can fill (rows are physically written) while a
  reader still counts zero rows: several batches are written and none is committed (a
  snapshot committing batch by batch would show rows before that, and the test would fail).
- SQLite (WAL): uncommitted pages stay in the writer's cache, invisible from outside; the test
  waits until the worker has committed its claim of the `campaigns.due` task and then holds the
  write lock — the transaction of `advance`, whose only work for a sending campaign is the
  snapshot.

After the kill nobody is a recipient and the campaign has no snapshot. A second worker (the
scheduler enqueues `campaigns.due` again) takes the snapshot and sends; the real SMTP server
(aiosmtpd) receives exactly one message per recipient.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from clientela.testing.processes import process_site, smtp_env
from clientela.testing.smtp import running_smtp_server

pytestmark = [pytest.mark.e2e]

RECIPIENTS = 5000
BATCH = 250  # recipients per snapshot INSERT (CLIENTELA_CAMPAIGN_BATCH)
# A recipient row here (ids, a ~22-character address, language, phase, flags, tuple header)
# takes well under 200 bytes of heap: more than this means at least two batches were written.
TWO_BATCHES_BYTES = 2 * BATCH * 200
SEED = f"""
from clientela.campaigns.services.campaigns import create_campaign
from clientela.campaigns.services.sending import send_campaign
from clientela.campaigns.services.templates import create_from_starter
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent, Contact
from clientela.demo.seeding import ensure_structure
from clientela.segments.services import save_as_list

marketer = ensure_structure().users["mercadeo"]
contacts = Contact.objects.bulk_create(
    (Contact(first_name=f"Persona{{i}}", email=f"persona{{i}}@example.co", language="es")
     for i in range({RECIPIENTS})),
    batch_size=1000,
)
Consent.objects.bulk_create(
    (Consent(contact=c, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING,
             status=ConsentStatus.GRANTED, source="test") for c in contacts),
    batch_size=1000,
)
audience = save_as_list(
    actor=marketer, name="Kill", contacts=[c.pk for c in contacts], via="seed"
)
template = create_from_starter(actor=marketer, code="newsletter", via="seed")
campaign = create_campaign(
    actor=marketer, via="seed",
    data={{"name": "Kill", "template": template.pk, "segments": [audience.pk]}},
)
send_campaign(campaign, actor=marketer)  # enqueues the scheduler's campaigns.due on commit
print(campaign.pk)
"""
STATE = """
import json
from clientela.campaigns.models import Campaign, CampaignRecipient
from django_tasks_db.models import DBTaskResult
campaign = Campaign.objects.get(name="Kill")
print(json.dumps({
    "recipients": CampaignRecipient.objects.filter(campaign=campaign).count(),
    "snapshot": campaign.snapshot_at is not None,
    "state": campaign.state,
    "running": [r.args_kwargs["args"] for r in DBTaskResult.objects.filter(status="RUNNING")],
}))
"""
# What the scheduler does every minute: enqueue the campaigns' step.
AGAIN = """
from clientela.core.tasks import run_scheduled
run_scheduled.enqueue("campaigns.due")
"""


Probe = tuple[Callable[[], bool], Callable[[], None]]


def _postgres_probe(url: str) -> Probe:
    """Return a check: is the snapshot's transaction writing rows that nobody else sees yet?"""
    import psycopg

    connection = psycopg.connect(url, autocommit=True)

    def writing() -> bool:
        row = connection.execute(
            """
            SELECT
              (SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE c.relname = 'campaigns_campaignrecipient' AND l.mode = 'RowExclusiveLock'
                  AND l.granted AND l.pid <> pg_backend_pid()),
              pg_relation_size('campaigns_campaignrecipient'),
              (SELECT count(*) FROM campaigns_campaignrecipient)
            """
        ).fetchone()
        assert row is not None
        locks, heap_bytes, visible = row
        return bool(locks > 0 and heap_bytes > TWO_BATCHES_BYTES and visible == 0)

    return writing, connection.close


def _sqlite_probe(path: Path) -> Probe:
    """Return a check: has the worker claimed campaigns.due and opened its write transaction?"""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)

    def writing() -> bool:
        running = [
            json.loads(raw)["args"]
            for (raw,) in connection.execute(
                "SELECT args_kwargs FROM django_tasks_database_dbtaskresult WHERE status = ?",
                ("RUNNING",),
            )
        ]
        if ["campaigns.due"] not in running:
            return False
        (visible,) = connection.execute(
            "SELECT count(*) FROM campaigns_campaignrecipient"
        ).fetchone()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            return "locked" in str(error) and visible == 0
        connection.execute("ROLLBACK")
        return False

    return writing, connection.close


def test_a_worker_killed_inside_the_snapshot_leaves_none_and_the_next_sends_once(tmp_path, db):
    with running_smtp_server() as smtp:
        settings = {
            **smtp_env(smtp.host, smtp.port),
            "CLIENTELA_CAMPAIGN_BATCH": str(BATCH),
            "CLIENTELA_LOG_LEVEL": "INFO",
        }
        log = tmp_path / "worker.log"
        with process_site(tmp_path, settings) as site:

            def state() -> dict[str, object]:
                return dict(json.loads(site.shell(STATE)))

            site.shell(SEED)
            url = site.env.get("CLIENTELA_DATABASE_URL", "")
            writing, close_probe = (
                _postgres_probe(url) if url else _sqlite_probe(tmp_path / "clientela.sqlite3")
            )
            worker = site.start("worker", log=log)
            try:
                deadline = time.monotonic() + 300
                caught = False
                while worker.poll() is None and time.monotonic() < deadline:
                    if writing():
                        worker.send_signal(signal.SIGKILL)
                        caught = True
                        break
                    time.sleep(0.003)
            finally:
                if worker.poll() is None:
                    worker.kill()
                worker.wait(timeout=60)
                close_probe()
            assert caught, log.read_text(errors="replace")
            assert smtp.messages == []
            killed = state()
            # The next run of the scheduler's step, in a second worker.
            site.shell(AGAIN)
            site.run("worker", "--batch")
            after = state()
        received = Counter(m.recipients[0] for m in smtp.messages)

    # The killed transaction left nothing: no recipient, no snapshot, the campaign still sending
    # (its task was running when the process died).
    assert killed == {
        "recipients": 0,
        "snapshot": False,
        "state": "sending",
        "running": [["campaigns.due"]],
    }
    assert after["recipients"] == RECIPIENTS and after["snapshot"] is True
    assert set(received) == {f"persona{i}@example.co" for i in range(RECIPIENTS)}
    assert set(received.values()) == {1}
