"""`clientela seed`: deterministic synthetic contacts at any scale (benchmarks, trials)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clientela.demo.seeding import seed_contacts


class Command(BaseCommand):
    """Add deterministic synthetic contacts (with companies, tags and consents)."""

    help = "Add N deterministic synthetic contacts (with companies, tags and consents)."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare how many contacts to add, the random seed and the batch size."""
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        """Insert the contacts, reporting progress and the time taken."""
        started = time.monotonic()
        total = options["contacts"]

        def progress(done: int) -> None:
            if options["verbosity"] > 1 or done == total or done % 100_000 == 0:
                self.stderr.write(f"{done}/{total} contacts")

        created = seed_contacts(
            total, seed=options["seed"], batch_size=options["batch_size"], progress=progress
        )
        self.stdout.write(f"Created {created} contacts in {time.monotonic() - started:.1f}s.")
