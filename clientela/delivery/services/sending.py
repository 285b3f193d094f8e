"""The worker's path: claim due messages under a lease, send them, record each answer.

DESIGN rule 8. `claim_batch` moves due `queued` messages (and `sending` ones whose lease
expired: a killed worker's batch) to `sending` under a unique claim token, so two workers
never hold the same row: on PostgreSQL with one statement that locks the candidates with
`SELECT … FOR UPDATE SKIP LOCKED` (concurrent claimers skip each other's rows instead of
waiting), updates them and returns them; elsewhere with a guarded UPDATE. `send_batch` sends
them over one connection of Django's e-mail backend (SMTP connection reuse) and records each
message's outcome in its own small transaction right after its hand-off, so a worker killed
mid-batch re-sends at most the one message whose answer it had not recorded yet (logged when
the batch is reclaimed).

Temporary failures (SMTP 4xx, a refused or dropped connection, a timeout) go back to `queued`
with exponential backoff until DELIVERY_MAX_ATTEMPTS; permanent ones (5xx, a refused
recipient) fail with the server's reason. Sent and failed messages are on the contact's
timeline. A message's attachments are read from their table at each attempt (one query per
batch finds which messages have any), so a retry sends the same files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clientela.core.compiled import prepared_cursor
from clientela.core.events import Via
from clientela.delivery.choices import DeliveryVerb, MessageState
from clientela.delivery.kinds import KINDS
from clientela.delivery.mime import smtp_path, to_bytes
from clientela.delivery.models import Attachment, Message, MessageAttachment
from clientela.delivery.queries import refusal_reasons
from clientela.delivery.services import event_data, wake_worker
from clientela.delivery.services.outbound import outbound
from clientela.timeline.models import Event
from clientela.timeline.services import EventsAlike, notify_written, record_event

log = logging.getLogger("clientela.delivery")

MAX_BACKOFF = timedelta(hours=6)
# Stop a batch this long before its lease ends: the rest goes back to the queue unsent.
LEASE_MARGIN = timedelta(seconds=5)
# One run of send_due stops after this long and asks for another (the worker stays fair).
RUN_BUDGET_S = 240.0
# Set when a sending process is asked to stop (`clientela sender` on SIGTERM): each sending
# thread finishes the hand-off it is in, records its answer and puts the rest of its batch
# back in the queue, so a stop leaves no message waiting for its lease to run out.
STOPPING = threading.Event()


@dataclass(frozen=True)
class DeliverySettings:
    """The worker's knobs (CLIENTELA_DELIVERY_* environment variables)."""

    batch: int
    max_attempts: int
    lease: timedelta
    retry: timedelta
    threads: int = 1


def delivery_settings() -> DeliverySettings:
    """Return the delivery settings in force."""
    conf: dict[str, Any] = settings.CLIENTELA
    return DeliverySettings(
        batch=max(1, int(conf.get("DELIVERY_BATCH", 100))),
        max_attempts=max(1, int(conf.get("DELIVERY_MAX_ATTEMPTS", 8))),
        lease=timedelta(seconds=max(10, int(conf.get("DELIVERY_LEASE_SECONDS", 300)))),
        retry=timedelta(seconds=max(1, int(conf.get("DELIVERY_RETRY_SECONDS", 60)))),
        threads=min(16, max(1, int(conf.get("DELIVERY_THREADS", 4)))),
    )


