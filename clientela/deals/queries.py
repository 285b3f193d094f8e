"""Reads for pipelines and deals; every board, list, count, export, panel and API uses these."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import (
    has_capability,
    may_see_owner,
    owner_scope,
    visibility_of,
)
from clientela.activities.models import Activity
from clientela.catalog.choices import ItemStatus, ProductKind
from clientela.catalog.models import Product
from clientela.catalog.queries import Holder, products_visible_to
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import custom_field_q, custom_fields_for
from clientela.core.compiled import CompiledQuery, rows_for_each
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import bounded_int
from clientela.deals.choices import DEAL_ENTITY, StageKind
from clientela.deals.models import Deal, DealLine, LostReason, Pipeline, Stage, StageHistory

# Cards a board column shows before "show more", and per "show more".
COLUMN_CARDS = 12
# Products a deal's line picker offers (the catalogue's search narrows larger ones).
LINE_PRODUCTS_MAX = 500


def can_write(user: User | AnonymousUser | None) -> bool:
    """Whether the role creates, changes and moves the deals it sees (deals.write)."""
    return has_capability(user, "deals.write")


def can_reassign(user: User | AnonymousUser | None) -> bool:
    """Whether the role gives deals to other people (deals.reassign)."""
    return has_capability(user, "deals.reassign")


def can_export(user: User | AnonymousUser | None) -> bool:
    """Whether the role downloads the deals list (deals.export)."""
    return has_capability(user, "deals.export")


def can_manage_pipelines(user: User | AnonymousUser | None) -> bool:
    """Whether the role sets up pipelines, stages and lost reasons (deals.manage_pipelines)."""
    return has_capability(user, "deals.manage_pipelines")


# --- pipelines ---------------------------------------------------------------------------------


def pipelines_visible_to(user: User, *, archived: bool = False) -> QuerySet[Pipeline]:
    """Pipelines the user may open: unrestricted ones, and those of the user's departments.

    Roles that see every record see every pipeline; archived ones only when `archived`.
    """
    qs = Pipeline.objects.all() if archived else Pipeline.objects.filter(is_archived=False)
    scope = visibility_of(user)
    if scope == Visibility.ALL:
        return qs.order_by("position", "id")
    if scope is None:
        return qs.none()
    return qs.filter(pipeline_open_to(user.pk)).order_by("position", "id")


def pipeline_open_to(user_id: int, pipeline: str = "pk") -> Q:
    """Return whether a pipeline is open to the user: unrestricted, or of one of their departments.

    `pipeline` names the pipeline's key in the outer query. The rule `pipelines_visible_to`
    applies to roles that do not see every record (those see every pipeline).
    """
    restricted = Pipeline.departments.through.objects.filter(pipeline_id=OuterRef(pipeline))
    return ~Exists(restricted) | Exists(restricted.filter(department__members=user_id))


def get_pipeline_for_user(user: User, pipeline_id: Any, *, archived: bool = False) -> Pipeline:
    """One pipeline the user may open; NotFound otherwise."""
    pk = bounded_int(pipeline_id, minimum=1)
    pipeline = pipelines_visible_to(user, archived=archived).filter(pk=pk).first() if pk else None
    if pipeline is None:
        raise NotFound(_("Pipeline not found."))
    return pipeline


def stages_of(pipeline: Pipeline, *, archived: bool = False) -> list[Stage]:
    """Return the pipeline's stages in board order (archived ones only when asked)."""
    qs = pipeline.stages.all() if archived else pipeline.stages.filter(is_archived=False)
    return list(qs.order_by("position", "id"))


def lost_reasons(*, active_only: bool = True) -> QuerySet[LostReason]:
    """Return the lost reasons a rep may pick (every one for the settings screen)."""
    qs = LostReason.objects.all()
    return qs.filter(is_active=True) if active_only else qs


# --- deals -------------------------------------------------------------------------------------


def deals_visible_to(user: User) -> QuerySet[Deal]:
    """Deals the user may see: owned within the user's scope, in a pipeline the user may open."""
    qs = Deal.objects.all()
    scope = owner_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if visibility_of(user) != Visibility.ALL:
        qs = qs.filter(pipeline__in=pipelines_visible_to(user, archived=True).values("pk"))
    return qs


