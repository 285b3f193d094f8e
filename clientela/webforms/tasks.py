"""Background work of web forms (run by the scheduler)."""

from __future__ import annotations

from clientela.webforms.services import retry_failed_submissions
from clientela.webforms.services.submitting import (
    FOLLOW_UP_SCHEDULE,
    follow_up_pending,
    process_received,
)


def retry_failed_job() -> None:
    """Scheduler entry point: process failed submissions again."""
    retry_failed_submissions()


def follow_up_job() -> None:
    """Scheduler entry point: turn received submissions into contacts, then follow them up.

    Both steps in bulk per batch: contacts, consents and events (`process_received`), then
    assignment, e-mails and the visitor's history (`follow_up_pending`). Takes up to 5,000 of
    each at a time; when that many were waiting, wakes another run for the rest.
    """
    processed = process_received(limit=FOLLOW_UP_LIMIT)
    if follow_up_pending(limit=FOLLOW_UP_LIMIT) >= FOLLOW_UP_LIMIT or processed >= FOLLOW_UP_LIMIT:
        from clientela.core.tasks import wake_schedule

        wake_schedule(FOLLOW_UP_SCHEDULE)


FOLLOW_UP_LIMIT = 5000
