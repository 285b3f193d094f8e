"""Background work of web forms (run by the scheduler)."""

from __future__ import annotations

from clientela.webforms.services import retry_failed_submissions
from clientela.webforms.services.submitting import FOLLOW_UP_SCHEDULE, follow_up_pending


def retry_failed_job() -> None:
    """Scheduler entry point: process failed and stuck submissions again."""
    retry_failed_submissions()


def follow_up_job() -> None:
    """Scheduler entry point: assign, e-mail and join the history of new submissions.

    Takes up to 5,000 at a time; when that many were waiting, wakes another run for the rest.
    """
    if follow_up_pending(limit=FOLLOW_UP_LIMIT) >= FOLLOW_UP_LIMIT:
        from clientela.core.tasks import wake_schedule

        wake_schedule(FOLLOW_UP_SCHEDULE)


FOLLOW_UP_LIMIT = 5000
