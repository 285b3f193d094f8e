"""Pipelines and their stages, deals, each deal's stage history, and the lost reasons."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.deals.choices import Attendance, Authority, StageKind, Timeframe


class Pipeline(models.Model):
    """A sales process of one business line, with its ordered stages.

    A pipeline with departments is seen only by their members (and by roles that see all
    records); without departments, by everyone.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    departments = models.ManyToManyField(
        "accounts.Department", verbose_name=_("departments"), blank=True, related_name="pipelines"
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """One step of a pipeline: its probability, whether it is open, won or lost, and rotting."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    kind = models.CharField(_("kind"), max_length=5, choices=StageKind.choices, default="open")
    rotting_days = models.PositiveIntegerField(_("rotting after (days)"), null=True, blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    # Whether the stage has rules, when read by `stage_rules.stage_for_move` (absent otherwise).
    has_rules: bool

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        """Whether a deal in this stage is won or lost."""
        return self.kind != StageKind.OPEN


class LostReason(models.Model):
    """Why a deal was lost: an administrator-managed list a rep picks from."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    """A sale in progress with a contact and/or a company, in one stage of one pipeline.

    `amount` is in `currency`; `amount_company` is the same amount in the company currency at
    the rate in force on the day it was entered (orders' exchange-rate table).
    """

    title = models.CharField(_("title"), max_length=200)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,  # the (owner, pipeline, stage, amount) index below serves lookups
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,  # the (stage, entered) index below serves lookups
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="COP")
    amount_company = models.DecimalField(
        _("amount in company currency"), max_digits=18, decimal_places=2, default=0
    )
    rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=8, default=1)
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    # Inherited from the contact when the deal is created (its last touch, else its first).
    source = models.CharField(_("source"), max_length=20, blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=150, blank=True)
    # BANT qualification.
    budget = models.DecimalField(
        _("budget"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    authority = models.CharField(
        _("who decides"), max_length=10, choices=Authority.choices, blank=True
    )
    need = models.TextField(_("need"), blank=True)
    timeframe = models.CharField(
        _("timeframe"), max_length=10, choices=Timeframe.choices, blank=True
    )
    attendance = models.CharField(
        _("came to the appointment"),
        max_length=8,
        choices=Attendance.choices,
        default=Attendance.PENDING,
    )
    # The kind of the current stage, kept with the deal: lists and reports filter on it.
    state = models.CharField(
        _("state"), max_length=5, choices=StageKind.choices, default=StageKind.OPEN
    )
    # The highest board position among the open and won stages of its pipeline the deal has
    # stayed in (its stage history; None without such a stay): the funnel counts it instead of
    # reading the history. Kept by the services that move deals and change stages.
    furthest_position = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    lost_note = models.CharField(_("lost note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            # A board column's cards, newest in the stage first (keyset per stage).
            models.Index(
                fields=["stage", "-stage_entered_at", "-id"], name="deal_stage_entered_idx"
            ),
            # A rep's column: the same, for a rep's own deals.
            models.Index(
                fields=["owner", "stage", "-stage_entered_at", "-id"],
                name="deal_owner_stage_idx",
            ),
            # The board's counts and sums per stage (index-only with the amount included).
            models.Index(
                fields=["pipeline", "stage", "owner", "amount_company"],
                name="deal_pipeline_sums_idx",
            ),
            # A rep's board: her counts and sums per stage, index-only over her rows alone.
            models.Index(
                fields=["owner", "pipeline", "stage", "amount_company"],
                name="deal_owner_sums_idx",
            ),
            models.Index(fields=["-created_at", "-id"], name="deal_recent_idx"),
            # The funnel: a pipeline's deals opened in a period, by how far they went.
            models.Index(
                fields=["pipeline", "created_at", "furthest_position"], name="deal_funnel_idx"
            ),
            models.Index(fields=["contact", "closed_at"], name="deal_contact_idx"),
            # The repeat-sale flag: has this contact won a deal? (a probe, not a scan of them all)
            models.Index(fields=["contact"], condition=Q(state="won"), name="deal_contact_won_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount_company__gte=0),
                name="deal_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.title


class StageHistory(models.Model):
    """One stay of a deal in a stage: when it entered and left, and who moved it each time."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="history")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("stage history")
        verbose_name_plural = _("stage history")
        ordering = ["deal", "entered_at", "id"]
        indexes = [
            models.Index(fields=["deal", "entered_at"], name="stagehistory_deal_idx"),
            models.Index(fields=["stage", "entered_at"], name="stagehistory_stage_idx"),
        ]
        constraints = [
            # A deal is in one stage at a time: one open stay.
            models.UniqueConstraint(
                fields=["deal"], condition=Q(left_at__isnull=True), name="stagehistory_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.stage_id}"


class StageRule(models.Model):
    """When a deal enters `stage`, give its owner a task `subject` due `due_hours` later."""

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="rules"
    )
    subject = models.CharField(_("task"), max_length=200)
    due_hours = models.PositiveIntegerField(_("due in (hours)"), default=24)
    # An activities.choices.Priority code (activities sits below deals).
    priority = models.CharField(_("priority"), max_length=8, default="normal")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("stage rule")
        verbose_name_plural = _("stage rules")
        ordering = ["stage__position", "id"]

    def __str__(self) -> str:
        return self.subject


class PricedLine(models.Model):
    """A priced line: a catalogue product (or free text), quantity, price, discount, tax.

    Amounts are in the currency of the record the line belongs to; `net`, `tax` and `total`
    are kept computed (Decimal, half up to the currency's decimals) so lists and sums need no
    arithmetic in the query. Deals' lines and the lines of quotes share it.
    """

    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2, default=0)
    discount_pct = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=0)
    net = models.DecimalField(_("net"), max_digits=18, decimal_places=2, default=0)
    tax = models.DecimalField(_("tax"), max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=0)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.description


VALID_LINE = (
    Q(quantity__gt=0)
    & Q(unit_price__gte=0)
    & Q(discount_pct__gte=0, discount_pct__lte=100)
    & Q(tax_rate__gte=0, tax_rate__lte=100)
)


class DealLine(PricedLine):
    """A line of a deal (see PricedLine); a unique item on it is reserved for the deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deal_lines",
    )

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["deal", "position", "id"]
        indexes = [models.Index(fields=["deal", "position"], name="dealline_deal_idx")]
        constraints = [models.CheckConstraint(condition=VALID_LINE, name="dealline_values_valid")]