def may_change(user: User, deal: Deal) -> bool:
    """Whether the user may change a deal they see (deals.write)."""
    return can_write(user)


DEAL_RELATED = ("contact", "company", "owner", "pipeline", "stage", "lost_reason")


def get_deal_for_user(user: User, deal_id: Any, *, write: bool = False) -> Deal:
    """One deal the user may see (or change); NotFound when it is not theirs to see."""
    pk = bounded_int(deal_id, minimum=1)
    if pk is None:
        raise NotFound(_("Deal not found."))
    # No ORDER BY (the model's default ordering) on a primary-key lookup: nothing to sort,
    # and less SQL to build.
    rows = list(deals_visible_to(user).select_related(*DEAL_RELATED).filter(pk=pk).order_by()[:1])
    if not rows:
        raise NotFound(_("Deal not found."))
    deal = rows[0]
    if write and not may_change(user, deal):
        raise Forbidden(_("Your role can only read deals."))
    return deal


def may_see_deal(user: User, owner_id: int | None, pipeline_open: bool) -> bool:
    """Whether `user` sees a deal of `owner_id` in a pipeline (`pipeline_open`: by `pipeline_open_to`).

    `deals_visible_to`'s rule for one row read by its key (the move's compiled read): the
    owner's scope through `may_see_owner`, and, for roles that do not see every record, a
    pipeline open to them. Tests hold it equal to `deals_visible_to` for every role.
    """
    if not may_see_owner(user, owner_id):
        return False
    return visibility_of(user) == Visibility.ALL or pipeline_open


