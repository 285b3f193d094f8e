"""Nightly housekeeping run by the scheduler."""

from __future__ import annotations

from django.core.management import call_command


def clear_expired_sessions() -> None:
    """Delete expired sessions (Django's clearsessions)."""
    call_command("clearsessions")


def prune_finished_tasks() -> None:
    """Delete finished background-task results older than a week."""
    call_command("prune_db_task_results", min_age_days=7, verbosity=0)
