"""Background work for customer value: the recompute button's job and the nightly snapshot."""

from __future__ import annotations

from django_tasks import task

from clientela.analytics import services


@task()
def run_customer_value_task(job_id: int) -> None:
    """Worker side of the recompute button: compute a snapshot and report on its Job."""
    services.run_customer_value_job(job_id)


def nightly_customer_value_snapshot() -> None:
    """Recompute customer value; `clientela scheduler` runs it nightly (registered in orders)."""
    services.compute_nightly_snapshot()
