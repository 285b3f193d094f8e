"""Background work of campaigns: start what is due, pick A/B winners, hand messages to delivery."""

from __future__ import annotations


def run_due_campaigns() -> None:
    """Start scheduled campaigns whose time came and decide A/B tests whose wait is over."""
    from clientela.campaigns.services.sending import run_due

    run_due()
