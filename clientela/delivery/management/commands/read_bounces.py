"""Read bounces, complaints and mailto unsubscribes from a mailbox (IMAP or POP3) once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientela.delivery.services.mailbox import MailboxError, read_mailbox


class Command(BaseCommand):
    """Process the bounce mailbox once (the worker also reads it every few minutes)."""

    help = "Read bounces and complaints from the mailbox in CLIENTELA_MAIL_BOUNCE_MAILBOX."

    def add_arguments(self, parser: CommandParser) -> None:
        """Take the mailbox URL (default: the setting)."""
        parser.add_argument("--mailbox", default=settings.CLIENTELA.get("MAIL_BOUNCE_MAILBOX"))

    def handle(self, *args: Any, **options: Any) -> None:
        """Read the mailbox and say how many messages were processed."""
        url = str(options.get("mailbox") or "")
        if not url:
            raise CommandError("Set CLIENTELA_MAIL_BOUNCE_MAILBOX or pass --mailbox.")
        try:
            done = read_mailbox(url)
        except MailboxError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"processed {done} message(s)")
