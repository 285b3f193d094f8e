"""Choices of the tracking app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentMode(models.TextChoices):
    """When the script may keep the visitor id in the `clv_id` cookie of the host site."""

    ALWAYS = "always", _("Always (no consent needed)")
    AFTER_CONSENT = "after_consent", _("Only after the visitor consents")
    NEVER = "never", _("Never (each page on its own)")


class EventKind(models.IntegerChoices):
    """What the visitor did (a small integer: the event table stays narrow)."""

    PAGEVIEW = 1, _("Page view")
    CLICK = 2, _("Click")


KIND_CODES = {"pageview": EventKind.PAGEVIEW, "click": EventKind.CLICK}


class TrackingVerb(models.TextChoices):
    """Timeline/audit verbs of tracking (registered in TrackingConfig.ready)."""

    SITE_CREATED = "site_created", _("tracked site created")
    SITE_CHANGED = "site_changed", _("tracked site changed")
    VISITOR_IDENTIFIED = "visitor_identified", _("web visits joined")