def worker_name() -> str:
    """Return a name for this worker: host, process and thread."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def backoff(attempts: int, base: timedelta) -> timedelta:
    """Return the wait before attempt `attempts + 1`: base, 2×, 4×, … capped at six hours."""
    wait: timedelta = base * (2 ** max(0, attempts - 1))
    return min(wait, MAX_BACKOFF)


def is_permanent(code: int | None) -> bool:
    """Whether an SMTP reply code means "do not try again" (5xx); no code is a network error."""
    return code is not None and 500 <= code < 600


def claim_batch(owner: str, size: int, lease: timedelta) -> list[Message]:
    """Claim up to `size` due messages for `owner` for `lease`; return them in `sending`.

    Messages in `sending` whose lease expired come first (their worker died): each may have
    been handed to the server already, so claiming it again risks one duplicate, logged here.
    """
    now = timezone.now()
    token = f"{owner[:80]}/{secrets.token_hex(6)}"
    if db_connection.vendor == "postgresql":
        batch, reclaimed = _claim_postgresql(token, size, now, lease)
    else:
        batch, reclaimed = _claim_guarded(token, size, now, lease)
    again = [message.pk for message in batch if message.pk in reclaimed]
    if again:
        log.warning(
            "delivery: reclaimed %d message(s) whose lease expired (ids %s, from %s); each may "
            "be delivered twice if its worker had handed it over before dying",
            len(again),
            again,
            sorted({reclaimed[pk] for pk in again}),
        )
    return batch


def _claim_guarded(
    token: str, size: int, now: datetime, lease: timedelta
) -> tuple[list[Message], dict[int, str]]:
    """Claim on a database without row locks (SQLite): pick, then a guarded UPDATE."""
    expired = Q(state=MessageState.SENDING, leased_until__lt=now)
    due = Q(state=MessageState.QUEUED, next_attempt_at__lte=now)
    reclaimed: dict[int, str] = {}
    candidates_ids: list[int] = []
    with transaction.atomic():
        claimed = 0
        for condition, order in (
            (expired, ("leased_until", "id")),
            (due, ("next_attempt_at", "id")),
        ):
            if claimed >= size:
                break
            candidates = Message.objects.filter(condition).order_by(*order)
            if db_connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            picked = list(candidates.values_list("id", "lease_owner")[: size - claimed])
            if not picked:
                continue
            candidates_ids.extend(pk for pk, _ in picked)
            # Guarded: the condition is checked again by the UPDATE itself, so a row another
            # claimer took in between (SQLite has no row locks) is not taken twice.
            claimed += Message.objects.filter(condition, pk__in=[pk for pk, _ in picked]).update(
                state=MessageState.SENDING,
                lease_owner=token,
                leased_until=now + lease,
                attempts=F("attempts") + 1,
            )
            if condition is expired:
                reclaimed.update(dict(picked))
    # Read back by primary key (lease_owner has no index): the token says which were ours.
    batch = list(
        Message.objects.filter(
            pk__in=candidates_ids, lease_owner=token, state=MessageState.SENDING
        ).order_by("id")
    )
    return batch, reclaimed


def _claim_postgresql(
    token: str, size: int, now: datetime, lease: timedelta
) -> tuple[list[Message], dict[int, str]]:
    """Claim on PostgreSQL: one statement per kind of candidate, the rows returned by it.

    Expired leases first, then due messages, each `UPDATE … FROM (SELECT … FOR UPDATE SKIP
    LOCKED LIMIT n) RETURNING` — pick, lock, take and read back in one round trip and one
    implicit transaction, where the ORM's claim took five (BEGIN, the locking SELECT, the
    UPDATE, COMMIT, the read-back). The locking SELECT is a materialised CTE, so its LIMIT is
    applied once; its row locks are taken on each row's latest version with the condition
    checked again there (PostgreSQL's re-check of a row changed since the statement began),
    and held until the UPDATE commits, so the UPDATE finds its rows by primary key alone
    (repeating the condition there led the planner to join by it: 24 ms instead of 8 for 100
    of 3,000 rows). Concurrent claimers skip each other's locked rows instead of waiting.
    """
    reclaimed: dict[int, str] = {}
    batch: list[Message] = []
    for lapsed in (True, False):
        if len(batch) >= size:
            break
        condition_params: list[Any] = (
            [MessageState.SENDING, now] if lapsed else [MessageState.QUEUED, now]
        )
        params = [*condition_params, size - len(batch), MessageState.SENDING, token, now + lease]
        claimed = list(Message.objects.raw(_claim_sql(lapsed), params))
        for message in claimed:
            if lapsed:
                reclaimed[message.pk] = str(getattr(message, "previous_owner", ""))
        batch.extend(claimed)
    batch.sort(key=lambda message: message.pk)
    return batch, reclaimed


@lru_cache(maxsize=2)
def _claim_sql(lapsed: bool) -> str:
    """Return `_claim_postgresql`'s statement for expired leases (`lapsed`) or due messages."""
    quote = db_connection.ops.quote_name
    table = quote(Message._meta.db_table)
    condition = (
        "state = %s AND leased_until < %s" if lapsed else "state = %s AND next_attempt_at <= %s"
    )
    order = "leased_until, id" if lapsed else "next_attempt_at, id"
    columns = ", ".join(f"m.{quote(f.column)}" for f in Message._meta.concrete_fields)
    return (
        f"WITH picked AS MATERIALIZED (SELECT id, lease_owner FROM {table} "  # noqa: S608
        f"WHERE {condition} ORDER BY {order} LIMIT %s "
        "FOR UPDATE SKIP LOCKED) "
        f"UPDATE {table} AS m SET state = %s, lease_owner = %s, leased_until = %s, "
        "attempts = m.attempts + 1 FROM picked "
        "WHERE m.id = picked.id "
        f"RETURNING {columns}, picked.lease_owner AS previous_owner"
    )


@dataclass
class BatchResult:
    """What one batch (or one run) did."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        """Add another batch's counts to this one."""
        self.sent += other.sent
        self.failed += other.failed
        self.deferred += other.deferred
        self.released += other.released
        self.errors.extend(other.errors[:10])

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a dict (the task's result)."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "released": self.released,
        }


def build_email(
    message: Message,
    connection: BaseEmailBackend | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMultiAlternatives:
    """Return the e-mail of `message`: text part, HTML alternative, Message-ID, stored headers.

    `services.outbound` adds the per-message mechanics: the VERP envelope sender and, for
    marketing kinds, the unsubscribe headers, Feedback-ID and tracked links. `attachments`
    (`stored_attachments(message)` when sending) are attached after the body.
    """
    extra = outbound(message)
    headers = {"Content-Language": message.language, **(message.headers or {}), **extra.headers}
    headers["Message-ID"] = message.message_id
    if extra.envelope_from:
        # The envelope sender (Return-Path) is the bounce address; the From: header stays.
        headers["From"] = message.from_address
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text_body,
        from_email=extra.envelope_from or message.from_address,
        to=[message.to_address],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
        connection=connection,
    )
    if extra.html:
        email.attach_alternative(extra.html, "text/html")
    for attachment in attachments:
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    # django-anymail sends this to providers, whose webhooks echo it back (bounces, complaints).
    email.metadata = {"clientela_token": message.token}  # type: ignore[attr-defined]
    return email


def stored_attachments(message: Message) -> list[Attachment]:
    """Return the files stored with `message`, in the order they were given."""
    rows = MessageAttachment.objects.filter(message=message).order_by("id")
    return [
        Attachment(filename=row.filename, content=bytes(row.content), mimetype=row.mimetype)
        for row in rows.only("filename", "content", "mimetype")
    ]


def with_attachments(messages: Sequence[Message]) -> set[int]:
    """Return the ids of the messages among `messages` that have attachments (one query)."""
    ids = [message.pk for message in messages]
    return set(
        MessageAttachment.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    )


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _capture_data_replies(backend: BaseEmailBackend) -> list[tuple[int, str]] | None:
    """Record the server's answer to each DATA (smtplib drops it); None for other backends.

    The connection's `data` is wrapped once; each hand-off empties the same list of replies.
    """
    smtp = getattr(backend, "connection", None)
    if not isinstance(smtp, smtplib.SMTP):
        return None
    known: list[tuple[int, str]] | None = getattr(smtp, "clientela_replies", None)
    if known is not None:
        known.clear()
        return known
    replies: list[tuple[int, str]] = []
    original: Callable[[Any], tuple[int, bytes]] = smtp.data

    def data(msg: Any) -> tuple[int, bytes]:
        code, answer = original(msg)
        replies.append((code, _text(answer)))
        return code, answer

    setattr(smtp, "data", data)  # noqa: B010 - an instance attribute shadows the method
    setattr(smtp, "clientela_replies", replies)  # noqa: B010
    return replies


@dataclass(frozen=True)
class Outcome:
    """What happened to one hand-off: sent, or failed with an SMTP code (None: network)."""

    sent: bool
    code: int | None
    answer: str
    # A failure no retry can cure though the server said nothing (a message we cannot build).
    permanent: bool = False


def _sendmail(
    smtp: smtplib.SMTP, sender: str, recipients: list[str], payload: bytes
) -> tuple[int, bytes]:
    """`smtplib.SMTP.sendmail` for addresses already quoted (`mime.smtp_path`); the DATA answer.

    The same commands, options and errors as smtplib's (MAIL FROM with the size when the
    server announces SIZE, one RCPT TO per recipient, DATA), without its `quoteaddr`, which
    parses each address again with the email package (≈ a tenth of a message's CPU time), and
    with `_data` for its DATA.
    """
    smtp.ehlo_or_helo_if_needed()
    options = f" size={len(payload)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{sender}{options}")
    code, answer = smtp.getreply()
    if code != 250:
        _reset_after(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        smtp.putcmd("rcpt", f"TO:{recipient}")
        code, answer = smtp.getreply()
        if code not in (250, 251):
            refused[recipient] = (code, answer)
            if code == 421:
                smtp.close()
                raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _rset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, answer = _data(smtp, payload)
    if code != 250:
        _reset_after(smtp, code)
        raise smtplib.SMTPDataError(code, answer)
    return code, answer


def _data(smtp: smtplib.SMTP, payload: bytes) -> tuple[int, bytes]:
    """`smtplib.SMTP.data` for bytes: DATA, the message dot-stuffed, its end; the answer.

    smtplib doubles the dot that starts a line (the message's start, or after a line feed) with
    a regular expression over the whole message; `bytes.replace` does the same in C.
    """
    smtp.putcmd("data")
    code, answer = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, answer)
    stuffed = payload.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    smtp.send(stuffed + b".\r\n")
    return smtp.getreply()


