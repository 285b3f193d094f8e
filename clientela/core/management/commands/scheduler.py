"""`clientela scheduler`: the one loop that enqueues periodic work when it is due."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientela.core.scheduling import REGISTRY, run_due


class Command(BaseCommand):
    """The periodic-work loop: enqueue due schedules every few seconds until stopped."""

    help = "Enqueue due periodic work (nightly analytics, scheduled campaigns…) every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the interval between checks and `--once`."""
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        """Enqueue due work every `--interval` seconds until SIGTERM/SIGINT (or once)."""
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"scheduler: {len(REGISTRY)} schedule(s): {', '.join(sorted(REGISTRY)) or '-'}"
        )
        while True:
            for name in run_due():
                self.stdout.write(f"scheduler: enqueued {name}")
            if options["once"] or stopping:
                return
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            if stopping:
                return
