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


class SuppressionReason(models.TextChoices):
    """Why an address is never sent to again (unsubscribed: marketing kinds only)."""

    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    SOFT_BOUNCE = "soft_bounce", _("Repeated soft bounces")
    COMPLAINT = "complaint", _("Spam complaint")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    MANUAL = "manual", _("Added by hand")
    INVALID = "invalid", _("Invalid address")


class MessageEventKind(models.TextChoices):
    """What happened to a message after it left: opens, clicks, unsubscribes, bounces."""

    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    BOUNCE_HARD = "bounce_hard", _("Bounced (hard)")
    BOUNCE_SOFT = "bounce_soft", _("Bounced (soft)")
    COMPLAINT = "complaint", _("Complained")


class MailOpsVerb(models.TextChoices):
    """Timeline/audit verbs of opens, clicks, unsubscribes, bounces and the suppression list."""

    OPENED = "message_opened", _("e-mail opened")
    CLICKED = "message_clicked", _("e-mail link clicked")
    UNSUBSCRIBED = "message_unsubscribed", _("unsubscribed from e-mail")
    BOUNCED = "message_bounced", _("e-mail bounced")
    COMPLAINED = "message_complained", _("marked an e-mail as spam")
    PREFERENCES = "mail_preferences_changed", _("e-mail preferences changed")
    SUPPRESSED = "address_suppressed", _("address suppressed")
    UNSUPPRESSED = "address_unsuppressed", _("address removed from the suppression list")


# What the system stores as a suppression's detail, told in the reader's language.
SUPPRESSION_DETAILS = {
    "one-click": _("One-click unsubscribe"),
    "mailto": _("Unsubscribe e-mail"),
    "preference page": _("Preference page"),
    "complaint": _("Spam complaint"),
    "import": _("Imported"),
}