def _reset_after(smtp: smtplib.SMTP, code: int) -> None:
    """Close the connection on 421 (the server is going away), else reset the transaction."""
    if code == 421:
        smtp.close()
    else:
        _rset(smtp)


def _rset(smtp: smtplib.SMTP) -> None:
    """RSET, a server that has gone away meanwhile ignored (smtplib's private `_rset`)."""
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def _hand_over(backend: BaseEmailBackend, message: Message, *, attached: bool = False) -> Outcome:
    """Send one message over the open connection and return the server's verdict.

    `attached`: the message has attachments, read now (not for the whole batch at once:
    a batch of messages with large files would all sit in memory together).
    """
    files = stored_attachments(message) if attached else []
    try:
        email = build_email(message, backend, files)
        smtp = getattr(backend, "connection", None)
        direct = type(backend) is SMTPBackend and isinstance(smtp, smtplib.SMTP)
        payload = to_bytes(email) if direct else None
        if payload is not None and isinstance(smtp, smtplib.SMTP):
            # The usual message over Django's SMTP backend: the same bytes, made directly.
            recipients = [smtp_path(address) for address in email.recipients()]
            code, reply = _sendmail(smtp, smtp_path(email.from_email), recipients, payload)
            return Outcome(True, code, _text(reply))
        replies = _capture_data_replies(backend)
        count = backend.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        refused: tuple[int, bytes] = next(iter(exc.recipients.values()), (550, b"refused"))
        return Outcome(False, int(refused[0]), _text(refused[1]))
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, int(exc.smtp_code), _text(exc.smtp_error))
    except (smtplib.SMTPException, OSError) as exc:
        # Dropped connection, timeout, reset: nothing was accepted; try again later.
        return Outcome(False, None, f"{exc.__class__.__name__}: {exc}")
    except Exception as exc:
        # The stored message cannot be built (a header Django refuses): no retry cures that.
        log.exception("delivery: message %s cannot be built", message.pk)
        return Outcome(False, None, f"{exc.__class__.__name__}: {exc}", permanent=True)
    if not count:
        return Outcome(False, None, "the e-mail backend sent nothing")
    if replies:
        code, answer = replies[-1]
        return Outcome(True, code, answer)
    return Outcome(True, None, f"accepted by {backend.__class__.__name__}")


