"""Background work of activities (run by the scheduler)."""

from __future__ import annotations

from clientela.activities.services import send_due_reminders


def send_reminders_job() -> None:
    """Scheduler entry point: send the reminders that are due."""
    send_due_reminders()
