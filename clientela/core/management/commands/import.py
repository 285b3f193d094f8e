"""`clientela import <kind> FILE`: import a CSV/XLSX file and print the result as JSON.

The kinds are the import kinds apps registered with `core.importers.register_importer` that
can run from a file (`run_file`), the same registry the import screens use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.exceptions import DomainError, ValidationFailed
from clientela.core.importers import Importer, importers
from clientela.core.registries import COMMAND_ACTORS
from clientela.core.tabular import TableError


def _command_kinds() -> dict[str, Importer]:
    """Return the registered import kinds that run from a file, by name."""
    return {kind.name: kind for kind in importers() if kind.run_file is not None}


class Command(BaseCommand):
    """Import a file synchronously through the same runner the web import uses."""

    help = (
        "Import records from a CSV or XLSX file. Prints {rows, created, updated, unchanged, "
        "errors: [{line, column, reason}]} and exits 0 when the import ran, even with row errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the kind, the file and the options the registered importers read."""
        kinds = _command_kinds()
        presets = sorted({preset for kind in kinds.values() for preset in kind.command_presets})
        parser.add_argument("entity", choices=sorted(kinds), help="What to import.")
        parser.add_argument("file", help="Path of the CSV or XLSX file.")
        parser.add_argument(
            "--preset",
            choices=["auto", *presets],
            default="auto",
            help="Column mapping preset (default: detected from the header row).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row without saving anything."
        )
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="Update contacts that already exist (same e-mail, phone or name + company).",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Orders: create a contact for a customer not found by id, e-mail or phone.",
        )
        parser.add_argument(
            "--source-system",
            default="",
            help="Orders: the system the external ids come from (re-imports stay idempotent).",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="Import as this user (default: the first active administrator).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Parse, run the kind's importer, print the JSON result."""
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Cannot read %(path)s: no such file.") % {"path": path})
        actor = self._actor(options.get("username"))
        run_file = _command_kinds()[options["entity"]].run_file
        assert run_file is not None
        try:
            summary, warnings = run_file(path, actor=actor, options=options)
        except ValidationFailed as exc:
            messages = [m for values in exc.errors.values() for m in values]
            raise CommandError(" ".join(messages)) from exc
        except TableError as exc:
            raise CommandError(exc.message) from exc
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for message in warnings:
            self.stderr.write(message)
        self.stdout.write(json.dumps(dict(summary), ensure_ascii=False))

    def _actor(self, username: str | None) -> Any:
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user named “%(name)s”.") % {"name": username})
            return user
        user = COMMAND_ACTORS[0]() if COMMAND_ACTORS else None
        if user is None:
            raise CommandError(_("There is no active administrator; pass --as USERNAME."))
        return user
