"""Writing outbound messages: queue an e-mail, cancel it, queue a failed one again.

`queue_email` is the one way any app sends: it validates and stores the message in the
caller's transaction and, once that commits, asks the worker to send what is due
(`services.sending`). A retried form post passes the same `idempotency_key` and gets the
message already queued back, so nobody is e-mailed twice. Files sent with a message (a quote's
PDF) are stored with it in the same transaction, so every attempt sends the same bytes.
`queue_emails` queues many at once with the same checks and keys (a form follow-up batch's
e-mails): one INSERT for the messages and one for their events.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.contacts.normalize import InvalidValue, normalize_email
from clientela.core.events import Via
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.delivery.choices import Channel, DeliveryVerb, MessageState
from clientela.delivery.kinds import require_kind
from clientela.delivery.models import Attachment as Attachment
from clientela.delivery.models import Message, MessageAttachment
from clientela.delivery.rendering import html_to_text
from clientela.timeline.services import build_event, record_event, record_events

SEND_SCHEDULE = "delivery.send_due"
MAX_SUBJECT = 500
MAX_KEY = 200
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")
# Headers the message itself sets: a caller's value would contradict it or open injection.
RESERVED_HEADERS = frozenset(
    {
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to", "sender",
        "mime-version", "content-type", "content-transfer-encoding", "return-path",
    }
)  # fmt: skip
# What one message may carry: its attachments together, and how many.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_FILENAME = 150
_MIMETYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def queue_email(
    *,
    to: str,
    subject: str,
    html: str,
    text: str = "",
    kind: str,
    contact: Contact | None = None,
    language: str = "es",
    source: str = "",
    idempotency_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    from_email: str | None = None,
    reply_to: str | None = None,
    actor: User | None = None,
    purpose: str = "",
    attachments: Sequence[Attachment] = (),
) -> Message:
    """Store an e-mail to send and wake the worker when the caller's transaction commits.

    `subject`, `html` and `text` are final (personalise them first with
    `rendering.render_email`); a missing text part is derived from the HTML. The sender is
    `from_email` or DEFAULT_FROM_EMAIL, and the Message-ID is made now with its domain. With
    an `idempotency_key` already used, the message stored then is returned unchanged.
    `actor` None means the system (a form, a journey) queued it. `purpose` is the topic of a
    marketing message ("newsletter"), blank for transactional mail. `attachments` (at most
    MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES together) are stored with the message; their file
    names lose any folder and line break.
    """
    key = (idempotency_key or "").strip() or None
    try:
        fields, files = _prepare(
            to=to, subject=subject, html=html, text=text, kind=kind, contact=contact,
            language=language, source=source, key=key, headers=headers,
            from_email=from_email, reply_to=reply_to, actor=actor, purpose=purpose,
            attachments=attachments,
        )  # fmt: skip
    except ValidationFailed:
        # A key already used returns its message as it was stored, whatever comes now.
        existing = Message.objects.filter(idempotency_key=key).first() if key else None
        if existing is not None:
            return existing
        raise
    # Joins the caller's transaction without a savepoint (two INSERTs per message matter when
    # a campaign queues thousands); only a keyed insert needs one, to survive a lost race.
    with transaction.atomic(savepoint=False):
        if key is None:
            message = Message.objects.create(**fields)
        else:
            try:
                with transaction.atomic():
                    message = Message.objects.create(**fields)
            except IntegrityError:
                # The key was used already (a retried post, a listener run twice): the unique
                # index said so, and the message stored then is returned unchanged.
                existing = Message.objects.filter(idempotency_key=key).first()
                if existing is None:
                    raise
                return existing
        if files:
            MessageAttachment.objects.bulk_create(
                MessageAttachment(message=message, **vars(file)) for file in files
            )
        _record(DeliveryVerb.QUEUED, message, actor=actor, via=Via.SYSTEM)
        wake_worker()
    return message


def queue_emails(
    emails: Sequence[Mapping[str, Any]],
    *,
    on_invalid: Callable[[Mapping[str, Any], ValidationFailed], None] | None = None,
) -> list[Message]:
    """Queue many e-mails at once, each as `queue_email(**email)` would: one INSERT for them all.

    Each mapping holds `queue_email`'s arguments. Keys already used return their stored
    message, as in `queue_email` (one look-up for all the keys); the new messages, their
    attachments and their queued events are one INSERT each, and the worker is woken once.
    An invalid e-mail raises ValidationFailed (nothing is queued), unless `on_invalid` is
    given: it is called with the e-mail and the error, and the others are queued. Should a key
    be taken meanwhile (a concurrent caller), the e-mails are queued one by one instead.
    Returns the messages in the order of `emails`, the invalid ones left out.
    """
    prepared: list[_Prepared] = []
    for email in emails:
        key = (email.get("idempotency_key") or "").strip() or None
        try:
            fields, files = _prepare(
                **{k: v for k, v in email.items() if k != "idempotency_key"}, key=key
            )
        except ValidationFailed as exc:
            prepared.append(_Prepared(email, key, error=exc))
            continue
        prepared.append(_Prepared(email, key, fields, files))
    keys = {item.key for item in prepared if item.key is not None}
    found = {m.idempotency_key: m for m in Message.objects.filter(idempotency_key__in=keys)}
    out: list[Message | None] = []
    new: list[tuple[Message, list[_File]]] = []
    for item in prepared:
        if item.key is not None and item.key in found:
            out.append(found[item.key])
        elif item.error is not None:
            if on_invalid is None:
                raise item.error
            on_invalid(item.email, item.error)
            out.append(None)
        else:
            message = Message(**item.fields)
            if item.key is not None:
                found[item.key] = message  # the same key twice in one call: one message
            new.append((message, item.files))
            out.append(message)
    if not new:
        return [m for m in out if m is not None]
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():
                _insert_messages([message for message, _files in new])
        except IntegrityError:
            return _one_by_one(prepared, on_invalid)
        attached = [
            MessageAttachment(message=message, **vars(file))
            for message, files in new
            for file in files
        ]
        if attached:
            MessageAttachment.objects.bulk_create(attached)
        record_events(
            build_event(
                DeliveryVerb.QUEUED, actor=message.queued_by, target=message, via=Via.SYSTEM,
                data=event_data(message), contact_id=message.contact_id,
            )
            for message, _files in new
        )  # fmt: skip
        wake_worker()
    return [m for m in out if m is not None]


def _insert_messages(messages: list[Message]) -> None:
    if connection.features.can_return_rows_from_bulk_insert:
        Message.objects.bulk_create(messages)
        return
    for message in messages:
        message.save()


@dataclass
class _Prepared:
    """One e-mail of `queue_emails`: its arguments, key, and fields and files, or its error."""

    email: Mapping[str, Any]
    key: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    files: list[_File] = field(default_factory=list)
    error: ValidationFailed | None = None


def _one_by_one(
    prepared: Sequence[_Prepared],
    on_invalid: Callable[[Mapping[str, Any], ValidationFailed], None] | None,
) -> list[Message]:
    out: list[Message] = []
    for item in prepared:
        try:
            out.append(queue_email(**item.email))
        except ValidationFailed as exc:
            if on_invalid is None:
                raise
            on_invalid(item.email, exc)
    return out


def _prepare(
    *,
    to: str,
    subject: str,
    html: str,
    text: str = "",
    kind: str,
    contact: Contact | None = None,
    language: str = "es",
    source: str = "",
    key: str | None,
    headers: Mapping[str, str] | None = None,
    from_email: str | None = None,
    reply_to: str | None = None,
    actor: User | None = None,
    purpose: str = "",
    attachments: Sequence[Attachment] = (),
) -> tuple[dict[str, Any], list[_File]]:
    """Check one e-mail; return its message's fields and its files (ValidationFailed if wrong)."""
    require_kind(kind)
    if key is not None and len(key) > MAX_KEY:
        raise ValidationFailed({"idempotency_key": [_("The key is too long.")]})
    errors: dict[str, list[str]] = {}
    to_address = _recipient(to, errors)
    sender = _mailbox(from_email or settings.DEFAULT_FROM_EMAIL, "from_email", errors)
    reply = _mailbox(reply_to, "reply_to", errors) if reply_to else ""
    clean_subject = " ".join((subject or "").split())
    if not clean_subject:
        errors.setdefault("subject", []).append(_("Write a subject."))
    elif len(clean_subject) > MAX_SUBJECT:
        errors.setdefault("subject", []).append(_("The subject is too long."))
    if not (html or "").strip() and not (text or "").strip():
        errors.setdefault("html", []).append(_("The message has no content."))
    if language not in dict(settings.LANGUAGES):
        errors.setdefault("language", []).append(_("Choose Spanish or English."))
    extra = _headers(headers or {}, errors)
    files = _attachments(attachments, errors)
    if errors:
        raise ValidationFailed(errors)
    domain = _domain_of(sender)
    fields = {
        "channel": Channel.EMAIL,
        "kind": kind,
        "contact": contact,
        "to_address": to_address,
        "from_address": sender,
        "reply_to": reply,
        "subject": clean_subject,
        "html_body": html or "",
        "text_body": text or html_to_text(html),
        "language": language,
        "headers": extra,
        "message_id": make_msgid(domain=domain),
        "idempotency_key": key,
        "source": source[:200],
        "purpose": purpose[:32],
        "queued_by": actor if actor is not None and actor.pk else None,
    }
    return fields, files


