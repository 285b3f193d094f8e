"""Delivery's suppression list as the campaigns audience sees it.

delivery owns `Suppression` (one normalised address per row, with a reason). The audience
leaves out every contact whose address is on it; this module maps its reasons onto the
exclusion reasons a marketer reads (bounced, complained, unsubscribed, invalid).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q

BOUNCE_REASONS = ("hard_bounce", "soft_bounce")
COMPLAINT_REASONS = ("complaint",)
# An address an administrator suppressed by hand is left out as "unsubscribed": the person
# asked not to be written to, by another way than the link.
UNSUB_REASONS = ("unsubscribed", "manual")
INVALID_REASONS = ("invalid",)


def suppression_model() -> type[Model] | None:
    """Return delivery's Suppression model, or None on an installation without it."""
    try:
        return apps.get_model("delivery", "Suppression")
    except LookupError:
        return None


def suppression_q(reasons: tuple[str, ...] | None = None) -> Q:
    """Match contacts whose e-mail address is suppressed (for one of `reasons`, or any)."""
    model = suppression_model()
    if model is None:
        return Q(pk__isnull=True)  # matches nobody (an empty IN would void a whole aggregate)
    rows = model._default_manager.filter(email=OuterRef("email"))
    if reasons is not None:
        rows = rows.filter(reason__in=reasons)
    return Q(Exists(rows))
