"""Bounces and complaints: DSNs and ARF reports from the bounce address, and provider webhooks.

A delivery status notification comes back to the message's VERP address
(`bounce+<token>@<MAIL_BOUNCE_DOMAIN>`), over the SMTP receiver (`clientela bounce_receiver`)
or from a mailbox the worker reads (`clientela read_bounces`). `flufl.bounce` finds the failed
addresses and whether the failure is permanent; an ARF feedback report (RFC 5965) is a spam
complaint, matched by the token of its recipient address or the Message-ID of the message it
quotes. Hard bounce: the address is suppressed. Soft bounce: suppressed after
MAIL_SOFT_BOUNCE_LIMIT of them. Complaint: unsubscribed from marketing and suppressed.
`django-anymail` webhooks (bounced, complained, unsubscribed) land on the same functions.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message as MimeMessage

from django.db import IntegrityError, transaction
from flufl.bounce import all_failures

from clientela.core.events import Via
from clientela.delivery.choices import MailOpsVerb, MessageEventKind, SuppressionReason
from clientela.delivery.links import conf, parse_address
from clientela.delivery.models import Message, MessageEvent, Suppression
from clientela.delivery.services import event_data
from clientela.delivery.services.suppression import suppress
from clientela.delivery.services.unsubscribe import unsubscribe
from clientela.timeline.services import record_event

log = logging.getLogger("clientela.delivery.bounces")
MAX_DETAIL = 500


@dataclass
class InboundResult:
    """What one inbound message turned out to be."""

    hard: list[str] = field(default_factory=list)
    soft: list[str] = field(default_factory=list)
    complaints: int = 0
    unsubscribes: int = 0
    ignored: bool = False
    repeated: bool = False


def report_key(*parts: str | bytes) -> str:
    """Return the digest that names one report (its Message-ID, a provider's event id, …)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "replace") if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _seen(report: str) -> bool:
    return bool(report) and MessageEvent.objects.filter(report=report).exists()


def soft_bounce_limit() -> int:
    """Return how many soft bounces suppress an address (MAIL_SOFT_BOUNCE_LIMIT)."""
    return max(1, int(conf("MAIL_SOFT_BOUNCE_LIMIT", 3)))


def record_bounce(
    message: Message, *, hard: bool, detail: str, via: str = Via.SYSTEM, report: str = ""
) -> bool:
    """Record a bounce of `message`: its event, the timeline, and the suppression it earns.

    `report` names the report (`report_key`); one already recorded is not recorded again and
    the answer is False.
    """
    if _seen(report):
        return False
    try:
        _record_bounce(message, hard=hard, detail=detail, via=via, report=report)
    except IntegrityError:
        if not _seen(report):
            raise
        return False  # the same report, recorded at the same moment by another reader
    return True


def _record_bounce(message: Message, *, hard: bool, detail: str, via: str, report: str) -> None:
    kind = MessageEventKind.BOUNCE_HARD if hard else MessageEventKind.BOUNCE_SOFT
    address = message.to_address.strip().lower()
    with transaction.atomic():
        MessageEvent.objects.create(
            message=message, kind=kind, detail=detail[:MAX_DETAIL], posted=True, report=report
        )
        record_event(
            MailOpsVerb.BOUNCED,
            actor=None,
            target=message,
            via=via,
            data=event_data(message, hard=hard, reason=detail[:MAX_DETAIL]),
            contact_id=message.contact_id,
        )
        if hard:
            suppress(
                address,
                reason=SuppressionReason.HARD_BOUNCE,
                actor=None,
                detail=detail,
                message=message,
                via=via,
            )
            return
        softs = MessageEvent.objects.filter(
            kind=MessageEventKind.BOUNCE_SOFT, message__to_address=message.to_address
        ).count()
        if softs >= soft_bounce_limit():
            suppress(
                address,
                reason=SuppressionReason.SOFT_BOUNCE,
                actor=None,
                detail=detail,
                message=message,
                via=via,
            )


def record_complaint(
    message: Message, *, detail: str, via: str = Via.SYSTEM, report: str = ""
) -> bool:
    """Record a spam complaint: its event, the unsubscribe it means and the suppression.

    A report already recorded (`report`, as in `record_bounce`) is not; the answer is False.
    """
    if _seen(report):
        return False
    try:
        _record_complaint(message, detail=detail, via=via, report=report)
    except IntegrityError:
        if not _seen(report):
            raise
        return False
    return True


def _record_complaint(message: Message, *, detail: str, via: str, report: str) -> None:
    with transaction.atomic():
        MessageEvent.objects.create(
            message=message,
            kind=MessageEventKind.COMPLAINT,
            detail=detail[:MAX_DETAIL],
            posted=True,
            report=report,
        )
        record_event(
            MailOpsVerb.COMPLAINED,
            actor=None,
            target=message,
            via=via,
            data=event_data(message, reason=detail[:MAX_DETAIL]),
            contact_id=message.contact_id,
        )
        unsubscribe(message, how="complaint")
        suppress(
            message.to_address,
            reason=SuppressionReason.COMPLAINT,
            actor=None,
            detail=detail,
            message=message,
            via=via,
        )


def suppress_address(email_address: str, *, reason: str, detail: str) -> Suppression | None:
    """Suppress an address a provider reported without a message we know (None if invalid)."""
    try:
        return suppress(email_address, reason=reason, actor=None, detail=detail)
    except Exception:  # an address the provider sent that we cannot read: nothing to keep
        log.warning("delivery: cannot suppress %r reported by a provider", email_address[:100])
        return None


def _is_feedback_report(parsed: MimeMessage) -> bool:
    return parsed.get_content_type() == "multipart/report" and (
        str(parsed.get_param("report-type") or "").lower() == "feedback-report"
    )


def _quoted_message(parsed: MimeMessage) -> Message | None:
    """Return our message quoted in a report (its Message-ID or VERP Return-Path)."""
    for part in parsed.walk():
        if part.get_content_type() not in ("message/rfc822", "text/rfc822-headers"):
            continue
        payload = part.get_payload()
        inner: MimeMessage
        if isinstance(payload, list) and payload and isinstance(payload[0], MimeMessage):
            inner = payload[0]
        else:
            inner = email.message_from_string(str(part.get_payload(decode=False) or ""))
        for header in ("Return-Path", "List-Unsubscribe"):
            for value in str(inner.get(header, "")).replace(",", " ").split():
                found = parse_address(value.strip("<>").removeprefix("mailto:"))
                if found is not None:
                    message = Message.objects.filter(token=found[1]).first()
                    if message is not None:
                        return message
        message_id = str(inner.get("Message-ID", "")).strip()
        if message_id:
            message = Message.objects.filter(message_id=message_id).first()
            if message is not None:
                return message
    return None


def _addresses(found: Iterable[bytes | str]) -> list[str]:
    return sorted(
        (item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)).lower()
        for item in found
    )


