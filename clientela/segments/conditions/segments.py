"""Conditions over other segments and lists: "is in segment S", "is not in list L"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from clientela.segments.registry import Condition, ConditionSpec, Context, Kind, register_condition

SEGMENTS = _("Segments and lists")


def _segment(segment_id: int) -> Any:
    from clientela.segments.models import Segment

    return Segment.objects.filter(pk=segment_id, deleted_at__isnull=True).first()


def _segment_q(condition: Condition, ctx: Context) -> Q:
    from clientela.segments.engine import NOBODY, compile_q
    from clientela.segments.models import Membership
    from clientela.segments.tree import DefinitionError, parse

    segment_id = int(condition.value)
    segment = ctx.cached(f"segment:{segment_id}", lambda: _segment(segment_id))
    if segment is None or segment_id in ctx.expanding:
        return NOBODY
    if segment.is_static:
        return Q(
            Exists(
                Membership.objects.filter(
                    segment_id=segment_id, contact_id=OuterRef("pk"), left_at__isnull=True
                )
            )
        )
    try:
        tree = parse(segment.definition)
    except DefinitionError:
        return NOBODY
    inner = Context(ctx.now, ctx.zone, ctx.cache, (*ctx.expanding, segment_id))
    return compile_q(tree, inner)


def _segment_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    from clientela.segments.engine import reference_members
    from clientela.segments.models import Membership
    from clientela.segments.tree import DefinitionError, parse

    segment_id = int(condition.value)
    segment = _segment(segment_id)
    if segment is None or segment_id in ctx.expanding:
        return dict.fromkeys(ids, False)
    if segment.is_static:
        inside = set(
            Membership.objects.filter(
                segment_id=segment_id, contact_id__in=list(ids), left_at__isnull=True
            ).values_list("contact_id", flat=True)
        )
    else:
        try:
            tree = parse(segment.definition)
        except DefinitionError:
            return dict.fromkeys(ids, False)
        inner = Context(ctx.now, ctx.zone, ctx.cache, (*ctx.expanding, segment_id))
        inside = reference_members(tree, list(ids), inner)
    return {pk: pk in inside for pk in ids}


def _segment_choices() -> list[tuple[str, str]]:
    from clientela.segments.models import Segment

    # display_name: a ready-made segment nobody renamed is named in the reader's language.
    segments = Segment.objects.filter(deleted_at__isnull=True).only("pk", "name", "code")
    return [(str(segment.pk), segment.display_name) for segment in segments]


def _show(value: Any) -> str:
    return str(_("yes") if value else _("no"))


def register_segment_conditions() -> None:
    """Register "in segment / list" (SegmentsConfig.ready)."""
    register_condition(
        ConditionSpec(
            field="segment",
            label=_("Segment or list"),
            group=SEGMENTS,
            kind=Kind.FLAG,
            compile=_segment_q,
            load=_segment_load,
            operators=("in_segment", "not_in_segment"),
            choices=_segment_choices,
            predicate=lambda condition, value, ctx: bool(value),
            show=_show,
        )
    )
