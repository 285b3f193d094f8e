"""Background work of billing (run by the scheduler)."""

from __future__ import annotations

from clientela.billing import services


def expire_quotes_job() -> None:
    """Scheduler entry point: expire the quotes past their validity."""
    services.expire_quotes()


def flag_overdue_job() -> None:
    """Scheduler entry point: give owners a task for each newly overdue instalment."""
    services.flag_overdue()


def sync_orders_job() -> None:
    """Scheduler entry point: keep Orders in line with the sales they come from."""
    services.sync_orders()
