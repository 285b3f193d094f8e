"""Leads that arrive from elsewhere: ad platforms' webhooks and any signed JSON webhook.

Each protocol module turns a verified request into an `InboundLead` — the same shape whatever
the sender — which the submission pipeline then stores raw and processes like a form post.
The modules are pure protocol: signatures, challenges, payload shapes, the Graph API fetch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class InboundRefused(Exception):
    """A request the sender must not be told much about: bad signature, stale, malformed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # for the log and the admin screen, never echoed to the caller


@dataclass(frozen=True)
class InboundLead:
    """One lead as Clientela reads it: its id at the sender, contact fields, where it came from."""

    source: str  # "meta", "google", "webhook"
    external_id: str  # the sender's lead id: the replay and idempotency key
    fields: dict[str, str]  # contact field -> value (first_name, email, phone, city, …)
    extra: dict[str, str] = field(default_factory=dict)  # the sender's other answers, as given
    attribution: dict[str, str] = field(default_factory=dict)  # utm_* and the sender's ids
    is_test: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


def split_full_name(full: str) -> tuple[str, str]:
    """Return (first, last) from a full name: the first word, then the rest."""
    words = full.split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])