def cancel_message(message: Message, *, actor: User | None, via: str = Via.UI) -> Message:
    """Cancel a queued message (Conflict once a worker has it or it left)."""
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, state=MessageState.QUEUED).update(
            state=MessageState.CANCELLED, leased_until=None, lease_owner=""
        )
        if not changed:
            raise Conflict(_("Only a queued message can be cancelled."))
        message.refresh_from_db()
        _record(DeliveryVerb.CANCELLED, message, actor=actor, via=via)
    return message


def retry_message(message: Message, *, actor: User | None, via: str = Via.UI) -> Message:
    """Queue a failed message again now, with a fresh count of attempts."""
    with transaction.atomic():
        changed = Message.objects.filter(pk=message.pk, state=MessageState.FAILED).update(
            state=MessageState.QUEUED,
            attempts=0,
            next_attempt_at=timezone.now(),
            leased_until=None,
            lease_owner="",
        )
        if not changed:
            raise Conflict(_("Only a failed message can be sent again."))
        message.refresh_from_db()
        _record(DeliveryVerb.RETRIED, message, actor=actor, via=via)
        wake_worker()
    return message


def wake_worker() -> None:
    """Ask a worker to send what is due once the current transaction commits (once per commit).

    A campaign queueing thousands of messages in one transaction enqueues one task, not one
    per message: the callback is registered only if it is not already waiting.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        entry[1] is _enqueue_send for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_send)


def _enqueue_send() -> None:
    from clientela.core.tasks import run_scheduled

    run_scheduled.enqueue(SEND_SCHEDULE)


def _record(verb: str, message: Message, *, actor: User | None, via: str) -> None:
    record_event(
        verb,
        actor=actor,
        target=message,
        via=via,
        data=event_data(message),
        contact_id=message.contact_id,
    )


def event_data(message: Message, **more: object) -> dict[str, object]:
    """Return what a message's events store: kind, subject, recipient, and what happened."""
    return {
        "kind": message.kind,
        "subject": message.subject,
        "to": message.to_address,
        "channel": message.channel,
        **more,
    }


