"""Choices of the campaigns app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BlockType(models.TextChoices):
    """The blocks an e-mail template is built of."""

    HEADING = "heading", _("Heading")
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    BUTTON = "button", _("Button")
    COLUMNS = "columns", _("Two columns")
    DIVIDER = "divider", _("Divider")
    FOOTER = "footer", _("Footer")


class TemplateMode(models.TextChoices):
    """How a template's content is written: with blocks or as HTML source."""

    BLOCKS = "blocks", _("Blocks")
    HTML = "html", _("HTML source")


class CampaignState(models.TextChoices):
    """Where a campaign is: draft → scheduled → sending (testing) → sent; paused, cancelled."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    TESTING = "testing", _("A/B test running")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduleMode(models.TextChoices):
    """When a campaign goes out."""

    NOW = "now", _("As soon as it is sent")
    AT = "at", _("At a date and time (company time zone)")
    LOCAL = "local", _("At the same local hour for each recipient")


class AbTarget(models.TextChoices):
    """What an A/B test varies."""

    NONE = "", _("No A/B test")
    SUBJECT = "subject", _("Subject")
    SENDER = "sender", _("Sender")
    CONTENT = "content", _("Content")


class WinnerMetric(models.TextChoices):
    """How the winning variant of an A/B test is chosen."""

    OPENS = "opens", _("Unique opens")
    CLICKS = "clicks", _("Unique clicks")


class Exclusion(models.TextChoices):
    """Why a member of the audience is not sent the campaign."""

    NO_CONSENT = "no_consent", _("No marketing consent")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    INVALID = "invalid", _("Invalid or missing address")


class Phase(models.TextChoices):
    """Which part of the send a recipient belongs to."""

    ALL = "all", _("Whole audience")
    TEST = "test", _("A/B sample")
    REST = "rest", _("Rest, after the A/B test")


class CampaignVerb(models.TextChoices):
    """Timeline/audit verbs of campaigns (registered in CampaignsConfig.ready)."""

    TEMPLATE_CREATED = "email_template_created", _("e-mail template created")
    TEMPLATE_CHANGED = "email_template_changed", _("e-mail template changed")
    TEMPLATE_DELETED = "email_template_deleted", _("e-mail template deleted")
    TEST_SENT = "campaign_test_sent", _("test e-mail sent")
    CAMPAIGN_CREATED = "campaign_created", _("campaign created")
    CAMPAIGN_CHANGED = "campaign_changed", _("campaign changed")
    CAMPAIGN_SCHEDULED = "campaign_scheduled", _("campaign scheduled")
    CAMPAIGN_STARTED = "campaign_started", _("campaign sending started")
    CAMPAIGN_PAUSED = "campaign_paused", _("campaign paused")
    CAMPAIGN_RESUMED = "campaign_resumed", _("campaign resumed")
    CAMPAIGN_CANCELLED = "campaign_cancelled", _("campaign cancelled")
    CAMPAIGN_WINNER = "campaign_winner", _("A/B winner chosen")
