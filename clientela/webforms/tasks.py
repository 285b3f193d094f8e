"""Background work of web forms (run by the scheduler)."""

from __future__ import annotations

from clientela.webforms.services import retry_failed_submissions


def retry_failed_job() -> None:
    """Scheduler entry point: process failed and stuck submissions again."""
    retry_failed_submissions()
