"""`clientela sender`: a dedicated sending process (claim due messages, send them, repeat)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientela.delivery.services.sending import send_due, worker_name


class Command(BaseCommand):
    """Send due messages in a loop until stopped; run several on one or more machines."""

    help = (
        "Send due e-mail in a loop until stopped (Ctrl-C). Any number may run at once, on one "
        "or more machines: each claims its own batches under a lease."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare `--idle` (seconds to wait when nothing is due) and `--once`."""
        parser.add_argument("--idle", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run send_due over and over; sleep `--idle` seconds whenever nothing was due."""
        name = worker_name()
        idle = max(0.05, float(options["idle"]))
        try:
            while True:
                done = send_due(owner=name, budget_s=60.0)
                if options["once"]:
                    self.stdout.write(f"{done}")
                    return
                if not any(done.values()):
                    time.sleep(idle)
        except KeyboardInterrupt:
            return
