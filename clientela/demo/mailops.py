"""Demo suppression list: a few addresses that bounced, complained or unsubscribed.

Drawn from the demo's contacts with a seeded generator and added through the delivery
services as the system would (each with its timeline event, dated now: after its contact).
"""

from __future__ import annotations

import random

from clientela.contacts.models import Contact
from clientela.delivery.choices import SuppressionReason
from clientela.delivery.services.suppression import suppress

REASONS = (
    (SuppressionReason.HARD_BOUNCE, "550 5.1.1 The email account that you tried to reach does not exist"),
    (SuppressionReason.HARD_BOUNCE, "550 5.1.1 <user>: Recipient address rejected: User unknown"),
    (SuppressionReason.SOFT_BOUNCE, "452 4.2.2 Mailbox full (3 times)"),
    (SuppressionReason.COMPLAINT, "Abuse report from a feedback loop"),
    (SuppressionReason.UNSUBSCRIBED, "one-click"),
    (SuppressionReason.UNSUBSCRIBED, "preference page"),
)  # fmt: skip


def seed_suppressions(seed: int = 2026) -> int:
    """Suppress a handful of demo contacts' addresses; return how many."""
    rng = random.Random(seed)
    emails = list(
        Contact.objects.exclude(email="").order_by("id").values_list("email", flat=True)[:400]
    )
    if not emails:
        return 0
    chosen = rng.sample(emails, min(len(REASONS), len(emails)))
    for email, (reason, detail) in zip(chosen, REASONS, strict=False):
        suppress(email, reason=reason, actor=None, detail=detail)
    return len(chosen)
