"""Run the SMTP receiver of bounces, complaints and mailto unsubscribes."""

from __future__ import annotations

import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from clientela.delivery.receiver import MAX_MESSAGE_BYTES, BounceHandler


class Command(BaseCommand):
    """Listen for DSNs and ARF reports at the bounce addresses (MAIL_BOUNCE_LISTEN)."""

    help = "Receive bounces, complaints and mailto unsubscribes over SMTP."

    def add_arguments(self, parser: CommandParser) -> None:
        """Take the address to listen on."""
        default = str(settings.CLIENTELA.get("MAIL_BOUNCE_LISTEN") or "127.0.0.1:2525")
        parser.add_argument("--listen", default=default, help="host:port (default %(default)s)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Serve until SIGTERM or SIGINT."""
        host, _sep, port = str(options["listen"]).rpartition(":")
        controller = Controller(
            BounceHandler(),
            hostname=host or "127.0.0.1",
            port=int(port),
            data_size_limit=MAX_MESSAGE_BYTES,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"bounce receiver listening on {host}:{port}")
        try:
            stop.wait()
        finally:
            controller.stop()