@dataclass
class Answers:
    """A batch's sent answers on PostgreSQL: the events written, and one prepared cursor."""

    written: list[Event] = field(default_factory=list)
    cursor: Any = None
    # The batch's "sent" events: what is the same for all of them is prepared once.
    events: EventsAlike | None = None

    def sent_events(self) -> EventsAlike:
        """Return the builder of this batch's "sent" events (made at the first answer)."""
        if self.events is None:
            self.events = EventsAlike(
                DeliveryVerb.SENT,
                model=Message,
                source="done",
                vendor_connection=db_connection,
                via=Via.SYSTEM,
            )
        return self.events

    def execute(self, sql: str, params: Sequence[Any]) -> Any:
        """Run one answer's statement; return its row."""
        if self.cursor is None:
            # The same statement for every message: prepared once per connection, then only
            # executed (the server parses and plans it once; values are bound, never quoted in).
            self.cursor = prepared_cursor(db_connection)
        self.cursor.execute(sql, params)
        return self.cursor.fetchone()

    def close(self) -> None:
        """Close the cursor (the batch is over)."""
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None


def _finish(
    message: Message,
    outcome: Outcome,
    conf: DeliverySettings,
    answers: Answers | None = None,
) -> str:
    """Record one outcome (its own transaction); return "sent", "failed" or "deferred".

    `answers`: on PostgreSQL a sent message's answer and event go in one statement and its
    event is added to `answers.written`; the caller tells the timeline's listeners once per
    batch.
    """
    if outcome.sent and answers is not None and db_connection.vendor == "postgresql":
        return _finish_sent(message, outcome, answers)
    now = timezone.now()
    final = outcome.permanent or is_permanent(outcome.code)
    mine = Message.objects.filter(
        pk=message.pk, lease_owner=message.lease_owner, state=MessageState.SENDING
    )
    common: dict[str, Any] = {
        # A rendered message keeps the subject and sender it went out with (not its body).
        "subject": message.subject,
        "from_address": message.from_address,
        "smtp_code": outcome.code,
        # A network error is no answer from the server: it goes to last_error only.
        "smtp_response": outcome.answer[:2000] if outcome.code is not None or outcome.sent else "",
        "leased_until": None,
        "lease_owner": "",
    }
    if outcome.sent:
        values = {**common, "state": MessageState.SENT, "sent_at": now, "last_error": ""}
        verb: str | None = DeliveryVerb.SENT
        result = "sent"
    elif final or message.attempts >= conf.max_attempts:
        reason = (
            outcome.answer
            if final
            else f"gave up after {message.attempts} attempts: {outcome.answer}"
        )
        values = {**common, "state": MessageState.FAILED, "last_error": reason[:2000]}
        verb = DeliveryVerb.FAILED
        result = "failed"
    else:
        values = {
            **common,
            "state": MessageState.QUEUED,
            "next_attempt_at": now + backoff(message.attempts, conf.retry),
            "last_error": outcome.answer[:2000],
        }
        verb = None  # a retry later is not news for the contact's timeline
        result = "deferred"
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # Do not wait for the WAL flush: a killed worker loses nothing (the server has the
            # commit), and only a crash of the database server itself could forget the last
            # fraction of a second of answers, whose messages would then go out once more.
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if not mine.update(**values):
            log.warning(
                "delivery: message %s was reclaimed by another worker before its answer was "
                "recorded (%s)",
                message.pk,
                outcome.answer,
            )
            return "released"
        for name, value in values.items():
            setattr(message, name, value)
        if verb is not None:
            _record_outcome(verb, message, outcome, str(values.get("last_error", "")))
    return result


