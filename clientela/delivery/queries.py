"""Reads of the delivery app: who may open the outbox, and its filtered lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import NotFound
from clientela.delivery.choices import MessageState, SuppressionReason
from clientela.delivery.kinds import KINDS
from clientela.delivery.models import (
    Message,
    MessageAttachment,
    MessageEvent,
    Suppression,
    TopicOptOut,
)

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


def attachments_of(message: Message) -> list[MessageAttachment]:
    """Return the files sent with `message`: name, type and size (their bytes stay unread)."""
    rows = MessageAttachment.objects.filter(message=message).order_by("id")
    return list(rows.only("id", "message_id", "filename", "mimetype", "size"))


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


# --- Mail operations: suppression, topics, tracking ------------------------------------------


def is_marketing(kind: str) -> bool:
    """Whether messages of `kind` are marketing mail (List-Unsubscribe, tracking, opt-outs)."""
    registered = KINDS.get(kind)
    return registered is not None and registered.marketing


def suppression_reasons(emails: Iterable[str]) -> dict[str, str]:
    """Return {address: reason} for the suppressed ones among `emails` (compared lowercased)."""
    wanted = {email.strip().lower() for email in emails if email and email.strip()}
    found: dict[str, str] = {}
    pending = sorted(wanted)
    for start in range(0, len(pending), 1000):
        chunk = pending[start : start + 1000]
        found.update(Suppression.objects.filter(email__in=chunk).values_list("email", "reason"))
    return found


def topic_opt_outs(emails: Iterable[str], topic: str) -> set[str]:
    """Return the addresses among `emails` that left `topic` on their preference page."""
    wanted = sorted({email.strip().lower() for email in emails if email and email.strip()})
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(
            TopicOptOut.objects.filter(topic=topic, email__in=chunk).values_list("email", flat=True)
        )
    return found


def refusal_reasons(messages: Sequence[Message]) -> dict[int, str]:
    """Return {message id: why} for the messages the worker must not send (two queries).

    Hard bounces, complaints, invalid and hand-added addresses refuse every message;
    an unsubscribed address and a topic the recipient left refuse marketing mail only.
    """
    addresses = {message.to_address.strip().lower() for message in messages}
    suppressed = suppression_reasons(addresses)
    topics = {m.purpose for m in messages if m.purpose and is_marketing(m.kind)}
    opted_out: set[tuple[str, str]] = set()
    if topics:
        opted_out = set(
            TopicOptOut.objects.filter(email__in=addresses, topic__in=topics).values_list(
                "email", "topic"
            )
        )
    refused: dict[int, str] = {}
    for message in messages:
        address = message.to_address.strip().lower()
        marketing = is_marketing(message.kind)
        reason = suppressed.get(address)
        if reason is not None and (reason != SuppressionReason.UNSUBSCRIBED or marketing):
            refused[message.pk] = reason
        elif marketing and message.purpose and (address, message.purpose) in opted_out:
            refused[message.pk] = "topic_opt_out"
    return refused


def message_for_token(token: str) -> Message | None:
    """Return the message whose public links carry `token`, else None."""
    return Message.objects.filter(token=token).select_related("contact").first()


def contacts_with_events(
    kinds: Iterable[str],
    *,
    since: datetime | None = None,
    human_only: bool = True,
    message_kind: str | None = None,
    group: str | None = None,
) -> QuerySet[MessageEvent, int]:
    """Return the contact ids with an event of `kinds` (opens, clicks…) as a flat values queryset.

    For segment conditions ("opened a campaign in the last 30 days") and reports: use it as
    `Contact.objects.filter(pk__in=contacts_with_events([...]))`. Machine opens and scanner
    clicks are left out unless `human_only` is False.
    """
    qs = MessageEvent.objects.filter(kind__in=list(kinds), message__contact_id__isnull=False)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if human_only:
        qs = qs.filter(machine=False)
    if message_kind:
        qs = qs.filter(message__kind=message_kind)
    if group:
        qs = qs.filter(message__group=group)
    return qs.values_list("message__contact_id", flat=True)


def may_manage_suppressions(user: Any) -> bool:
    """Whether `user` may see and change the suppression list."""
    return has_capability(user, "delivery.manage_suppressions")


def suppressions_visible_to(user: Any) -> QuerySet[Suppression]:
    """Return the suppressions `user` may see: all with the capability, none without."""
    if not may_manage_suppressions(user):
        return Suppression.objects.none()
    return Suppression.objects.all()


def get_suppression_for_user(user: Any, pk: int) -> Suppression:
    """Return the suppression `pk` if `user` may see it, else raise NotFound."""
    found = suppressions_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound("suppression")
    return found


@dataclass(frozen=True)
class SuppressionFilters:
    """The suppression list filters: the start of the address and the reason."""

    q: str = ""
    reason: str = ""

    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.q or self.reason)


def filter_suppressions(user: Any, filters: SuppressionFilters) -> QuerySet[Suppression]:
    """Return the visible suppressions matching `filters`, newest first."""
    qs = suppressions_visible_to(user)
    if filters.reason in SuppressionReason.values:
        qs = qs.filter(reason=filters.reason)
    term = filters.q.strip().lower()
    if term:
        qs = qs.filter(email__startswith=term)
    return qs.select_related("created_by").order_by("-created_at", "-id")


def group_progress(group: str) -> dict[str, int]:
    """Return how many of the group's messages are in each state (every state present)."""
    counts = dict.fromkeys(MessageState.values, 0)
    for row in (
        Message.objects.filter(group=group).values("state").annotate(n=Count("id")).order_by()
    ):
        counts[row["state"]] = row["n"]
    return counts
