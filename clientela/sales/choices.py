"""Choices of the sales app: its timeline verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesVerb(models.TextChoices):
    """Verbs the sales app writes to the audit log."""

    PLAN_CHANGED = "sales_plan_changed", _("sales plan changed")
