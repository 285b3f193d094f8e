"""Reads of the delivery app: who may open the outbox, and its filtered lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import NotFound
from clientela.delivery.choices import MessageState
from clientela.delivery.models import Message

# The columns the outbox list shows (the bodies stay in the table until a message is opened).
LIST_FIELDS = (
    "id",
    "channel",
    "kind",
    "contact_id",
    "to_address",
    "subject",
    "state",
    "attempts",
    "queued_at",
    "sent_at",
    "next_attempt_at",
    "smtp_code",
    "last_error",
)


def may_view_messages(user: Any) -> bool:
    """Whether `user` may open the outbox (every message: it is an administration screen)."""
    return has_capability(user, "delivery.view_messages")


def may_manage_messages(user: Any) -> bool:
    """Whether `user` may cancel queued messages and queue failed ones again."""
    return has_capability(user, "delivery.manage_messages")


def messages_visible_to(user: Any) -> QuerySet[Message]:
    """Return the messages `user` may see: all of them with the capability, none without."""
    if not may_view_messages(user):
        return Message.objects.none()
    return Message.objects.all()


def get_message_for_user(user: Any, pk: int) -> Message:
    """Return the message `pk` if `user` may see it, else raise NotFound."""
    message = messages_visible_to(user).select_related("contact", "queued_by").filter(pk=pk).first()
    if message is None:
        raise NotFound("message")
    return message


@dataclass(frozen=True)
class MessageFilters:
    """The outbox filters: state, kind and the start of the recipient's address."""

    state: str = ""
    kind: str = ""
    q: str = ""

    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.state or self.kind or self.q)


def filter_messages(user: Any, filters: MessageFilters) -> QuerySet[Message]:
    """Return the visible messages matching `filters`, newest first, with the list's columns."""
    qs = messages_visible_to(user)
    if filters.state in MessageState.values:
        qs = qs.filter(state=filters.state)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    term = filters.q.strip()
    if term:
        # A prefix of the address (indexed); typed case is tried as written and lowercased.
        qs = qs.filter(Q(to_address__startswith=term) | Q(to_address__startswith=term.lower()))
    return qs.only(*LIST_FIELDS).order_by("-id")


def group_progress(group: str) -> dict[str, int]:
    """Return how many of the group's messages are in each state (every state present)."""
    counts = dict.fromkeys(MessageState.values, 0)
    for row in (
        Message.objects.filter(group=group).values("state").annotate(n=Count("id")).order_by()
    ):
        counts[row["state"]] = row["n"]
    return counts