def _names(model: Any, among: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the model's column names (those `among`, if given) in its fields' order."""
    return tuple(f.attname for f in model._meta.concrete_fields if not among or f.attname in among)


# The move API's deal read, compiled once per process (`core.compiled`): the deal's columns,
# its contact's and company's naming ones (`ref`), its owner and the stage it leaves, the
# repeat-sale flag and whether its pipeline is open to the reader; the ORM compiled this
# five-table join on every move (~45 % of the move's Python).
_DEAL_NAMES = _names(Deal)
_CONTACT_NAMES = _names(Contact, ("id", "first_name", "last_name", "email", "phone"))
_COMPANY_NAMES = _names(Company, ("id", "name"))
_USER_NAMES = _names(User)
_STAGE_NAMES = _names(Stage)
_MOVE_READ_COLUMNS = (
    *_DEAL_NAMES,
    *(f"contact__{name}" for name in _CONTACT_NAMES),
    *(f"company__{name}" for name in _COMPANY_NAMES),
    *(f"owner__{name}" for name in _USER_NAMES),
    *(f"stage__{name}" for name in _STAGE_NAMES),
    "repeat_sale",
    "pipeline_open",
)
_MOVE_READ = CompiledQuery(
    lambda deal_id, user_id: (
        Deal.objects.filter(pk=deal_id)
        .order_by()
        .annotate(
            repeat_sale=won_before(),
            pipeline_open=ExpressionWrapper(
                pipeline_open_to(user_id, "pipeline_id"), output_field=BooleanField()
            ),
        )
        .values_list(*_MOVE_READ_COLUMNS)[:1]
    ),
    [int, int],
)


def get_deal_for_move(user: User, deal_id: Any) -> tuple[Deal, bool]:
    """One deal the user may change, as the move reads it, and its repeat-sale flag.

    `get_deal_for_user(user, deal_id, write=True)` with, of its relations, the contact's and
    company's naming columns (`ref`), the owner and the stage it leaves, in one query compiled
    once per process; visibility is decided on the row by `may_see_deal` (NotFound), the
    right to change it by `may_change` (Forbidden).
    """
    pk = bounded_int(deal_id, minimum=1)
    row = _MOVE_READ.first(pk, user.pk) if pk is not None else None
    if row is None:
        raise NotFound(_("Deal not found."))
    values = iter(row)
    deal = Deal.from_db("default", _DEAL_NAMES, [next(values) for _ in _DEAL_NAMES])
    contact = [next(values) for _ in _CONTACT_NAMES]
    company = [next(values) for _ in _COMPANY_NAMES]
    owner = [next(values) for _ in _USER_NAMES]
    stage = [next(values) for _ in _STAGE_NAMES]
    repeat_sale, pipeline_open = next(values), next(values)
    if not may_see_deal(user, deal.owner_id, bool(pipeline_open)):
        raise NotFound(_("Deal not found."))
    if not may_change(user, deal):
        raise Forbidden(_("Your role can only read deals."))
    # A deal without a contact or company: the LEFT JOIN's columns are all NULL.
    deal.contact = Contact.from_db("default", _CONTACT_NAMES, contact) if deal.contact_id else None
    deal.company = Company.from_db("default", _COMPANY_NAMES, company) if deal.company_id else None
    deal.owner = User.from_db("default", _USER_NAMES, owner)
    deal.stage = Stage.from_db("default", _STAGE_NAMES, stage)
    return deal, bool(repeat_sale)


def won_before() -> Exists:
    """Return whether the deal's contact had won another deal when it was opened (repeat sale).

    A probe of the partial index on won deals per contact; the expression of `has_earlier_win`.
    """
    return Exists(
        Deal.objects.filter(
            contact_id=OuterRef("contact_id"),
            state=StageKind.WON,
            closed_at__lt=OuterRef("created_at"),
        )
    )


def with_card_facts(qs: QuerySet[Deal], now: dt.datetime | None = None) -> QuerySet[Deal]:
    """Annotate what a card shows besides its columns: next step, last touch, repeat sale.

    `has_next_step`: an open activity about the deal due now or later; `last_touch`: the later
    of its entry in the stage and its last done activity (rotting counts from it);
    `repeat_sale`: the contact had won another deal when this one was opened.
    """
    if "last_touch" in qs.query.annotations:
        return qs
    now = now or timezone.now()
    open_future = Activity.objects.filter(deal_id=OuterRef("pk"), done_at__isnull=True).filter(
        Q(due_at__gte=now) | Q(due_at__isnull=True)
    )
    last_done = (
        Activity.objects.filter(deal_id=OuterRef("pk"), done_at__isnull=False)
        .order_by("-done_at")
        .values("done_at")[:1]
    )
    return qs.annotate(
        has_next_step=Exists(open_future),
        last_touch=Greatest(
            F("stage_entered_at"),
            Coalesce(Subquery(last_done, output_field=DateTimeField()), F("stage_entered_at")),
        ),
        repeat_sale=won_before(),
    )


def is_rotting(deal: Deal | Card, now: dt.datetime | None = None) -> bool:
    """Whether an open deal had no touch for longer than its stage's rotting days."""
    days = deal.stage.rotting_days
    if not days or deal.state != StageKind.OPEN:
        return False
    touched = getattr(deal, "last_touch", None) or deal.stage_entered_at
    return touched < (now or timezone.now()) - dt.timedelta(days=days)


def rotting_q(stages: Sequence[Stage], now: dt.datetime | None = None) -> Q:
    """Return a filter (over `with_card_facts`' last_touch) keeping the rotting open deals."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    for stage in stages:
        if stage.rotting_days and stage.kind == StageKind.OPEN:
            limit = now - dt.timedelta(days=stage.rotting_days)
            q |= Q(stage_id=stage.pk, last_touch__lt=limit)
    return q


@dataclass(frozen=True)
class DealFilters:
    """Filters of the board, the list and the API; None or "" means any."""

    pipeline_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    source: str = ""
    tag_id: int | None = None
    product_id: int | None = None
    contact_id: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    state: str = ""
    rotting: bool = False
    q: str = ""
    # Drill-down from the sales reports: opened / closed within days (company time zone),
    # reached a stage (its furthest stage, lost ones left out, is this one or later), lost for.
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None
    reached_stage_id: int | None = None
    lost_reason_id: int | None = None
    # (deal custom field key, value) pairs; keys that are no active deal field are ignored.
    custom: tuple[tuple[str, str], ...] = ()

    def active(self) -> bool:
        """Whether anything but the pipeline narrows the deals."""
        return bool(
            self.stage_id
            or self.owner_id
            or self.source
            or self.tag_id
            or self.product_id
            or self.contact_id
            or self.close_from
            or self.close_to
            or self.state
            or self.rotting
            or self.q
            or self.custom
            or self.drilled()
        )

    def drilled(self) -> bool:
        """Whether a sales report's drill-down narrows the deals."""
        return bool(
            self.created_from
            or self.created_to
            or self.closed_from
            or self.closed_to
            or self.reached_stage_id
            or self.lost_reason_id
        )


def _day_start(day: dt.date) -> dt.datetime:
    """Return the first moment of a day in the company's time zone."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def reached_stage_q(stage: Stage) -> Q:
    """Return a filter keeping the deals that reached `stage`, by their stage history.

    Reached: the furthest stage (lost ones left out) is `stage`'s position or later, so a deal
    that skipped a stage has passed it.
    """
    passed = StageHistory.objects.filter(
        deal_id=OuterRef("pk"),
        stage__pipeline_id=stage.pipeline_id,
        stage__position__gte=stage.position,
        stage__kind__in=[StageKind.OPEN, StageKind.WON],
    )
    return Q(Exists(passed))


def filter_deals(
    user: User, filters: DealFilters, *, now: dt.datetime | None = None
) -> QuerySet[Deal]:
    """Return the visible deals matching the filters (rotting needs the card facts)."""
    qs = deals_visible_to(user)
    if filters.pipeline_id is not None:
        qs = qs.filter(pipeline_id=filters.pipeline_id)
    if filters.stage_id is not None:
        qs = qs.filter(stage_id=filters.stage_id)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.tag_id is not None:
        qs = qs.filter(contact__tags=filters.tag_id)
    if filters.product_id is not None:
        qs = qs.filter(with_product_q(filters.product_id))
    if filters.contact_id is not None:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.close_from is not None:
        qs = qs.filter(expected_close__gte=filters.close_from)
    if filters.close_to is not None:
        qs = qs.filter(expected_close__lte=filters.close_to)
    if filters.state in StageKind.values:
        qs = qs.filter(state=filters.state)
    if filters.q:
        qs = qs.filter(title__icontains=filters.q.strip()[:100])
    if filters.custom:
        definitions = custom_fields_for(DEAL_ENTITY)
        for key, value in filters.custom:
            condition = custom_field_q(definitions, key, value)
            if condition is not None:
                qs = qs.filter(condition)
    if filters.created_from is not None:
        qs = qs.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to is not None:
        qs = qs.filter(created_at__lt=_day_start(filters.created_to + dt.timedelta(days=1)))
    if filters.closed_from is not None:
        qs = qs.filter(closed_at__gte=_day_start(filters.closed_from))
    if filters.closed_to is not None:
        qs = qs.filter(closed_at__lt=_day_start(filters.closed_to + dt.timedelta(days=1)))
    if filters.lost_reason_id is not None:
        qs = qs.filter(lost_reason_id=filters.lost_reason_id)
    if filters.reached_stage_id is not None:
        stage = Stage.objects.filter(pk=filters.reached_stage_id).first()
        qs = qs.filter(reached_stage_q(stage)) if stage is not None else qs.none()
    if filters.rotting:
        stages = list(Stage.objects.filter(rotting_days__isnull=False, kind=StageKind.OPEN))
        if filters.pipeline_id is not None:
            stages = [s for s in stages if s.pipeline_id == filters.pipeline_id]
        qs = with_card_facts(qs, now).filter(rotting_q(stages, now))
    return qs


# --- the board ---------------------------------------------------------------------------------


def encode_after(deal: Deal | Card) -> str:
    """Return the opaque position after a card (its stage entry and id) for "show more"."""
    raw = json.dumps([deal.stage_entered_at.isoformat(), deal.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_after(token: str) -> tuple[dt.datetime, int] | None:
    """Read a position written by `encode_after`; None when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        moment, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        when = dt.datetime.fromisoformat(str(moment))
        number = bounded_int(pk, minimum=1)
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if number is None or timezone.is_naive(when):
        return None
    return when, number


@dataclass
class Column:
    """One stage of the board: its count and sum over every matching deal, and its first cards."""

    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)
    cards: list[Card] = field(default_factory=list)
    after: str = ""  # the position to load more from; "" when every card is shown

    @property
    def weighted(self) -> Decimal:
        """The column's sum times the stage's probability."""
        return (self.total * self.stage.probability / 100).quantize(Decimal("0.01"))