def _recipient(value: str, errors: dict[str, list[str]]) -> str:
    try:
        address = normalize_email(value or "")
    except InvalidValue as exc:
        errors.setdefault("to", []).append(str(exc))
        return ""
    if not address:
        errors.setdefault("to", []).append(_("Write the recipient's e-mail address."))
    return address


def _mailbox(value: str | None, field: str, errors: dict[str, list[str]]) -> str:
    """Return `Name <address>` (or the bare address) for a sender or reply-to, checked."""
    raw = value or ""
    if "\r" in raw or "\n" in raw:
        errors.setdefault(field, []).append(_("An address cannot span lines."))
        return ""
    checked = _checked_mailbox(raw)
    if checked is None:
        errors.setdefault(field, []).append(
            _("“%(value)s” is not a valid e-mail address.") % {"value": raw}
        )
        return ""
    return checked


@functools.lru_cache(maxsize=1024)
def _checked_mailbox(raw: str) -> str | None:
    """Return a one-line mailbox as `Name <address>` or the bare address; None if not one.

    Remembered per text: the same few senders (the company's, a campaign's) are parsed for
    every message a batch queues.
    """
    name, address = parseaddr(raw)
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or any(ch.isspace() for ch in address):
        return None
    return formataddr((name, address)) if name else address


