"""``clientela rfm FILE``: RFM scores and the 11 segments from a transactions CSV, as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientela.analytics.csvtools import AnalyticsInputError, run_rfm


class Command(BaseCommand):
    """Adapter: parse options, call csvtools.run_rfm, print one JSON object."""

    help = "RFM scores and segments from a transactions CSV; no database needed."
    requires_system_checks: list[str] = []  # works on a plain CSV, even without a database

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the command-line options."""
        parser.add_argument("file", help="transactions CSV (comma, semicolon or tab)")
        parser.add_argument("--customer-col", required=True)
        parser.add_argument("--date-col", required=True)
        parser.add_argument("--amount-col", required=True)
        parser.add_argument("--as-of", help="YYYY-MM-DD reference date (default: last purchase)")
        parser.add_argument("--output", help="per-customer r, f, m, segment CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the analysis and print its JSON summary."""
        try:
            result = run_rfm(
                options["file"],
                customer_col=options["customer_col"],
                date_col=options["date_col"],
                amount_col=options["amount_col"],
                as_of=options["as_of"],
                output=options["output"],
            )
        except AnalyticsInputError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
