"""Choices of the delivery app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a message travels (e-mail today; SMS and WhatsApp join as their senders land)."""

    EMAIL = "email", _("E-mail")


class MessageState(models.TextChoices):
    """Where a message is on its way out.

    queued → sending (claimed by a worker under a lease) → sent / failed; a temporary failure
    goes back to queued with a later attempt time; an administrator may cancel a queued message
    or queue a failed one again; a bulk sender may hold its queued messages and release them.
    """

    QUEUED = "queued", _("Queued")
    # Kept back by its sender (a paused campaign): never claimed until released.
    HELD = "held", _("Held")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryVerb(models.TextChoices):
    """Timeline/audit verbs of delivery (registered in DeliveryConfig.ready)."""

    QUEUED = "message_queued", _("message queued")
    SENT = "message_sent", _("message sent")
    FAILED = "message_failed", _("message failed")
    CANCELLED = "message_cancelled", _("message cancelled")
    RETRIED = "message_retried", _("message queued again")
