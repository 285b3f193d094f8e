"""Read bounces, complaints and mailto unsubscribes from a mailbox (IMAP or POP3)."""

from __future__ import annotations

import imaplib
import poplib
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientela.delivery.services.bounces import process_inbound


def read_imap(url: str) -> int:
    """Process and delete every message of the IMAP mailbox of `url`; return how many."""
    parts = urlsplit(url)
    secure = parts.scheme == "imaps"
    port = parts.port or (993 if secure else 143)
    client = (imaplib.IMAP4_SSL if secure else imaplib.IMAP4)(parts.hostname or "", port)
    done = 0
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.lstrip("/")) or "INBOX")
        _status, data = client.search(None, "ALL")
        for raw_number in (data[0] or b"").split():
            number = raw_number.decode() if isinstance(raw_number, bytes) else str(raw_number)
            _status, fetched = client.fetch(number, "(RFC822)")
            item = fetched[0]
            if isinstance(item, tuple):
                process_inbound(item[1], [])
                client.store(number, "+FLAGS", "\\Deleted")
                done += 1
        client.expunge()
    finally:
        client.logout()
    return done


def read_pop(url: str) -> int:
    """Process and delete every message of the POP3 mailbox of `url`; return how many."""
    parts = urlsplit(url)
    secure = parts.scheme == "pop3s"
    port = parts.port or (995 if secure else 110)
    client = (poplib.POP3_SSL if secure else poplib.POP3)(parts.hostname or "", port)
    done = 0
    try:
        client.user(unquote(parts.username or ""))
        client.pass_(unquote(parts.password or ""))
        count, _size = client.stat()
        for number in range(1, count + 1):
            _resp, lines, _octets = client.retr(number)
            process_inbound(b"\r\n".join(lines), [])
            client.dele(number)
            done += 1
    finally:
        client.quit()
    return done


def read_mailbox(url: str) -> int:
    """Read the mailbox of `url` (imap://, imaps://, pop3://, pop3s://)."""
    scheme = urlsplit(url).scheme
    if scheme in ("imap", "imaps"):
        return read_imap(url)
    if scheme in ("pop3", "pop3s"):
        return read_pop(url)
    raise CommandError("MAIL_BOUNCE_MAILBOX must start with imap(s):// or pop3(s)://")


class Command(BaseCommand):
    """Process the bounce mailbox once (run it from cron or the scheduler)."""

    help = "Read bounces and complaints from the mailbox in CLIENTELA_MAIL_BOUNCE_MAILBOX."

    def add_arguments(self, parser: CommandParser) -> None:
        """Take the mailbox URL (default: the setting)."""
        parser.add_argument("--mailbox", default=settings.CLIENTELA.get("MAIL_BOUNCE_MAILBOX"))

    def handle(self, *args: Any, **options: Any) -> None:
        """Read the mailbox and say how many messages were processed."""
        url = str(options.get("mailbox") or "")
        if not url:
            raise CommandError("Set CLIENTELA_MAIL_BOUNCE_MAILBOX or pass --mailbox.")
        self.stdout.write(f"processed {read_mailbox(url)} message(s)")
