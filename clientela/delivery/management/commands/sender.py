"""`clientela sender`: a dedicated sending process (claim due messages, send them, repeat)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from clientela.delivery.services.sending import STOPPING, anything_due, send_due, worker_name


class Command(BaseCommand):
    """Send due messages in a loop until stopped; run several on one or more machines."""

    help = (
        "Send due e-mail in a loop until stopped (SIGTERM or Ctrl-C). Any number may run at "
        "once, on one or more machines: each claims its own batches under a lease."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare `--idle` (seconds to wait when nothing is due) and `--once`."""
        parser.add_argument("--idle", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run send_due whenever something is due; stop cleanly on SIGTERM or SIGINT.

        While nothing is due the process only looks (`anything_due`, two index look-ups over
        one kept connection) every `--idle` seconds. On SIGTERM or SIGINT each sending thread
        finishes its current hand-off, records the answer and puts the rest of its batch back
        in the queue (SIGKILL stays safe too: the lease hands the batch to another sender).
        """
        name = worker_name()
        idle = max(0.05, float(options["idle"]))
        if options["once"]:
            self.stdout.write(f"{send_due(owner=name, budget_s=60.0)}")
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            STOPPING.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not STOPPING.is_set():
                if not anything_due():
                    # Slept in slices, not `STOPPING.wait`: the handler sets the event, and
                    # an Event's own lock must not be held by the thread a signal interrupts.
                    deadline = time.monotonic() + idle
                    while not STOPPING.is_set() and time.monotonic() < deadline:
                        time.sleep(min(0.1, idle))
                    continue
                send_due(owner=name, budget_s=60.0)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connection.close()
