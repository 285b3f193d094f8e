"""The outbound message: one row per message Clientela sends, whatever app asked for it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.contacts.models import Contact
from clientela.delivery.choices import (
    Channel,
    MessageEventKind,
    MessageState,
    SuppressionReason,
)

TOKEN_BYTES = 20  # 160 bits, 40 lowercase hex digits: survives a mail server lowercasing VERP


def new_token() -> str:
    """Return a fresh message token: random, unguessable, safe in URLs and e-mail addresses."""
    return secrets.token_hex(TOKEN_BYTES)


class Message(models.Model):
    """One outbound message, from queued to sent or failed, with its transport's answer.

    The worker claims due rows under a lease (`leased_until`, `lease_owner`); a row left in
    `sending` after its lease expired belongs to a killed worker and is claimed again.
    """

    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    kind = models.CharField(_("kind"), max_length=64)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_messages",
    )
    to_address = models.CharField(_("to"), max_length=254, db_index=True)
    from_address = models.CharField(_("from"), max_length=320)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    html_body = models.TextField(_("HTML part"), blank=True)
    text_body = models.TextField(_("text part"), blank=True)
    language = models.CharField(_("language"), max_length=5, default="es")
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    # A bulk sender's messages ("campaign:12") and each one's key in it ("r:345"): one
    # message per (group, ref), so a retried snapshot queues nobody twice.
    group = models.CharField(_("group"), max_length=100, blank=True)
    ref = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    # The secret of its public links (pixel, clicks, unsubscribe) and its bounce address.
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    # The topic a marketing message belongs to ("newsletter"; blank for transactional mail).
    purpose = models.CharField(_("purpose"), max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    smtp_code = models.PositiveSmallIntegerField(_("SMTP code"), null=True, blank=True)
    smtp_response = models.TextField(_("SMTP answer"), blank=True)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("queued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "ref"],
                condition=~Q(ref=""),
                name="delivery_msg_group_ref_uniq",
            ),
        ]
        indexes = [
            # A group's progress (counts by state), its pause and resume.
            models.Index(
                fields=["group", "state"], condition=~Q(group=""), name="delivery_msg_group_idx"
            ),
            # The worker's claim: due queued messages, oldest attempt first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="queued"),
                name="delivery_msg_due_idx",
            ),
            # Reclaiming a killed worker's batch: sending rows whose lease expired.
            models.Index(
                fields=["leased_until"],
                condition=Q(state="sending"),
                name="delivery_msg_lease_idx",
            ),
            # The outbox filters, newest first.
            models.Index(fields=["state", "-id"], name="delivery_msg_state_idx"),
            models.Index(fields=["kind", "-id"], name="delivery_msg_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address}"


@dataclass(frozen=True)
class Attachment:
    """A file to send with an e-mail: its name as the recipient sees it, its bytes and type."""

    filename: str
    content: bytes
    mimetype: str


class MessageAttachment(models.Model):
    """A file sent with a message, stored with it so every attempt sends the same bytes."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=150)
    mimetype = models.CharField(_("type"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.filename


class MessageEvent(models.Model):
    """Something that happened to a sent message: an open, a click, a bounce, a complaint.

    Public endpoints write these with one INSERT; `posted` says whether the contact's
    timeline has it yet (a scheduled job posts them in bulk).
    """

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MessageEventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    machine = models.BooleanField(_("automatic"), default=False)
    url = models.TextField(_("link"), blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    posted = models.BooleanField(default=False)
    # The report this event came from (a DSN, an ARF report, a provider's event), as a digest:
    # a report read twice (a mailbox whose deletions were lost, a webhook delivered again) is
    # recorded once.
    # A database default too: the public endpoints and the sender write events with INSERTs of
    # their own that do not name this column.
    report = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        indexes = [
            models.Index(fields=["message", "kind"], name="delivery_mev_msg_idx"),
            models.Index(fields=["kind", "at"], name="delivery_mev_kind_idx"),
            models.Index(fields=["id"], condition=Q(posted=False), name="delivery_mev_post_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report"], condition=~Q(report=""), name="delivery_mev_report_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class Suppression(models.Model):
    """An address Clientela never sends to again, and why (one row per normalised address)."""

    email = models.CharField(_("e-mail"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        indexes = [models.Index(fields=["-created_at", "-id"], name="delivery_sup_new_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class TopicOptOut(models.Model):
    """An address that asked for no more e-mails of one topic (its preference page)."""

    email = models.CharField(_("e-mail"), max_length=254)
    topic = models.CharField(_("topic"), max_length=32)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("topic opt-out")
        verbose_name_plural = _("topic opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["email", "topic"], name="delivery_optout_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} ✗ {self.topic}"
