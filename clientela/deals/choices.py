"""Choices of deals: stage kinds, BANT answers, attendance and the timeline verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The record type of deal custom fields (registered in DealsConfig.ready).
DEAL_ENTITY = "deal"


class StageKind(models.TextChoices):
    """Whether a stage is still in play, or closes the deal as won or lost."""

    OPEN = "open", pgettext_lazy("stage kind", "Open")
    WON = "won", pgettext_lazy("stage kind", "Won")
    LOST = "lost", pgettext_lazy("stage kind", "Lost")


class Authority(models.TextChoices):
    """Who decides the purchase (the A of BANT)."""

    UNKNOWN = "", _("Not asked yet")
    ALONE = "alone", _("The buyer alone")
    FAMILY = "family", _("With the family")
    COMMITTEE = "committee", _("A committee")


class Timeframe(models.TextChoices):
    """When the buyer means to buy (the T of BANT)."""

    UNKNOWN = "", _("Not asked yet")
    NOW = "now", _("Right away")
    QUARTER = "quarter", _("Within 3 months")
    HALF = "half", _("In 3 to 6 months")
    LATER = "later", _("In more than 6 months")


class Attendance(models.TextChoices):
    """Whether the prospect came to the appointment."""

    PENDING = "pending", _("Pending")
    YES = "yes", _("Came")
    NO_SHOW = "no_show", _("Did not come")


class DealVerb(models.TextChoices):
    """Timeline verbs of deals and pipelines (registered with their sentences in ready())."""

    CREATED = "deal_created", _("deal created")
    CHANGED = "deal_changed", _("deal changed")
    MOVED = "deal_moved", _("deal moved to another stage")
    DELETED = "deal_deleted", _("deal deleted")
    LINE_ADDED = "deal_line_added", _("line added to a deal")
    LINE_REMOVED = "deal_line_removed", _("line removed from a deal")
    PIPELINE_CHANGED = "pipeline_changed", _("pipeline changed")
    LOST_REASONS_CHANGED = "lost_reasons_changed", _("lost reasons changed")