@dataclass
class Card:
    """One deal as a board card shows it: read as one row, without model instances."""

    pk: int
    title: str
    version: int
    amount: Decimal
    currency: str
    amount_company: Decimal
    state: str
    stage: Stage
    stage_entered_at: dt.datetime
    customer: str  # the contact's name (else e-mail, phone), else the company's name
    owner_name: str
    has_next_step: bool
    last_touch: dt.datetime
    repeat_sale: bool

    @property
    def stage_id(self) -> int:
        """The id of the card's stage."""
        return self.stage.pk


# What a card reads (`Card`, `deals_ui.board_cards`, `is_rotting`, `encode_after`): the rest of
# the deal, its contact, company and owner rows is not read.
CARD_FIELDS = (
    "id", "title", "version", "amount", "currency", "amount_company", "state",
    "stage_entered_at", "contact_id", "contact__first_name", "contact__last_name",
    "contact__email", "contact__phone", "company__name", "owner__first_name",
    "owner__last_name", "owner__username", "has_next_step", "last_touch", "repeat_sale",
)  # fmt: skip


def _card(row: Sequence[Any], stage: Stage) -> Card:
    (pk, title, version, amount, currency, amount_company, state, entered, contact_id, first,
     last, email, phone, company, owner_first, owner_last, username, next_step, touch,
     repeat, *_stage) = row  # fmt: skip
    if contact_id is not None:
        customer = f"{first} {last}".strip() or email or phone or f"#{contact_id}"
    else:
        customer = company or ""
    owner = f"{owner_first} {owner_last}".strip() or username
    return Card(pk, title, version, amount, currency, amount_company, state, stage, entered,
                customer, owner, bool(next_step), touch, bool(repeat))  # fmt: skip