@functools.lru_cache(maxsize=1024)
def _domain_of(sender: str) -> str:
    """Return the domain of a checked sender, for its messages' Message-IDs."""
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _headers(headers: Mapping[str, str], errors: dict[str, list[str]]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in headers.items():
        text = str(value)
        if (
            not _HEADER_NAME.match(str(name))
            or name.lower() in RESERVED_HEADERS
            or "\r" in text
            or "\n" in text
            or len(text) > 2000
        ):
            errors.setdefault("headers", []).append(
                _("The header “%(name)s” cannot be set.") % {"name": name}
            )
            continue
        clean[str(name)] = text
    return clean


@dataclass(frozen=True)
class _File:
    filename: str
    mimetype: str
    size: int
    content: bytes


def _attachments(attachments: Sequence[Attachment], errors: dict[str, list[str]]) -> list[_File]:
    """Return the attachments checked, with clean file names; add what is wrong to `errors`."""
    problems: list[str] = []
    files: list[_File] = []
    if len(attachments) > MAX_ATTACHMENTS:
        problems.append(
            _("A message carries at most %(count)s attachments.") % {"count": MAX_ATTACHMENTS}
        )
    for attachment in attachments:
        name = clean_filename(attachment.filename)
        content = attachment.content
        mimetype = (attachment.mimetype or "").strip().lower()
        if not name:
            problems.append(_("Every attachment needs a file name."))
            continue
        if not isinstance(content, bytes) or not content:
            problems.append(_("The attachment “%(name)s” is empty.") % {"name": name})
            continue
        if not _MIMETYPE.match(mimetype):
            problems.append(_("The attachment “%(name)s” has no valid file type.") % {"name": name})
            continue
        files.append(_File(name, mimetype, len(content), content))
    total = sum(file.size for file in files)
    if total > MAX_ATTACHMENT_BYTES:
        problems.append(
            _("The attachments weigh %(size)s; a message carries at most %(limit)s.")
            % {"size": filesizeformat(total), "limit": filesizeformat(MAX_ATTACHMENT_BYTES)}
        )
    if problems:
        errors.setdefault("attachments", []).extend(problems)
    return files


def clean_filename(value: str) -> str:
    r"""Return a file name safe in a MIME header: no folder, no control characters, not too long.

    "../../etc/Cotización\r\nBcc: x.pdf" becomes "Cotización Bcc: x.pdf"; the extension
    survives shortening.
    """
    text = unicodedata.normalize("NFC", str(value or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = " ".join(text.split()).strip(". ")
    if len(text) > MAX_FILENAME:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = f"{stem[: MAX_FILENAME - len(extension) - 1].rstrip()}.{extension}"
        else:
            text = text[:MAX_FILENAME]
    return text
