"""Background work of web forms (run by the scheduler)."""

from __future__ import annotations

from clientela.webforms.services import retry_failed_submissions
from clientela.webforms.services.submitting import follow_up_pending


def retry_failed_job() -> None:
    """Scheduler entry point: process failed and stuck submissions again."""
    retry_failed_submissions()


def follow_up_job() -> None:
    """Scheduler entry point: assign, e-mail and join the history of new submissions."""
    follow_up_pending()