def process_inbound(raw: bytes, recipients: Sequence[str]) -> InboundResult:
    """Handle one message that arrived at a bounce or unsubscribe address; say what it was."""
    result = InboundResult()
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    # A report keeps its Message-ID when a mail server sends it again; without one, its bytes.
    own_id = str(parsed.get("Message-ID", "")).strip()
    report = report_key("inbound", own_id) if own_id else report_key("inbound-bytes", raw)
    targets = [found for address in recipients if (found := parse_address(address))]
    if not targets:
        for header in ("Delivered-To", "X-Original-To", "To"):
            for value in str(parsed.get(header, "")).replace(",", " ").split():
                found = parse_address(value.strip("<>"))
                if found is not None:
                    targets.append(found)
    messages = {
        token: Message.objects.filter(token=token).select_related("contact").first()
        for _what, token in targets
    }
    for what, token in targets:
        message = messages.get(token)
        if message is None:
            continue
        if what == "unsubscribe":
            result.unsubscribes += int(unsubscribe(message, how="mailto"))
    bounce_messages = [messages.get(token) for what, token in targets if what == "bounce"]
    bounced = next((m for m in bounce_messages if m is not None), None)
    if _is_feedback_report(parsed):
        complained = bounced or _quoted_message(parsed)
        if complained is not None:
            subject = str(parsed.get("Subject", "abuse report"))
            if record_complaint(complained, detail=subject, report=report):
                result.complaints += 1
            else:
                result.repeated = True
        else:
            result.ignored = True
        return result
    if bounced is None:
        result.ignored = not result.unsubscribes
        return result
    temporary, permanent = all_failures(parsed)
    result.hard = _addresses(permanent)
    result.soft = _addresses(temporary)
    detail = str(parsed.get("Subject", "")) or "delivery status notification"
    if result.hard or result.soft:
        hard = bool(result.hard)
        failed = ", ".join(result.hard if hard else result.soft)
        recorded = record_bounce(bounced, hard=hard, detail=f"{detail}: {failed}", report=report)
        result.repeated = not recorded
    else:
        result.ignored = True
    return result