def _finish_sent(message: Message, outcome: Outcome, answers: Answers) -> str:
    """Record a sent message's answer and its timeline event in ONE statement (PostgreSQL).

    A data-modifying CTE updates the row (guarded by the claim token, as `_finish` does) and
    inserts the event only if the update matched; one statement is one implicit transaction,
    so the answer and its event are atomic, in one round trip instead of six (BEGIN, SET,
    UPDATE, INSERT, the listener's INSERT, COMMIT). `set_config(..., true)` turns
    `synchronous_commit` off for that transaction, as `_finish` does.
    """
    now = timezone.now()
    message.state = MessageState.SENT
    message.sent_at = now
    message.smtp_code = outcome.code
    message.smtp_response = outcome.answer[:2000]
    message.last_error = ""
    events = answers.sent_events()
    event, insert_params = events.build(
        target=message,
        data=event_data(message, smtp_code=outcome.code, reason=""),
        contact_id=message.contact_id,
        at=now,
    )
    params = [
        MessageState.SENT, now, message.subject, message.from_address, outcome.code,
        message.smtp_response, message.pk, message.lease_owner, MessageState.SENDING,
        *insert_params,
    ]  # fmt: skip
    row = answers.execute(_sent_sql(events.sql), params)
    if not row or not row[0]:
        message.state = MessageState.SENDING
        log.warning(
            "delivery: message %s was reclaimed by another worker before its answer was "
            "recorded (%s)",
            message.pk,
            outcome.answer,
        )
        return "released"
    message.leased_until = None
    message.lease_owner = ""
    answers.written.append(event)
    return "sent"


