"""`clientela demo`: migrate an SQLite database, load the demo company once, serve it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from clientela.demo.processes import (
    background_commands,
    default_web_workers,
    server_command,
    supervise,
)
from clientela.demo.seeding import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    """Create the database, load the demo company once and serve Clientela."""

    help = "Create the database, load the demo company (once) and serve Clientela."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare where to serve and how large a demo to build."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--contacts", type=int, default=2000, help="demo contacts to create")
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        """Migrate, seed the demo company when missing, then serve it (unless `--no-serve`)."""
        translation.activate("es")
        call_command("migrate", interactive=False, verbosity=0)
        created = load_demo(contacts=options["contacts"])
        if created:
            self.stdout.write(f"Demo data loaded: {created} contacts.")
        else:
            self.stdout.write("Demo data already loaded.")
        database = settings.DATABASES["default"]
        self.stdout.write(f"Database: {database['NAME']}")
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(f"  Clientela: {url}")
        self.stdout.write(f"  API docs:  {url}api/docs")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, depts in DEMO_USERS:
            self.stdout.write(f"    {username:<10} {first} {last} — {role} ({', '.join(depts)})")
        self.stdout.write("")
        self.stdout.flush()
        if options["no_serve"]:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        raise SystemExit(
            supervise(
                [
                    server_command(options["host"], options["port"], default_web_workers(), 1),
                    *background_commands(),
                ]
            )
        )
