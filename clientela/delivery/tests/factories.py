"""Factories for outbound messages.

`MessageFactory` writes a message row straight to the table (no event, nobody woken): lists
and states for screens. `QueuedEmailFactory` queues an e-mail through `queue_email` as the
system (or `actor`) would: validated, with its Message-ID and its "queued" event.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

import factory

from clientela.delivery.choices import MessageState, SuppressionReason
from clientela.delivery.models import Message, Suppression
from clientela.delivery.services import queue_email


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """A message row (queued by default) to a numbered address."""

    class Meta:
        model = Message

    kind = "delivery.test"
    to_address = factory.Sequence(lambda n: f"persona{n}@example.co")
    from_address = "Clientela <no-reply@example.co>"
    subject = factory.Sequence(lambda n: f"Mensaje {n}")
    html_body = "<p>Hola</p>"
    text_body = "Hola\n"
    message_id = factory.LazyFunction(lambda: make_msgid(domain="example.co"))
    state = MessageState.QUEUED


class QueuedEmailFactory(factory.django.DjangoModelFactory[Message]):
    """An e-mail queued through the service (validated, on the audit log)."""

    class Meta:
        model = Message

    kind = "delivery.test"
    to = factory.Sequence(lambda n: f"cliente{n}@example.co")
    subject = "Bienvenida"
    html = "<p>Hola</p>"
    contact = None
    actor = None

    @classmethod
    def _create(cls, model_class: type[Message], *args: Any, **kwargs: Any) -> Message:
        return queue_email(**kwargs)


class SuppressionFactory(factory.django.DjangoModelFactory[Suppression]):
    """A suppressed address (a hard bounce by default)."""

    class Meta:
        model = Suppression

    email = factory.Sequence(lambda n: f"rebote{n}@example.co")
    reason = SuppressionReason.HARD_BOUNCE


MARKETING_KIND = "delivery.marketing_test"


def register_marketing_kind() -> str:
    """Register a marketing kind for tests (the campaigns app registers the real one)."""
    from clientela.delivery.kinds import register_kind

    register_kind(MARKETING_KIND, "Marketing test", marketing=True)
    return MARKETING_KIND


def bounce_report(sent: bytes, *, return_path: str, recipient: str) -> bytes:
    """Return the hard-bounce DSN (RFC 3464) a remote MTA sends back for mail Clientela sent.

    `sent` is the message as it left (what the SMTP server received), `return_path` its envelope
    sender (the VERP bounce address the DSN goes to), `recipient` the address that failed. The
    DSN arrives in a mailbox as delivered there: with the Delivered-To its server adds.
    """
    headers = sent.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return f"""\
Return-Path: <>
Delivered-To: {return_path}
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: {return_path}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 7 Dec 2026 10:00:00 +0000
Message-ID: <dsn.1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN-BOUNDARY"

--DSN-BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net. Your message could not be delivered
to one or more recipients.

<{recipient}>: host mx.example.net said: 550 5.1.1 <{recipient}>: user unknown

--DSN-BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 7 Dec 2026 09:59:58 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: user unknown

--DSN-BOUNDARY
Content-Type: text/rfc822-headers

{headers}

--DSN-BOUNDARY--
""".replace("\n", "\r\n").encode()


def complaint_report(sent: bytes, *, return_path: str, recipient: str) -> bytes:
    """Return the ARF spam complaint (RFC 5965) an ISP's feedback loop sends for mail we sent.

    It goes to the feedback-loop address (no token in it) and quotes the whole message as the
    ISP received it, Return-Path included: it is matched by what it quotes.
    """
    quoted = f"Return-Path: <{return_path}>\r\n".encode() + sent.replace(b"\r\n", b"\n").replace(
        b"\n", b"\r\n"
    )
    head = f"""\
Delivered-To: fbl@example.co
From: Feedback Loop <fbl@isp.example.net>
To: fbl@example.co
Subject: Abuse report
Date: Mon, 7 Dec 2026 10:05:00 +0000
Message-ID: <arf.1@isp.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF-BOUNDARY"

--ARF-BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is an e-mail abuse report for an e-mail message received from IP 192.0.2.1.

--ARF-BOUNDARY
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{return_path}>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Mon, 7 Dec 2026 10:00:00 +0000

--ARF-BOUNDARY
Content-Type: message/rfc822

""".replace("\n", "\r\n").encode()
    return head + quoted + b"\r\n--ARF-BOUNDARY--\r\n"
