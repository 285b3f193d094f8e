"""`clientela import contacts|orders FILE`: import a CSV/XLSX file and print the result as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.importing.jobs import run_now, start_import, warning_messages
from clientela.contacts.importing.presets import PRESETS_ORDER
from clientela.core.exceptions import DomainError, ValidationFailed
from clientela.core.tabular import TableError
from clientela.timeline.choices import Via


def default_actor() -> User | None:
    """The first active administrator (superuser or administrator role)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role__code="administrador"))
        .order_by("id")
        .first()
    )


class Command(BaseCommand):
    """Import contacts synchronously through the same runner the web import uses."""

    help = (
        "Import contacts from a CSV or XLSX file. Prints {rows, created, updated, unchanged, "
        "errors: [{line, column, reason}]} and exits 0 when the import ran, even with row errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=["contacts", "orders"], help="What to import.")
        parser.add_argument("file", help="Path of the CSV or XLSX file.")
        parser.add_argument(
            "--preset",
            choices=["auto", *PRESETS_ORDER],
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
        """Parse, run the import, print the JSON result."""
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Cannot read %(path)s: no such file.") % {"path": path})
        actor = self._actor(options.get("username"))
        if options["entity"] == "orders":
            self._import_orders(path, actor, options)
            return
        try:
            job = start_import(
                actor=actor,
                upload=path,
                filename=path.name,
                preset=options["preset"],
                update_existing=options["update_existing"],
                dry_run=options["dry_run"],
                via=Via.CLI,
                language=settings.LANGUAGE_CODE,
            )
            result = run_now(job, actor=actor)
        except ValidationFailed as exc:
            messages = [m for values in exc.errors.values() for m in values]
            raise CommandError(" ".join(messages)) from exc
        except TableError as exc:
            raise CommandError(exc.message) from exc
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        job.refresh_from_db()
        for message in warning_messages(job):
            self.stderr.write(message)
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    def _import_orders(self, path: Path, actor: User, options: dict[str, Any]) -> None:
        """Orders go through the orders app's importer (same summary, same errors)."""
        from clientela.orders.importing import import_orders

        try:
            result = import_orders(
                actor=actor,
                path=path,
                dry_run=options["dry_run"],
                update_existing=options["update_existing"],
                create_missing=options["create_missing"],
                source_system=options["source_system"],
                via=Via.CLI,
            )
        except ValidationFailed as exc:
            messages = [m for values in exc.errors.values() for m in values]
            raise CommandError(" ".join(messages)) from exc
        except TableError as exc:
            raise CommandError(exc.message) from exc
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user named “%(name)s”.") % {"name": username})
            return user
        user = default_actor()
        if user is None:
            raise CommandError(_("There is no active administrator; pass --as USERNAME."))
        return user
