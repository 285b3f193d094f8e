"""Real DSNs (RFC 3464) and ARF complaints (RFC 5965) delivered over SMTP to the bounce
receiver, matched by the VERP token; hard bounce, soft bounces, complaint, mailto unsubscribe."""

from __future__ import annotations

import smtplib
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from django.db import connections

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent
from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery.choices import MailOpsVerb, MessageEventKind, MessageState
from clientela.delivery.models import MessageEvent, Suppression
from clientela.delivery.receiver import BounceHandler
from clientela.delivery.services import queue_email
from clientela.delivery.services.sending import send_due
from clientela.delivery.tests.factories import MessageFactory
from clientela.testing.processes import free_port
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def receiver():
    port = free_port()
    controller = Controller(BounceHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
        connections.close_all()


def deliver(port, to, raw, mail_from=""):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(mail_from, [to], raw)


def dsn(message, *, status="5.1.1", action="failed", diagnostic="550 5.1.1 user unknown", number=1):
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: bounce+{message.token}@rebotes.example.co
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.{number}.{message.token[:8]}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

This is the mail system at host mx.example.net. Your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {message.to_address}
Original-Recipient: rfc822; {message.to_address}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--BOUNDARY
Content-Type: text/rfc822-headers

Message-ID: {message.message_id}
Subject: {message.subject}

--BOUNDARY--
""".replace("\n", "\r\n").encode()


def arf(message):
    return f"""\
From: Feedback Loop <fbl@isp.example.net>
To: abuse@example.co
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

This is an e-mail abuse report for an e-mail message received from IP 192.0.2.1.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <bounce+{message.token}@rebotes.example.co>
Original-Rcpt-To: <{message.to_address}>
Arrival-Date: Thu, 8 Mar 2026 14:00:00 EDT

--ARF
Content-Type: message/rfc822

From: Clientela <no-reply@example.co>
To: {message.to_address}
Subject: {message.subject}
Message-ID: {message.message_id}
Date: Thu, 8 Mar 2026 13:59:00 EDT

Hola
--ARF--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def sent_message(marketing_kind):
    contact = ContactFactory.create(email="ana@example.co")
    Consent.objects.create(
        contact=contact, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING,
        status=ConsentStatus.GRANTED, source="form",
    )  # fmt: skip
    return MessageFactory.create(
        kind=marketing_kind, contact=contact, to_address="ana@example.co",
        state=MessageState.SENT,
    )  # fmt: skip


def test_a_hard_bounce_dsn_suppresses_the_address(sent_message, smtp_server):
    with receiver() as port:
        deliver(port, f"bounce+{sent_message.token}@rebotes.example.co", dsn(sent_message))
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("ana@example.co", "hard_bounce")
    assert MessageEvent.objects.get().kind == MessageEventKind.BOUNCE_HARD
    assert Event.objects.filter(
        verb=MailOpsVerb.BOUNCED, contact_id=sent_message.contact_id
    ).exists()
    # Nothing is sent to the address again, a test message included.
    queue_email(to="ana@example.co", subject="Prueba", html="<p>x</p>", kind="delivery.test")
    assert send_due(owner="t")["failed"] == 1
    assert smtp_server.messages == []


def test_soft_bounces_suppress_after_the_limit(sent_message, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "MAIL_SOFT_BOUNCE_LIMIT": 2}
    with receiver() as port:
        to = f"bounce+{sent_message.token}@rebotes.example.co"
        full = {"status": "4.2.2", "action": "delayed", "diagnostic": "452 4.2.2 mailbox full"}
        first, second = (dsn(sent_message, **full, number=number) for number in (1, 2))
        deliver(port, to, first)
        deliver(port, to, first)  # the same report sent again by its server counts once
        assert not Suppression.objects.exists()
        deliver(port, to, second)
    assert Suppression.objects.get().reason == "soft_bounce"
    assert MessageEvent.objects.filter(kind=MessageEventKind.BOUNCE_SOFT).count() == 2


def test_an_arf_complaint_unsubscribes_and_suppresses(sent_message):
    with receiver() as port:
        # Sent to a feedback-loop address without a token: matched by the quoted message.
        deliver(port, f"bounce+{sent_message.token}@rebotes.example.co", arf(sent_message))
    assert Suppression.objects.get().reason == "complaint"
    latest = Consent.objects.filter(contact=sent_message.contact).order_by("-recorded_at", "-id")[0]
    assert latest.status == ConsentStatus.WITHDRAWN
    kinds = set(MessageEvent.objects.values_list("kind", flat=True))
    assert kinds == {MessageEventKind.COMPLAINT, MessageEventKind.UNSUBSCRIBE}


def test_a_complaint_is_matched_by_the_quoted_message_id_too(sent_message):
    from clientela.delivery.services.bounces import process_inbound

    raw = arf(sent_message).replace(f"bounce+{sent_message.token}".encode(), b"someone")
    result = process_inbound(raw, ["fbl@example.co"])
    assert result.complaints == 1
    assert Suppression.objects.get().reason == "complaint"


def test_a_mail_to_the_unsubscribe_address_unsubscribes(sent_message):
    with receiver() as port:
        deliver(
            port,
            f"unsubscribe+{sent_message.token}@rebotes.example.co",
            b"Subject: unsubscribe\r\n\r\n",
            mail_from="ana@example.co",
        )
    assert Suppression.objects.get().reason == "unsubscribed"


def test_the_receiver_refuses_other_addresses_and_unknown_tokens_change_nothing(sent_message):
    with receiver() as port:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            deliver(port, "postmaster@rebotes.example.co", b"Subject: x\r\n\r\nx")
        deliver(port, f"bounce+{'0' * 40}@rebotes.example.co", dsn(sent_message))
    assert not Suppression.objects.exists()
