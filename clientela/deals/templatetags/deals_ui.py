"""Template filters and tags of the deal screens."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape as _escape
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, Stage
from clientela.deals.queries import Card, is_rotting

register = template.Library()


def escape(value: Any) -> str:
    """Django's `escape` without its lazy-text wrapper (the same text: a card escapes ~6 values)."""
    return _escape(str(value))


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


def _url_of(name: str) -> tuple[str, str]:
    """Return the parts of a deal URL around its id (reversed once, not once per card)."""
    head, _sep, tail = reverse(name, args=[999_999_999]).rpartition("999999999")
    return head, tail


def _card(deal: Card, urls: tuple[str, str], flags: str, menu: str) -> str:
    """Return one card's <li> (every value escaped; `flags` and `menu` are markup already)."""
    detail_url, move_url = urls
    return (
        f'<li class="deal-card" data-deal="{deal.pk}" data-version="{deal.version}"'
        f' data-amount="{escape(deal.amount_company)}" data-move-url="{move_url}"'
        f' id="deal-{deal.pk}">\n'
        f'  <a class="deal-title" href="{detail_url}">{escape(deal.title)}</a>\n'
        f'  <p class="deal-meta">{escape(deal.customer)}</p>\n'
        f'  <p class="deal-meta"><strong>{escape(floatformat(deal.amount, "0g"))}'
        f" {escape(deal.currency)}</strong> · {escape(deal.owner_name)}</p>\n"
        f'  <p class="deal-flags">{flags}</p>\n'
        f"{menu}</li>\n"
    )


@register.simple_tag(takes_context=True)
def board_cards(
    context: template.Context, cards: Sequence[Card], stages: Sequence[Stage], back: str
) -> SafeString:
    """Return the <li> cards of one board column (what card.html was, built in Python).

    A board shows up to a hundred cards: one function builds them all, with the URLs, the
    translated words and the "Move to" menu of the column computed once, not once per card.
    """
    can_write = bool(context.get("can_write"))
    detail = _url_of("deals:deal_detail")
    move = _url_of("deals:deal_move")
    no_next = f'<span class="flag flag-warn">{escape(_("No next step"))}</span>'
    rotten = f'<span class="flag flag-bad">{escape(_("Rotting"))}</span>'
    repeat = f'<span class="flag flag-good">{escape(_("Repeat sale"))}</span>'
    token = context.get("csrf_token")
    csrf = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'
        if token and str(token) != "NOTPROVIDED"
        else ""
    )
    button = (
        f'<button type="submit" class="btn btn-secondary btn-small">{escape(_("Move"))}</button>'
    )
    back_value = escape(back)
    options: dict[int, str] = {}
    parts: list[str] = []
    for deal in cards:
        move_url = f"{move[0]}{deal.pk}{move[1]}"
        flags = ""
        if deal.state == StageKind.OPEN:
            if not deal.has_next_step:
                flags += no_next
            if is_rotting(deal):
                flags += rotten
        if deal.repeat_sale:
            flags += repeat
        menu = ""
        if can_write:
            if deal.stage_id not in options:
                options[deal.stage_id] = str(stage_options(stages, deal.stage_id))
            label = escape(_("Move “%(title)s” to") % {"title": deal.title})
            menu = (
                f'  <form method="post" action="{move_url}" class="card-move">\n'
                f'    {csrf}<input type="hidden" name="version" value="{deal.version}">'
                f'<input type="hidden" name="next" value="{back_value}">\n'
                f'    <select name="stage" aria-label="{label}">{options[deal.stage_id]}</select>\n'
                f"    {button}\n"
                "  </form>\n"
            )
        parts.append(_card(deal, (f"{detail[0]}{deal.pk}{detail[1]}", move_url), flags, menu))
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