def _card_rows(
    qs: QuerySet[Deal], now: dt.datetime | None, *extra: str
) -> QuerySet[Deal, tuple[Any, ...]]:
    """Return the deals of `qs` as card rows (`CARD_FIELDS`, then `extra`), newest first."""
    return (
        with_card_facts(qs, now)
        .order_by("-stage_entered_at", "-id")
        .values_list(*CARD_FIELDS, *extra)
    )


def _page(rows: Sequence[Sequence[Any]], stage: Stage, limit: int) -> tuple[list[Card], str]:
    # One more than the page says whether there is more.
    cards = [_card(row, stage) for row in rows[:limit]]
    return cards, encode_after(cards[-1]) if len(rows) > limit and cards else ""


def column_cards(
    qs: QuerySet[Deal],
    stage: Stage,
    *,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = COLUMN_CARDS,
    now: dt.datetime | None = None,
) -> tuple[list[Card], str]:
    """Return a column's next cards (keyset on the stage's entry moment) and where to go on."""
    rows = qs.filter(stage_id=stage.pk)
    if after is not None:
        moment, pk = after
        rows = rows.filter(Q(stage_entered_at__lt=moment) | Q(stage_entered_at=moment, id__lt=pk))
    return _page(list(_card_rows(rows, now)[: limit + 1]), stage, limit)


def first_cards(
    qs: QuerySet[Deal], stages: Sequence[Stage], *, limit: int, now: dt.datetime | None = None
) -> dict[int, tuple[list[Card], str]]:
    """Return the first cards of several columns (and where each goes on), by stage id.

    One column's keyset query is compiled once and run for every stage
    (`core.compiled.rows_for_each`: one UNION ALL statement on PostgreSQL): compiling the
    union of seven querysets cost the board more CPU than the database's work.
    """
    cards = _card_rows(qs, now, "stage_id")
    stage_at = len(CARD_FIELDS)
    rows = rows_for_each(
        lambda stage_id: cards.filter(stage_id=stage_id)[: limit + 1],
        [stage.pk for stage in stages],
        using=qs.db,
    )
    by_stage: dict[int, list[Sequence[Any]]] = {stage.pk: [] for stage in stages}
    for row in rows:
        by_stage[row[stage_at]].append(row)
    return {stage.pk: _page(by_stage[stage.pk], stage, limit) for stage in stages}


