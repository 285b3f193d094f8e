"""Background tasks of the orders app (run by django-tasks' database worker, `db_worker`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clientela.orders.importing import run_order_import


@task()
def import_orders(job_id: int) -> dict[str, Any] | None:
    """Run (or resume) an order import job; returns its counts, None if another worker has it."""
    result = run_order_import(job_id)
    if result is None:
        return None
    return {**result.as_dict(), "errors": len(result.errors)}
