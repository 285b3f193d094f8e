"""Template filters of the deal screens."""

from __future__ import annotations

from django import template

from clientela.deals.models import Deal
from clientela.deals.queries import is_rotting

register = template.Library()


@register.filter
def rotting(deal: Deal) -> bool:
    """Return whether an open deal had no touch for longer than its stage's rotting days."""
    return is_rotting(deal)
