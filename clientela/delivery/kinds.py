"""The kinds of message apps send ("webforms.welcome"), registered with es/en labels.

An app registers each kind it queues in its AppConfig.ready(); the outbox shows the label in
the reader's language and filters by it. `queue_email` refuses a kind nobody registered, so a
typo fails in the tests instead of filling the outbox with unlabelled rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

if TYPE_CHECKING:
    from clientela.delivery.models import Message

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
MAX_KIND_LENGTH = 64


class UnknownKind(LookupError):
    """A message kind nobody registered (a programming error, not bad user input)."""


@dataclass(frozen=True)
class Rendered:
    """A message's content made at send time by its kind's renderer."""

    subject: str
    html: str
    text: str
    from_email: str | None = None


# Makes the content of a batch of claimed messages at once (one template load, one query for
# the contacts' values): message id → its content. A message missing from the answer has
# nothing to send any more (its campaign was deleted) and fails without retry.
Renderer = Callable[[Sequence["Message"]], Mapping[int, Rendered]]


@dataclass(frozen=True)
class MessageKind:
    """A registered kind of message: key ("<app>.<what>"), label, and how it is sent.

    `marketing` kinds are bulk mail a person subscribed to: they carry the unsubscribe headers
    and links, are tracked, and are never sent to an address that unsubscribed. A kind with a
    `renderer` is queued without a body (`services.bulk.queue_bulk`): the worker asks the
    renderer for each claimed batch's content, so a campaign never stores 100,000 bodies.
    """

    key: str
    label: str | Promise
    marketing: bool = False
    renderer: Renderer | None = None


KINDS: dict[str, MessageKind] = {}


def register_kind(
    key: str,
    label: str | Promise,
    *,
    marketing: bool = False,
    renderer: Renderer | None = None,
) -> MessageKind:
    """Register a kind of message (call from an AppConfig.ready); a key belongs to one app."""
    if not KIND_PATTERN.match(key) or len(key) > MAX_KIND_LENGTH:
        raise ImproperlyConfigured(f"message kind {key!r} must read '<app>.<what>'")
    kind = MessageKind(key, label, marketing=marketing, renderer=renderer)
    known = KINDS.get(key)
    if known is not None and known != kind:
        raise ImproperlyConfigured(f"message kind {key!r} is registered twice")
    KINDS[key] = kind
    return kind


def require_kind(key: str) -> MessageKind:
    """Return the registered kind, or raise UnknownKind."""
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownKind(f"message kind {key!r} is not registered") from None


def kind_label(key: str) -> str:
    """Return a kind as people read it in the current language (the key when unregistered)."""
    kind = KINDS.get(key)
    return str(kind.label) if kind is not None else key


def kind_choices() -> list[tuple[str, str]]:
    """Return (key, label) of every registered kind, sorted by label, for filters."""
    return sorted(((k.key, str(k.label)) for k in KINDS.values()), key=lambda pair: pair[1])
