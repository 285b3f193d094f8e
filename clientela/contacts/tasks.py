"""Background tasks of the contacts app (run by django-tasks' database worker)."""

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