@lru_cache(maxsize=8)
def _sent_sql(insert: str) -> str:
    """Return `_finish_sent`'s statement around the event's INSERT (`insert_from`'s SQL)."""
    table = db_connection.ops.quote_name(Message._meta.db_table)
    return (
        f"WITH done AS (UPDATE {table} SET state = %s, sent_at = %s, subject = %s, "  # noqa: S608
        "from_address = %s, smtp_code = %s, smtp_response = %s, leased_until = NULL, "
        "lease_owner = '', last_error = '' WHERE id = %s AND lease_owner = %s AND state = %s "
        "RETURNING id, set_config('synchronous_commit', 'off', true)), "
        f"event AS ({insert} RETURNING id) SELECT (SELECT count(*) FROM done)"
    )


def _record_outcome(verb: str, message: Message, outcome: Outcome, reason: str) -> None:
    """Write a sent or failed message's event on its contact's timeline."""
    record_event(
        verb,
        actor=None,
        target=message,
        via=Via.SYSTEM,
        data=event_data(message, smtp_code=outcome.code, reason=reason),
        contact_id=message.contact_id,
    )


def _release(messages: Sequence[Message]) -> int:
    """Put claimed messages back in the queue untouched (the attempt is not counted)."""
    released = 0
    for message in messages:
        released += Message.objects.filter(
            pk=message.pk, lease_owner=message.lease_owner, state=MessageState.SENDING
        ).update(
            state=MessageState.QUEUED,
            leased_until=None,
            lease_owner="",
            attempts=F("attempts") - 1,
        )
    return released


def refuse_suppressed(messages: Sequence[Message]) -> dict[int, Outcome]:
    """Return the messages never to send, each failing for good with its suppression.

    A suppressed address (or a topic its owner left) is never sent to, test sends included:
    two queries for the whole batch (`queries.refusal_reasons`).
    """
    return {
        pk: Outcome(False, None, f"suppressed: {reason}", permanent=True)
        for pk, reason in refusal_reasons(messages).items()
    }


def render_batch(messages: Sequence[Message]) -> dict[int, Outcome]:
    """Give each bodiless message its content from its kind's renderer, in place.

    Returns the messages that cannot be sent with why: the renderer failed (try again later)
    or had nothing for the message (its sender deleted what it was to send: no retry cures it).
    """
    unsendable: dict[int, Outcome] = {}
    waiting: dict[str, list[Message]] = {}
    for message in messages:
        kind = KINDS.get(message.kind)
        if kind is not None and kind.renderer is not None and not message.html_body:
            waiting.setdefault(message.kind, []).append(message)
    for key, group in waiting.items():
        renderer = KINDS[key].renderer
        assert renderer is not None
        try:
            made = renderer(group)
        except Exception as exc:
            log.exception("delivery: the renderer of %s failed on %d message(s)", key, len(group))
            failed = Outcome(False, None, f"could not make the content: {exc.__class__.__name__}")
            unsendable.update(dict.fromkeys((m.pk for m in group), failed))
            continue
        for message in group:
            content = made.get(message.pk)
            if content is None:
                unsendable[message.pk] = Outcome(
                    False, None, "there is nothing to send any more", permanent=True
                )
                continue
            message.subject = " ".join(content.subject.split())[:500]
            message.html_body = content.html
            message.text_body = content.text
            if content.from_email:
                message.from_address = content.from_email
    return unsendable


