"""``clientela clv FILE``: fit a purchase model + Gamma-Gamma on a transactions CSV, print JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientela.analytics.clv.models import DEFAULT_MODEL, MODEL_CODES
from clientela.analytics.clv.summary import DAYS_PER_MONTH, TIME_UNITS
from clientela.analytics.csvtools import AnalyticsInputError, run_clv


class Command(BaseCommand):
    """Adapter: parse options, call csvtools.run_clv, print one JSON object."""

    help = (
        "Probabilistic CLV (BG/NBD, MBG/NBD or Pareto/NBD + Gamma-Gamma) from a transactions "
        "CSV; no database needed."
    )
    requires_system_checks: list[str] = []  # works on a plain CSV, even without a database

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the command-line options."""
        parser.add_argument("file", help="transactions CSV (comma, semicolon or tab)")
        parser.add_argument("--customer-col", required=True)
        parser.add_argument("--date-col", required=True)
        parser.add_argument("--amount-col", required=True)
        parser.add_argument("--time-unit", choices=TIME_UNITS, default="weeks")
        parser.add_argument("--calibration-end", help="YYYY-MM-DD; later purchases are holdout")
        parser.add_argument("--observation-end", help="YYYY-MM-DD; later purchases are ignored")
        parser.add_argument(
            "--horizon", type=float, help="prediction horizon in time units (default 12 months)"
        )
        parser.add_argument(
            "--discount-rate", type=float, default=0.01, help="monthly discount rate"
        )
        parser.add_argument(
            "--days-per-month",
            type=float,
            default=DAYS_PER_MONTH,
            help="length of a CLV month in days (default 30.4375; lifetimes uses 30)",
        )
        parser.add_argument(
            "--model",
            choices=MODEL_CODES,
            default=DEFAULT_MODEL,
            help="purchase model (with --calibration-end every model is compared)",
        )
        parser.add_argument("--output", help="per-customer results CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the analysis and print its JSON summary."""
        try:
            result = run_clv(
                options["file"],
                customer_col=options["customer_col"],
                date_col=options["date_col"],
                amount_col=options["amount_col"],
                time_unit=options["time_unit"],
                calibration_end=options["calibration_end"],
                observation_end=options["observation_end"],
                horizon=options["horizon"],
                discount_rate=options["discount_rate"],
                days_per_month=options["days_per_month"],
                model=options["model"],
                output=options["output"],
            )
        except AnalyticsInputError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
