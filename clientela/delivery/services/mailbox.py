"""Read bounces, complaints and mailto unsubscribes from a mailbox (IMAP or POP3).

The worker runs `read_configured_mailbox` every few minutes (the `delivery.read_bounce_mailbox`
schedule) when CLIENTELA_MAIL_BOUNCE_MAILBOX is set; `clientela read_bounces` runs the same
reading once. Each message goes through `bounces.process_inbound` (the parser the SMTP receiver
uses) and is deleted once processed: IMAP flags it Deleted and expunges, POP3 deletes it at
QUIT. A mailbox that refuses the login, cannot be reached or answers nonsense raises
`MailboxError` (its message names the mailbox, never the password); the scheduled job logs it
and returns, so the worker goes on with its other work and the next run tries again.
"""

from __future__ import annotations

import imaplib
import logging
import poplib
from contextlib import suppress
from urllib.parse import SplitResult, unquote, urlsplit

from clientela.delivery.links import conf
from clientela.delivery.services.bounces import process_inbound

log = logging.getLogger("clientela.delivery.mailbox")
TIMEOUT_SECONDS = 30.0
BOUNCE_MAILBOX_SCHEDULE = "delivery.read_bounce_mailbox"


class MailboxError(Exception):
    """The bounce mailbox could not be read (unreachable, login refused, protocol error)."""


def describe(url: str) -> str:
    """Return the mailbox URL without its password (for logs and errors)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable mailbox URL)"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def _credentials(parts: SplitResult) -> tuple[str, str]:
    return unquote(parts.username or ""), unquote(parts.password or "")


def _reason(error: Exception) -> str:
    """Return what a server or the network said (imaplib and poplib give server text as bytes)."""
    said = error.args[0] if error.args else error
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said or error)


def read_imap(url: str, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """Process and delete every message of the IMAP mailbox of `url`; return how many."""
    parts = urlsplit(url)
    secure = parts.scheme == "imaps"
    port = parts.port or (993 if secure else 143)
    where = describe(url)
    try:
        client = (imaplib.IMAP4_SSL if secure else imaplib.IMAP4)(
            parts.hostname or "", port, timeout=timeout
        )
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(
            f"cannot connect to the bounce mailbox {where}: {_reason(error)}"
        ) from error
    done = 0
    try:
        user, password = _credentials(parts)
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as error:
            raise MailboxError(
                f"the bounce mailbox {where} refused the login: {_reason(error)}"
            ) from error
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        status, answer = client.select(folder)
        if status != "OK":
            raise MailboxError(f"the bounce mailbox {where} has no folder {folder}: {answer}")
        # Messages flagged by a run that stopped before expunging were processed already.
        _status, data = client.search(None, "UNDELETED")
        try:
            for raw_number in (data[0] or b"").split():
                number = raw_number.decode() if isinstance(raw_number, bytes) else str(raw_number)
                _status, fetched = client.fetch(number, "(RFC822)")
                item = fetched[0]
                if isinstance(item, tuple):
                    process_inbound(item[1], [])
                    client.store(number, "+FLAGS", "\\Deleted")
                    done += 1
        finally:
            if done:
                client.expunge()
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(
            f"reading the bounce mailbox {where} failed: {_reason(error)}"
        ) from error
    finally:
        # A connection that is gone already has nothing left to close.
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return done


def read_pop(url: str, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """Process and delete every message of the POP3 mailbox of `url`; return how many."""
    parts = urlsplit(url)
    secure = parts.scheme == "pop3s"
    port = parts.port or (995 if secure else 110)
    where = describe(url)
    try:
        client = (poplib.POP3_SSL if secure else poplib.POP3)(
            parts.hostname or "", port, timeout=timeout
        )
    except (OSError, poplib.error_proto) as error:
        raise MailboxError(
            f"cannot connect to the bounce mailbox {where}: {_reason(error)}"
        ) from error
    done = 0
    try:
        user, password = _credentials(parts)
        try:
            client.user(user)
            client.pass_(password)
        except poplib.error_proto as error:
            raise MailboxError(
                f"the bounce mailbox {where} refused the login: {_reason(error)}"
            ) from error
        count, _size = client.stat()
        for number in range(1, count + 1):
            _resp, lines, _octets = client.retr(number)
            process_inbound(b"\r\n".join(lines), [])
            client.dele(number)
            done += 1
    except (OSError, poplib.error_proto) as error:
        raise MailboxError(
            f"reading the bounce mailbox {where} failed: {_reason(error)}"
        ) from error
    finally:
        # QUIT is what makes a POP3 server delete the messages marked so far (a connection that
        # is gone already leaves them for the next run).
        with suppress(OSError, poplib.error_proto):
            client.quit()
    return done


def read_mailbox(url: str, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """Read the mailbox of `url` (imap://, imaps://, pop3://, pop3s://); return how many."""
    try:
        parts = urlsplit(url)
        _port = parts.port  # a port that is not a number raises ValueError here
    except ValueError as error:
        raise MailboxError("the bounce mailbox URL cannot be read (check its port)") from error
    scheme = parts.scheme
    if scheme in ("imap", "imaps"):
        return read_imap(url, timeout=timeout)
    if scheme in ("pop3", "pop3s"):
        return read_pop(url, timeout=timeout)
    raise MailboxError("MAIL_BOUNCE_MAILBOX must start with imap(s):// or pop3(s)://")


def read_configured_mailbox() -> int:
    """Read MAIL_BOUNCE_MAILBOX once if it is set; log a failure and return 0 instead of raising."""
    url = str(conf("MAIL_BOUNCE_MAILBOX", "") or "")
    if not url:
        return 0
    try:
        done = read_mailbox(url)
    except MailboxError as error:
        log.error("delivery: %s; the next run tries again", error)
        return 0
    if done:
        log.info(
            "delivery: processed %d message(s) from the bounce mailbox %s", done, describe(url)
        )
    return done
