"""Background tasks of the deals app (run by django-tasks' database worker, `db_worker`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clientela.core.imports import job_counts
from clientela.deals.importing import run_deal_import


@task()
def import_deals(job_id: int) -> dict[str, Any] | None:
    """Run (or resume) a deal import job; returns its counts, None if another worker has it."""
    job = run_deal_import(job_id)
    if job is None:
        return None
    return job_counts(job)
