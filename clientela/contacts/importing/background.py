"""The background task that runs an import job (django-tasks; the worker is `db_worker`).

It lives beside the runner so the import services can queue it; `contacts.tasks` re-exports
it as the app's list of tasks.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clientela.contacts.importing.runner import run_import


@task()
def import_contacts(job_id: int) -> dict[str, Any] | None:
    """Run (or resume) a contacts import job; returns its counts, None if another worker has it."""
    result = run_import(job_id)
    if result is None:
        return None
    return {**result.as_dict(), "errors": result.rejected}
