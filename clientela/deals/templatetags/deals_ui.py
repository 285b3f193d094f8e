"""Template filters and tags of the deal screens."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from clientela.deals.models import Deal, Stage
from clientela.deals.queries import is_rotting

register = template.Library()


@register.filter
def rotting(deal: Deal) -> bool:
    """Return whether an open deal had no touch for longer than its stage's rotting days."""
    return is_rotting(deal)


@register.simple_tag
def stage_options(stages: Sequence[Stage], selected: int) -> SafeString:
    """Return the <option>s of a card's "Move to" menu, its own stage selected.

    One join in Python instead of a template loop per card: a board shows 140 cards.
    """
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<option value="{}"{}>{}</option>',
                    stage.pk,
                    " selected" if stage.pk == selected else "",
                    stage.name,
                ),
            )
            for stage in stages
        ),
    )