def board(
    user: User,
    pipeline: Pipeline,
    filters: DealFilters,
    *,
    limit: int = COLUMN_CARDS,
    now: dt.datetime | None = None,
) -> list[Column]:
    """Return the pipeline's columns: counts and sums by one GROUP BY, cards by `first_cards`."""
    now = now or timezone.now()
    stages = stages_of(pipeline)
    qs = filter_deals(
        user, DealFilters(**{**filters.__dict__, "pipeline_id": pipeline.pk}), now=now
    )
    sums = {
        row["stage_id"]: row
        for row in qs.values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount_company"))
        .order_by()
    }
    columns = []
    for stage in stages:
        row = sums.get(stage.pk)
        columns.append(
            Column(stage, row["n"] if row else 0, (row["total"] if row else None) or Decimal(0))
        )
    filled = [column.stage for column in columns if column.count]
    cards = first_cards(qs, filled, limit=limit, now=now) if filled else {}
    for column in columns:
        if column.count:
            column.cards, column.after = cards[column.stage.pk]
    return columns


def deal_history(deal: Deal) -> list[StageHistory]:
    """Return the deal's stays in stages, oldest first, with their stages and people."""
    return list(
        StageHistory.objects.filter(deal_id=deal.pk)
        .select_related("stage", "entered_by", "left_by")
        .order_by("entered_at", "id")
    )


def deal_activities(deal: Deal, *, limit: int = 20) -> list[Activity]:
    """Return the deal's activities: open ones first (soonest due), then the latest done."""
    rows = (
        Activity.objects.filter(deal_id=deal.pk)
        .select_related("owner")
        .order_by(F("done_at").desc(nulls_first=True), "due_at", "-id")
    )
    return list(rows[:limit])


def contact_deals(user: User, contact_id: int, *, limit: int = 20) -> list[Deal]:
    """Return the contact's deals the user may see, open ones first, newest first."""
    qs = (
        deals_visible_to(user)
        .filter(contact_id=contact_id)
        .select_related("stage", "pipeline", "owner")
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-id")
    )
    return list(with_card_facts(qs)[:limit])


def has_earlier_win(deal: Deal) -> bool:
    """Whether the contact had won another deal when this one was opened (repeat sale)."""
    if deal.contact_id is None:
        return False
    return Deal.objects.filter(
        contact_id=deal.contact_id, state=StageKind.WON, closed_at__lt=deal.created_at
    ).exists()


DEAL_ORDERINGS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "amount": ("amount_company", "id"),
    "-amount": ("-amount_company", "-id"),
    "close": ("expected_close", "id"),
    "-close": ("-expected_close", "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
}


# --- line items --------------------------------------------------------------------------------


def deal_lines_of(deal: Deal) -> list[DealLine]:
    """Return the deal's lines in order, with their products."""
    return list(
        DealLine.objects.filter(deal_id=deal.pk)
        .select_related("product")
        .order_by("position", "id")
    )


def get_line(deal: Deal, line_id: Any) -> DealLine:
    """Return one line of a deal; NotFound otherwise."""
    pk = bounded_int(line_id, minimum=1)
    line = (
        DealLine.objects.filter(deal_id=deal.pk, pk=pk).select_related("product").first()
        if pk
        else None
    )
    if line is None:
        raise NotFound(_("Line not found."))
    line.deal = deal
    return line


def deal_holding(user: User, product: Product) -> Holder | None:
    """Name the deal holding a catalogue item, for a reader who may see that deal."""
    if product.deal_id is None:
        return None
    deal = deals_visible_to(user).filter(pk=product.deal_id).only("pk", "title").first()
    if deal is None:
        return None
    return Holder(deal.title, reverse("deals:deal_detail", args=[deal.pk]))


def with_product_q(product_id: int) -> Q:
    """Return a Q for deals with a line of this product."""
    return Q(Exists(DealLine.objects.filter(deal=OuterRef("pk"), product_id=product_id)))


FILTER_PRODUCTS_MAX = 1000


def product_choices(user: User) -> list[tuple[int, str]]:
    """Return (id, "SKU · name") of the products the deal filters offer (every one the user sees)."""
    rows = products_visible_to(user).order_by("sku").values_list("pk", "sku", "name")
    return [(pk, f"{sku} · {name}") for pk, sku, name in rows[:FILTER_PRODUCTS_MAX]]


def products_for_lines(user: User) -> list[Product]:
    """Return the active products a line may name (unique items only while available)."""
    qs = products_visible_to(user).filter(is_active=True)
    qs = qs.filter(Q(kind=ProductKind.STOCK) | Q(status=ItemStatus.AVAILABLE))
    return list(qs.order_by("name", "id")[:LINE_PRODUCTS_MAX])
