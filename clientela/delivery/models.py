"""The outbound message: one row per message Clientela sends, whatever app asked for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.contacts.models import Contact
from clientela.delivery.choices import Channel, MessageState


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
