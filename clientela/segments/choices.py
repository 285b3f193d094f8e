"""Choices of the segments app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    """A dynamic segment follows its conditions; a static list is edited by hand."""

    DYNAMIC = "dynamic", _("Dynamic segment")
    STATIC = "static", _("Static list")


class SegmentVerb(models.TextChoices):
    """Timeline/audit verbs of segments (registered in SegmentsConfig.ready)."""

    SEGMENT_CREATED = "segment_created", _("segment created")
    SEGMENT_CHANGED = "segment_changed", _("segment changed")
    SEGMENT_DELETED = "segment_deleted", _("segment deleted")
    LIST_CHANGED = "list_changed", _("list members changed")
