"""Factories for outbound messages.

`MessageFactory` writes a message row straight to the table (no event, nobody woken): lists
and states for screens. `QueuedEmailFactory` queues an e-mail through `queue_email` as the
system (or `actor`) would: validated, with its Message-ID and its "queued" event.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

import factory

from clientela.delivery.choices import MessageState, SuppressionReason
from clientela.delivery.models import Message, Suppression
from clientela.delivery.services import queue_email


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """A message row (queued by default) to a numbered address."""

    class Meta:
        model = Message

    kind = "delivery.test"
    to_address = factory.Sequence(lambda n: f"persona{n}@example.co")
    from_address = "Clientela <no-reply@example.co>"
    subject = factory.Sequence(lambda n: f"Mensaje {n}")
    html_body = "<p>Hola</p>"
    text_body = "Hola\n"
    message_id = factory.LazyFunction(lambda: make_msgid(domain="example.co"))
    state = MessageState.QUEUED


class QueuedEmailFactory(factory.django.DjangoModelFactory[Message]):
    """An e-mail queued through the service (validated, on the audit log)."""

    class Meta:
        model = Message

    kind = "delivery.test"
    to = factory.Sequence(lambda n: f"cliente{n}@example.co")
    subject = "Bienvenida"
    html = "<p>Hola</p>"
    contact = None
    actor = None

    @classmethod
    def _create(cls, model_class: type[Message], *args: Any, **kwargs: Any) -> Message:
        return queue_email(**kwargs)


class SuppressionFactory(factory.django.DjangoModelFactory[Suppression]):
    """A suppressed address (a hard bounce by default)."""

    class Meta:
        model = Suppression

    email = factory.Sequence(lambda n: f"rebote{n}@example.co")
    reason = SuppressionReason.HARD_BOUNCE


MARKETING_KIND = "delivery.marketing_test"


def register_marketing_kind() -> str:
    """Register a marketing kind for tests (the campaigns app registers the real one)."""
    from clientela.delivery.kinds import register_kind

    register_kind(MARKETING_KIND, "Marketing test", marketing=True)
    return MARKETING_KIND
