"""Delivery's suppression list as the campaigns audience sees it.

delivery owns `Suppression` (one normalised address per row, with a reason). The audience
leaves out every contact whose address is on it; this module maps its reasons onto the
exclusion reasons a marketer reads (bounced, complained, unsubscribed, invalid).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import CharField, Model, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

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


def suppression_reason() -> Coalesce:
    """Return the outer contact's suppression reason ("" when its address is not suppressed).

    An annotation rather than an EXISTS in each condition: the audience counts aggregate over
    annotated rows, and an aggregate's filter cannot reach back into the contacts table.
    """
    model = suppression_model()
    if model is None:
        return Coalesce(Value(None, output_field=CharField()), Value(""))
    return Coalesce(
        Subquery(model._default_manager.filter(email=OuterRef("email")).values("reason")[:1]),
        Value(""),
    )


def suppression_q(reasons: tuple[str, ...] | None = None) -> Q:
    """Match contacts annotated with `suppression_reason` whose address is suppressed."""
    if reasons is None:
        return ~Q(suppressed="")
    return Q(suppressed__in=reasons)
