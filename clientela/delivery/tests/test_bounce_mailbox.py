"""Bounces and complaints read from a mailbox by the worker, over real IMAP4rev1 and POP3.

Clientela sends two marketing e-mails through a real SMTP server (aiosmtpd); a remote MTA's
hard-bounce DSN for one and an ISP's ARF complaint about the other wait in a mailbox served by
a local IMAP or POP3 server (`clientela.testing.mailbox`, plain TCP on loopback). The
scheduler's `delivery.read_bounce_mailbox` job, run by the real database worker, reads them:
the bounced address is suppressed, the complaining contact unsubscribed in the consent ledger,
both messages are deleted from the mailbox and a second read finds nothing. A mailbox that
refuses the login or cannot be reached is logged clearly (without its password) and the
worker goes on with its next task.
"""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent, Contact
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.scheduling import REGISTRY
from clientela.core.tasks import run_scheduled
from clientela.delivery.choices import MailOpsVerb, MessageEventKind
from clientela.delivery.models import Message, MessageEvent, Suppression
from clientela.delivery.services import SEND_SCHEDULE, queue_email
from clientela.delivery.services.mailbox import (
    BOUNCE_MAILBOX_SCHEDULE,
    read_configured_mailbox,
    read_mailbox,
)
from clientela.delivery.services.sending import send_due
from clientela.delivery.tests.factories import bounce_report, complaint_report
from clientela.testing.mailbox import running_mail_server
from clientela.testing.processes import free_port
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

ANA, BRUNO = "ana@example.co", "bruno@example.co"
IMAP_VERBS = ["CAPABILITY", "LOGIN", "SELECT", "SEARCH", "FETCH", "STORE", "EXPUNGE", "LOGOUT"]
POP_VERBS = ["USER", "PASS", "STAT", "RETR", "DELE", "QUIT"]


def _consenting(name: str, address: str) -> Contact:
    contact = ContactFactory.create(first_name=name, email=address)
    Consent.objects.create(
        contact=contact, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING,
        status=ConsentStatus.GRANTED, source="form",
    )  # fmt: skip
    return contact


def _marketing_status(address: str) -> str:
    latest = Consent.objects.filter(
        contact__email=address, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING
    ).order_by("-recorded_at", "-id")[0]
    return str(latest.status)


@pytest.fixture
def returned_mail(mail_settings, marketing_kind, smtp_server):
    """A DSN for the newsletter sent to Ana and an ARF complaint about Bruno's, as received."""
    for name, address in (("Ana", ANA), ("Bruno", BRUNO)):
        queue_email(
            to=address, subject="Novedades de diciembre", html="<p>Hola</p>",
            kind=marketing_kind, contact=_consenting(name, address), purpose="newsletter",
        )  # fmt: skip
    assert send_due(owner="test")["sent"] == 2
    sent = {m.recipients[0]: m for m in smtp_server.messages}
    assert sent[ANA].mail_from.startswith("bounce+")  # VERP: the DSN names its message
    return [
        bounce_report(sent[ANA].raw, return_path=sent[ANA].mail_from, recipient=ANA),
        complaint_report(sent[BRUNO].raw, return_path=sent[BRUNO].mail_from, recipient=BRUNO),
    ]


def _use_mailbox(settings, url: str) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "MAIL_BOUNCE_MAILBOX": url}


def _run_worker() -> None:
    """Run the real database worker until the queue is empty."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def _tasks() -> dict[str, set[str]]:
    """Return the statuses of the worker's scheduled runs, per schedule name."""
    found: dict[str, set[str]] = {}
    for task in DBTaskResult.objects.all():
        name = str((task.args_kwargs.get("args") or [""])[0])
        found.setdefault(name, set()).add(str(task.status))
    return found


def test_the_mailbox_is_read_every_few_minutes_by_the_scheduler():
    schedule = REGISTRY[BOUNCE_MAILBOX_SCHEDULE]
    assert schedule.func == "clientela.delivery.tasks.read_bounce_mailbox_job"
    assert schedule.every is not None and schedule.every.total_seconds() <= 10 * 60


