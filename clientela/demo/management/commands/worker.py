"""`clientela worker`: run background jobs (imports, exports, recomputes, sends)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    """Run the background worker that executes queued jobs."""

    help = "Run the background worker that executes queued jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the queue to work and `--batch`."""
        parser.add_argument("--queue-name", default="default")
        parser.add_argument(
            "--batch", action="store_true", help="process what is queued, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the configured backend's worker: django-tasks' database worker, or RQ's."""
        if settings.TASKS_BACKEND_NAME == "rq":
            # RQ's worker with django-tasks-rq's job class (it runs the task, not a bare function).
            call_command(
                "rqworker",
                options["queue_name"],
                job_class="django_tasks_rq.Job",
                burst=options["batch"],
                with_scheduler=not options["batch"],
            )
            return
        call_command(
            "db_worker",
            queue_name=options["queue_name"],
            batch=options["batch"],
            reload=False,
            startup_delay=False,
        )
