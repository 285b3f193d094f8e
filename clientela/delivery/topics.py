"""The topics of marketing e-mail a recipient can leave one by one on the preference page.

A topic ("newsletter", "promotions") is what `Message.purpose` names on a marketing message.
Topics are preferences beneath the legal consent: the consent ledger (`contacts.Consent`,
channel e-mail, purpose marketing) says whether any marketing e-mail may be sent; a topic
opt-out (`TopicOptOut`) says which kinds of it the person no longer wants. Leaving every topic
on the preference page (or the one-click unsubscribe) withdraws the marketing consent in the
ledger and suppresses the address for marketing mail (docs/decisions.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Topic:
    """A topic of marketing e-mail: its key (stored in Message.purpose) and es/en label."""

    key: str
    label: str | Promise
    order: int = 100


TOPICS: dict[str, Topic] = {}


def register_topic(key: str, label: str | Promise, *, order: int = 100) -> Topic:
    """Register a topic (call from an AppConfig.ready); registering it again is harmless."""
    if not TOPIC_PATTERN.match(key):
        raise ImproperlyConfigured(f"mail topic {key!r} must be lowercase letters and digits")
    topic = Topic(key, label, order)
    known = TOPICS.get(key)
    if known is not None and known != topic:
        raise ImproperlyConfigured(f"mail topic {key!r} is registered twice")
    TOPICS[key] = topic
    return topic


def topics() -> list[Topic]:
    """Return the registered topics in their order."""
    return sorted(TOPICS.values(), key=lambda topic: (topic.order, topic.key))


def topic_label(key: str) -> str:
    """Return a topic as people read it (the key when unregistered)."""
    topic = TOPICS.get(key)
    return str(topic.label) if topic is not None else key