@pytest.mark.django_db(transaction=True)  # the worker commits as it would in production
@pytest.mark.parametrize(("protocol", "verbs"), [("imap", IMAP_VERBS), ("pop3", POP_VERBS)])
def test_the_worker_reads_a_bounce_and_a_complaint_then_the_mailbox_is_empty(
    protocol, verbs, returned_mail, settings
):
    with running_mail_server(protocol, returned_mail) as server:
        _use_mailbox(settings, server.url())
        run_scheduled.enqueue(BOUNCE_MAILBOX_SCHEDULE)
        _run_worker()
        left = list(server.mailbox.messages)
        assert read_mailbox(server.url()) == 0  # a second read finds nothing (and no error)
        used = server.mailbox.verbs()

    tasks = _tasks()
    assert tasks[BOUNCE_MAILBOX_SCHEDULE] == {TaskResultStatus.SUCCESSFUL}
    assert left == []
    assert set(verbs) <= set(used)
    assert "s3creto" not in " ".join(server.mailbox.commands)
    assert dict(Suppression.objects.values_list("email", "reason")) == {
        ANA: "hard_bounce",
        BRUNO: "complaint",
    }
    assert _marketing_status(BRUNO) == ConsentStatus.WITHDRAWN  # the consent ledger
    assert _marketing_status(ANA) == ConsentStatus.GRANTED
    by_address = {
        address: set(
            MessageEvent.objects.filter(message__to_address=address).values_list("kind", flat=True)
        )
        for address in (ANA, BRUNO)
    }
    assert by_address[ANA] == {MessageEventKind.BOUNCE_HARD}
    assert by_address[BRUNO] == {MessageEventKind.COMPLAINT, MessageEventKind.UNSUBSCRIBE}
    ana = Contact.objects.get(email=ANA)
    assert Event.objects.filter(verb=MailOpsVerb.BOUNCED, contact_id=ana.pk).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_a_refused_login_is_logged_and_the_worker_goes_on(
    protocol, returned_mail, settings, smtp_server, caplog
):
    queue_email(to="carla@example.co", subject="Hola", html="<p>Hola</p>", kind="delivery.test")
    before = len(smtp_server.messages)
    with running_mail_server(protocol, returned_mail) as server:
        _use_mailbox(settings, server.url(password="equivocada"))
        run_scheduled.enqueue(BOUNCE_MAILBOX_SCHEDULE)
        run_scheduled.enqueue(SEND_SCHEDULE)  # the worker's next task
        with caplog.at_level(logging.ERROR, logger="clientela.delivery.mailbox"):
            _run_worker()
        kept = len(server.mailbox.messages)

    assert kept == 2  # nothing was read, nothing deleted
    assert not Suppression.objects.exists()
    tasks = _tasks()
    assert tasks[BOUNCE_MAILBOX_SCHEDULE] == tasks[SEND_SCHEDULE] == {TaskResultStatus.SUCCESSFUL}
    [record] = [r for r in caplog.records if r.name == "clientela.delivery.mailbox"]
    assert record.levelno == logging.ERROR
    assert f"{protocol}://rebotes@127.0.0.1:{server.port}" in record.getMessage()
    assert "refused the login" in record.getMessage()
    assert "equivocada" not in record.getMessage()
    # The next task ran: the queued message left.
    assert [m.recipients[0] for m in smtp_server.messages[before:]] == ["carla@example.co"]


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_an_unreachable_mailbox_is_logged_and_nothing_changes(protocol, settings, caplog):
    port = free_port()  # nobody listens there
    _use_mailbox(settings, f"{protocol}://rebotes:s3creto@127.0.0.1:{port}/INBOX")
    with caplog.at_level(logging.ERROR, logger="clientela.delivery.mailbox"):
        assert read_configured_mailbox() == 0
    [record] = [r for r in caplog.records if r.name == "clientela.delivery.mailbox"]
    assert f"cannot connect to the bounce mailbox {protocol}://rebotes@127.0.0.1:{port}" in (
        record.getMessage()
    )
    assert "s3creto" not in record.getMessage()


def test_without_a_mailbox_the_job_does_nothing(settings, caplog):
    _use_mailbox(settings, "")
    with caplog.at_level(logging.INFO, logger="clientela.delivery.mailbox"):
        assert read_configured_mailbox() == 0
    assert not [r for r in caplog.records if r.name == "clientela.delivery.mailbox"]


def test_the_command_reads_the_mailbox_once_and_says_what_failed(returned_mail):
    with running_mail_server("imap", returned_mail) as server:
        out = StringIO()
        call_command("read_bounces", mailbox=server.url(), stdout=out)
        assert out.getvalue().strip() == "processed 2 message(s)"
        assert server.mailbox.messages == []
        with pytest.raises(CommandError, match="refused the login"):
            call_command("read_bounces", mailbox=server.url(password="x"))
    with pytest.raises(CommandError, match=r"imap\(s\)://"):
        call_command("read_bounces", mailbox="http://example.co/")
    assert Message.objects.count() == 2


def test_reports_read_again_after_a_lost_pop3_quit_are_recorded_once(returned_mail):
    """A connection cut before QUIT keeps the messages on the server: the next run reads them
    again, processes them and deletes them, and nothing is recorded twice."""
    with running_mail_server("pop3", returned_mail) as server:
        server.mailbox.drop_next_quit = True
        assert read_mailbox(server.url()) == 2
        assert len(server.mailbox.messages) == 2  # the deletions were lost with the QUIT
        assert read_mailbox(server.url()) == 2
        assert server.mailbox.messages == []

    kinds = list(
        MessageEvent.objects.exclude(kind=MessageEventKind.UNSUBSCRIBE)
        .order_by("kind")
        .values_list("message__to_address", "kind")
    )
    assert kinds == [(ANA, MessageEventKind.BOUNCE_HARD), (BRUNO, MessageEventKind.COMPLAINT)]
    assert Event.objects.filter(verb=MailOpsVerb.BOUNCED).count() == 1
    assert Event.objects.filter(verb=MailOpsVerb.COMPLAINED).count() == 1
    assert Suppression.objects.count() == 2
