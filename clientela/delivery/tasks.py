"""Background tasks of the delivery app (run by django-tasks' worker, `db_worker`)."""

from __future__ import annotations

from django_tasks import task

from clientela.delivery.services.mailbox import read_configured_mailbox
from clientela.delivery.services.sending import send_due as send_due_messages


@task()
def send_due() -> dict[str, int]:
    """Send every due message (the scheduler's `delivery.send_due` runs the same function)."""
    return send_due_messages()


def read_bounce_mailbox_job() -> int:
    """Scheduler entry point: read the bounce mailbox once, if one is configured."""
    return read_configured_mailbox()