def send_batch(messages: Sequence[Message], *, conf: DeliverySettings | None = None) -> BatchResult:
    """Send claimed messages over one connection of the e-mail backend; record each answer."""
    conf = conf or delivery_settings()
    result = BatchResult()
    if not messages:
        return result
    unsendable = render_batch(messages)
    unsendable.update(refuse_suppressed(messages))
    attached = with_attachments(messages)
    backend = get_connection(fail_silently=False)
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as exc:
        outcome = Outcome(False, None, f"{exc.__class__.__name__}: {exc}")
        for message in messages:
            _count(result, _finish(message, outcome, conf))
        result.errors.append(outcome.answer)
        return result
    answers = Answers()
    try:
        for index, message in enumerate(messages):
            if STOPPING.is_set() or (
                message.leased_until and timezone.now() >= message.leased_until - LEASE_MARGIN
            ):
                result.released += _release(messages[index:])
                break
            if message.attempts > conf.max_attempts:
                # Claimed again and again after expired leases: its worker keeps dying on it.
                gave_up = Outcome(False, None, "the worker was interrupted on every attempt")
                _count(result, _finish(message, gave_up, conf))
                continue
            if message.pk in unsendable:
                _count(result, _finish(message, unsendable[message.pk], conf))
                continue
            outcome = _hand_over(backend, message, attached=message.pk in attached)
            _count(result, _finish(message, outcome, conf, answers))
            if not outcome.sent and outcome.code is None:
                result.errors.append(outcome.answer)
                # The connection may be gone: open a new one for the rest of the batch.
                backend.close()
                try:
                    backend.open()
                except (smtplib.SMTPException, OSError) as exc:
                    down = Outcome(False, None, f"{exc.__class__.__name__}: {exc}")
                    for rest in messages[index + 1 :]:
                        _count(result, _finish(rest, down, conf))
                    break
    finally:
        try:
            backend.close()
        except (smtplib.SMTPException, OSError):
            log.debug("delivery: closing the e-mail connection failed", exc_info=True)
        # The events `_finish_sent` wrote, told to the timeline's listeners in one call.
        try:
            notify_written(answers.written)
        finally:
            answers.close()
    return result


def _count(result: BatchResult, what: str) -> None:
    if what == "sent":
        result.sent += 1
    elif what == "failed":
        result.failed += 1
    elif what == "deferred":
        result.deferred += 1
    else:
        result.released += 1


def send_due(owner: str | None = None, *, budget_s: float = RUN_BUDGET_S) -> dict[str, int]:
    """Send every due message, batch after batch, until none is due or the budget is spent.

    With DELIVERY_THREADS > 1 the run sends from that many threads, each claiming its own
    batches over its own database and SMTP connections, so one thread builds and records while
    another waits for the server. Inside a transaction (a test, a caller's atomic block) the
    run stays in the calling thread: other connections could not see its uncommitted rows; so
    does a run on an in-memory SQLite database (the tests'), whose shared-cache table locks do
    not wait for each other.
    """
    conf = delivery_settings()
    name = owner or worker_name()
    if conf.threads <= 1 or db_connection.in_atomic_block or in_memory_sqlite():
        return _send_loop(name, conf, budget_s).as_dict()
    results = [BatchResult() for _ in range(conf.threads)]

    def run(index: int) -> None:
        try:
            results[index] = _send_loop(f"{name}/{index}", conf, budget_s)
        except Exception:
            log.exception("delivery: sending thread %d stopped", index)
        finally:
            db_connection.close()

    workers = [
        threading.Thread(target=run, args=(index,), name=f"delivery-{index}", daemon=True)
        for index in range(conf.threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = BatchResult()
    for result in results:
        total.add(result)
    return total.as_dict()


def anything_due() -> bool:
    """Whether any message waits to be sent: due in the queue, or claimed under a lapsed lease.

    Two look-ups on the outbox's partial indexes (the ones the claim reads), for a sending
    process that idles: cheaper than a claim, and no sending threads started for nothing.
    """
    now = timezone.now()
    due = Message.objects.filter(state=MessageState.QUEUED, next_attempt_at__lte=now)
    lapsed = Message.objects.filter(state=MessageState.SENDING, leased_until__lt=now)
    return due.exists() or lapsed.exists()


def in_memory_sqlite() -> bool:
    """Whether the database is an in-memory SQLite one (the tests'): threads cannot share it."""
    in_memory = getattr(db_connection, "is_in_memory_db", None)
    return db_connection.vendor == "sqlite" and callable(in_memory) and bool(in_memory())


def _send_loop(name: str, conf: DeliverySettings, budget_s: float) -> BatchResult:
    """Claim and send batches in this thread until none is due or the budget is spent."""
    total = BatchResult()
    started = time.monotonic()
    while not STOPPING.is_set():
        batch = claim_batch(name, conf.batch, conf.lease)
        if not batch:
            break
        total.add(send_batch(batch, conf=conf))
        if time.monotonic() - started > budget_s:
            # More may be due: another run continues (this worker stays fair to other tasks).
            wake_worker()
            break
    return total
