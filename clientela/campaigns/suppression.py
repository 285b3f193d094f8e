"""Delivery's suppression list as the campaigns audience sees it.

delivery owns `Suppression` (one normalised address per row, with a reason). The audience
leaves out every contact whose address is on it; this module maps its reasons onto the
exclusion reasons a marketer reads (bounced, complained, unsubscribed, invalid).
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from clientela.delivery.models import Suppression

BOUNCE_REASONS = ("hard_bounce", "soft_bounce")
COMPLAINT_REASONS = ("complaint",)
# An address an administrator suppressed by hand is left out as "unsubscribed": the person
# asked not to be written to, by another way than the link.
UNSUB_REASONS = ("unsubscribed", "manual")
INVALID_REASONS = ("invalid",)


def suppression_reason() -> Coalesce:
    """Return the outer contact's suppression reason ("" when its address is not suppressed).

    An annotation rather than an EXISTS in each condition: the audience counts aggregate over
    annotated rows, and an aggregate's filter cannot reach back into the contacts table.
    """
    return Coalesce(
        Subquery(Suppression.objects.filter(email=OuterRef("email")).values("reason")[:1]),
        Value(""),
    )


def suppression_q(reasons: tuple[str, ...] | None = None) -> Q:
    """Match contacts annotated with `suppression_reason` whose address is suppressed."""
    if reasons is None:
        return ~Q(suppressed="")
    return Q(suppressed__in=reasons)
