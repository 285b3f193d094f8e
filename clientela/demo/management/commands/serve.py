"""`clientela serve`: production server (granian) plus the worker, scheduler and senders."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from clientela.demo.processes import (
    background_commands,
    default_web_workers,
    server_command,
    supervise,
)


class Command(BaseCommand):
    """Serve Clientela with the production server, the worker, the scheduler and the senders."""

    help = "Serve Clientela with the production server and run the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the address, the web workers and threads, and `--no-worker`."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CLIENTELA_WEB_WORKERS", "0")) or None,
                            help="web worker processes (default: one per CPU core)")  # fmt: skip
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("CLIENTELA_WEB_THREADS", "1"))
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve only; run `clientela worker` (and senders) elsewhere",
        )
        parser.add_argument(
            "--senders",
            type=int,
            default=None,
            help="`clientela sender` processes beside the worker (default: CLIENTELA_SENDERS, "
            "else one per CPU core but one, at least one; 0 for none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Collect static files, then supervise the server, worker, scheduler and senders."""
        call_command("collectstatic", interactive=False, verbosity=0)
        workers = options["workers"] or default_web_workers()
        commands = [server_command(options["host"], options["port"], workers, options["threads"])]
        if not options["no_worker"]:
            commands += background_commands(options["senders"])
        self.stdout.write(
            f"Clientela: http://{options['host']}:{options['port']}/ (Ctrl-C to stop)"
        )
        self.stdout.flush()
        raise SystemExit(supervise(commands))
