"""Reads for segment pages and the API: visible segments, members, counts, explanations, history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, owner_scope, visibility_of
from clientela.contacts.models import Contact
from clientela.contacts.queries import contacts_visible_to
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX
from clientela.segments.choices import SegmentKind
from clientela.segments.engine import Explanation, compile_q, explain
from clientela.segments.models import Membership, Segment
from clientela.segments.registry import Context
from clientela.segments.tree import DefinitionError, Node, conditions, parse


def may_manage_segments(user: User) -> bool:
    """Whether the user may create, change and delete segments and lists."""
    return has_capability(user, "segments.manage")


def may_see_segments(user: User) -> bool:
    """Whether the user may open segments at all: anyone whose role lets them see contacts."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and visibility_of(user) is not None
    )


def segments_visible_to(user: User) -> QuerySet[Segment]:
    """Segments and lists the user may open (definitions are shared; members are scoped)."""
    if not may_see_segments(user):
        return Segment.objects.none()
    return Segment.objects.filter(deleted_at__isnull=True)


def name_q(text: str) -> Q:
    """Match segments whose name contains `text`, ready-made ones by their label in your language.

    A ready-made segment nobody renamed stores no name (it is shown in the reader's language),
    so its label is matched here, in Python, among the few registered ones.
    """
    from clientela.segments.readymade import all_ready_made

    needle = text.strip().casefold()
    codes = [made.code for made in all_ready_made() if needle in str(made.label).casefold()]
    return Q(name__icontains=text.strip()) | Q(name="", code__in=codes)


def get_segment_for_user(user: User, segment_id: Any, *, write: bool = False) -> Segment:
    """One live segment the user may open (NotFound), and change when `write` (Forbidden)."""
    try:
        pk = int(segment_id)
    except (TypeError, ValueError):
        raise NotFound(_("Segment not found.")) from None
    if not 0 < pk <= DB_INT_MAX:
        raise NotFound(_("Segment not found."))
    segment = segments_visible_to(user).filter(pk=pk).first()
    if segment is None:
        raise NotFound(_("Segment not found."))
    if write and not may_manage_segments(user):
        raise Forbidden(_("Your role cannot change segments."))
    return segment


def tree_of(segment: Segment) -> Node:
    """Return the parsed definition of a dynamic segment (a broken one selects nobody)."""
    try:
        return parse(segment.definition)
    except DefinitionError:
        return parse({"any": []})


def segment_q(segment: Segment, ctx: Context | None = None) -> Q:
    """Return a Q over Contact selecting the segment's current members."""
    if segment.is_static:
        return Q(
            Exists(
                Membership.objects.filter(
                    segment_id=segment.pk, contact_id=OuterRef("pk"), left_at__isnull=True
                )
            )
        )
    ctx = ctx or Context()
    return compile_q(tree_of(segment), Context(ctx.now, ctx.zone, ctx.cache, (segment.pk,)))


def members_for_user(user: User, segment: Segment, ctx: Context | None = None) -> QuerySet[Contact]:
    """Return the segment's current members the user may see, newest first."""
    return contacts_visible_to(user).filter(segment_q(segment, ctx))


def definition_members_for_user(
    user: User, tree: Node, ctx: Context | None = None
) -> QuerySet[Contact]:
    """Members of an unsaved definition (the builder's live preview) the user may see."""
    return contacts_visible_to(user).filter(compile_q(tree, ctx or Context()))


def is_scoped(user: User) -> bool:
    """Whether the user sees only part of the contacts (counts then say "that you can see")."""
    return owner_scope(user) is not None


@dataclass(frozen=True)
class Why:
    """The explanation of one contact against one segment."""

    contact: Contact
    member: bool
    explanation: Explanation | None  # None for a static list
    entered_at: dt.datetime | None


def explain_for_user(
    user: User, segment: Segment, contact_id: Any, ctx: Context | None = None
) -> Why:
    """Why a contact the user may see is in the segment, or why not."""
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        raise NotFound(_("Contact not found.")) from None
    contact = contacts_visible_to(user).filter(pk=pk).first() if 0 < pk <= DB_INT_MAX else None
    if contact is None:
        raise NotFound(_("Contact not found."))
    stay = Membership.objects.filter(segment=segment, contact=contact, left_at__isnull=True).first()
    if segment.is_static:
        return Why(contact, stay is not None, None, stay.entered_at if stay else None)
    ctx = ctx or Context()
    explanation = explain(
        tree_of(segment), contact.pk, Context(ctx.now, ctx.zone, ctx.cache, (segment.pk,))
    )
    return Why(contact, explanation.matched, explanation, stay.entered_at if stay else None)


def explain_definition(tree: Node, contact: Contact, ctx: Context | None = None) -> Explanation:
    """Why a contact matches (or not) an unsaved definition."""
    return explain(tree, contact.pk, ctx or Context())


@dataclass(frozen=True)
class GrowthDay:
    """Contacts that entered and left a segment on one day."""

    day: dt.date
    entered: int
    left: int


