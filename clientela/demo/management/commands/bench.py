"""`clientela bench NAME`: run a benchmark scenario from bench/."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Run a benchmark scenario from a source checkout (`clientela bench <scenario>`)."""

    help = "Run a benchmark scenario (import-1m, api-read, clv-1m, ...) and print JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        """Pass every argument through to the bench runner."""
        parser.add_argument("args", nargs=argparse.REMAINDER)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the bench package's command line with the given arguments."""
        try:
            from bench.__main__ import main
        except ImportError as exc:
            raise CommandError("The bench package is only in a source checkout.") from exc
        raise SystemExit(main(list(args)))