def growth(segment: Segment, days: int = 90) -> list[GrowthDay]:
    """Entries and exits per day over the last `days` days (the segment's growth and churn)."""
    since = timezone.now() - dt.timedelta(days=days)
    stays = Membership.objects.filter(segment=segment)
    entered = dict(
        stays.filter(entered_at__gte=since)
        .annotate(day=TruncDate("entered_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    left = dict(
        stays.filter(left_at__gte=since)
        .annotate(day=TruncDate("left_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        GrowthDay(day, entered.get(day, 0), left.get(day, 0))
        for day in sorted(set(entered) | set(left))
    ]


def referenced_segments(tree: Node) -> set[int]:
    """Return the ids of the segments a tree's "in segment" conditions name."""
    return {int(c.value) for c in conditions(tree) if c.field == "segment"}


def uses_of(segment: Segment) -> list[Segment]:
    """Live segments whose conditions name this one (it cannot be deleted under them)."""
    others = Segment.objects.filter(deleted_at__isnull=True, kind=SegmentKind.DYNAMIC).exclude(
        pk=segment.pk
    )
    return [other for other in others if segment.pk in referenced_segments(tree_of(other))]


def visible_member_counts(user: User, segments: list[Segment]) -> dict[int, int]:
    """Count each segment's current members the user may see, from the materialised membership.

    An unscoped user gets the stored counts; a scoped one one grouped query through
    contacts_visible_to, so a rep's list never counts contacts he may not see.
    """
    if not is_scoped(user):
        return {segment.pk: segment.member_count for segment in segments}
    counts = dict(
        Membership.objects.filter(
            segment__in=[segment.pk for segment in segments],
            left_at__isnull=True,
            contact__in=contacts_visible_to(user).values("pk"),
        )
        .values("segment")
        .annotate(n=Count("id"))
        .values_list("segment", "n")
    )
    return {segment.pk: counts.get(segment.pk, 0) for segment in segments}


def invisible_contact_ids(user: User, contact_ids: list[int]) -> list[int]:
    """Return the ids among `contact_ids` naming no live contact the user may see, in order."""
    visible = set(
        contacts_visible_to(user).filter(pk__in=set(contact_ids)).values_list("pk", flat=True)
    )
    return sorted({pk for pk in contact_ids if pk not in visible})


# --- Reads for the segment screens --------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    """One node of a definition in words: a group (mode, children) or a condition's text."""

    mode: str = ""  # "all" / "any" / "not" for groups, "" for a condition
    label: str = ""
    operator: str = ""
    operand: str = ""
    children: tuple[Described, ...] = ()


def describe_tree(node: Node) -> Described:
    """Describe a definition in words for the detail page (labels in the reader's language)."""
    from clientela.segments.engine import describe_operand
    from clientela.segments.registry import OPERATORS, condition_spec
    from clientela.segments.tree import Group, Not

    if isinstance(node, Group):
        return Described(mode=node.mode, children=tuple(describe_tree(c) for c in node.children))
    if isinstance(node, Not):
        return Described(mode="not", children=(describe_tree(node.child),))
    spec = condition_spec(node.field)
    if spec is None:
        return Described(label=node.field, operator=_("no longer exists"))
    operator, operand = fold_operand(str(OPERATORS[node.op].label), describe_operand(spec, node))
    return Described(label=str(spec.label), operator=operator, operand=operand)


def fold_operand(operator: str, operand: str) -> tuple[str, str]:
    """Put the operand into the operator's gap: "in the last … days" + "30" → "in the last 30 days".

    Only the operand's first part fills the gap; settings such as a channel stay apart.
    """
    if "…" not in operator or not operand:
        return operator, operand
    first, _sep, rest = operand.partition(" · ")
    return operator.replace("…", first, 1), rest


def readable(explanation: Explanation) -> Explanation:
    """Rewrite an explanation so operators carry their operand where they have a gap for it."""
    operator, operand = fold_operand(explanation.operator, explanation.operand)
    return Explanation(
        explanation.matched,
        explanation.label,
        operator,
        operand,
        explanation.value,
        explanation.mode,
        [readable(child) for child in explanation.children],
    )


def list_candidates(user: User, segment: Segment, text: str, limit: int = 10) -> list[Contact]:
    """Find contacts the user may see by name, e-mail or phone that are not yet in the list."""
    from clientela.contacts.queries import search_q

    if len(text.strip()) < 2:
        return []
    inside = Membership.objects.filter(segment=segment, left_at__isnull=True).values("contact_id")
    found = (
        contacts_visible_to(user)
        .filter(search_q(text))
        .exclude(pk__in=inside)
        .select_related("company")
        .order_by("last_name", "first_name", "pk")
    )
    return list(found[:limit])


def growth_for_user(user: User, segment: Segment, days: int = 90) -> list[GrowthDay]:
    """Count entries and exits per day of the members the user may see (all when unscoped)."""
    if not is_scoped(user):
        return growth(segment, days)
    since = timezone.now() - dt.timedelta(days=days)
    stays = Membership.objects.filter(
        segment=segment, contact_id__in=contacts_visible_to(user).values("pk")
    )
    per_day: dict[dt.date, list[int]] = {}
    for column, index in (("entered_at", 0), ("left_at", 1)):
        rows = (
            stays.filter(**{f"{column}__gte": since})
            .annotate(day=TruncDate(column))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )
        for day, n in rows:
            per_day.setdefault(day, [0, 0])[index] = n
    return [GrowthDay(day, *per_day[day]) for day in sorted(per_day)]
