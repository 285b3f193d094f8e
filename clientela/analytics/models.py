"""Customer-value snapshots (RFM, inactivity, probabilistic CLV per customer) and their settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.analytics.ltv import INDUSTRY_BENCHMARKS

# The periods (calendar months up to a snapshot's day) whose sums each customer row keeps.
PERIOD_MONTHS = (3, 6, 12, 24)


class AnalyticsSettings(models.Model):
    """The installation's analytics settings (one row, pk=1): inactivity thresholds, CLV, LTV."""

    inactive_9m = models.PositiveSmallIntegerField(_("first reactivation step (months)"), default=9)
    inactive_12m = models.PositiveSmallIntegerField(
        _("second reactivation step (months)"), default=12
    )
    inactive_15m = models.PositiveSmallIntegerField(
        _("third reactivation step (months)"), default=15
    )
    churned = models.PositiveSmallIntegerField(_("churned after (months)"), default=36)
    clv_horizon_months = models.PositiveSmallIntegerField(_("CLV horizon (months)"), default=12)
    monthly_discount_rate = models.DecimalField(
        _("monthly discount rate"), max_digits=6, decimal_places=4, default=0.01
    )
    default_gross_margin = models.DecimalField(
        _("gross margin when orders have no cost"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
    )
    # 15 significant digits: what SQLite keeps of a number (it stores decimals as REAL).
    retention_cost_per_customer = models.DecimalField(
        _("yearly retention cost per customer"),
        max_digits=15,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Discounts, loyalty programme and service per customer and year."),
    )
    industry = models.CharField(
        _("industry"),
        max_length=40,
        blank=True,
        choices=[(b.code, b.label) for b in INDUSTRY_BENCHMARKS],
    )
    snapshots_kept = models.PositiveSmallIntegerField(
        _("snapshots kept customer by customer"), default=14
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return str(_("Analytics settings"))


class SnapshotState(models.TextChoices):
    """Where a snapshot computation is."""

    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ValueSnapshot(models.Model):
    """One computation of every customer's RFM scores, segment, inactivity and CLV."""

    created_at = models.DateTimeField(_("computed at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    state = models.CharField(
        _("state"), max_length=10, choices=SnapshotState.choices, default=SnapshotState.RUNNING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customers = models.PositiveIntegerField(_("customers"), default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=20, decimal_places=2, default=0)
    customer_equity = models.FloatField(_("customer equity"), null=True, blank=True)
    segment_counts = models.JSONField(default=dict, blank=True)
    inactivity_counts = models.JSONField(default=dict, blank=True)
    # {"from_segment": {"to_segment": n}}; "" as the source means "not a customer before".
    movement = models.JSONField(default=dict, blank=True)
    model = models.JSONField(_("fitted models"), default=dict, blank=True)
    clv_message = models.TextField(_("CLV note"), blank=True)
    # Per-customer rows of old snapshots are pruned; the summary figures above stay.
    has_rows = models.BooleanField(default=True)
    timings = models.JSONField(default=dict, blank=True)
    # Whether the snapshot's customers were added up in cells (see ValueCell); the pages of
    # someone who sees everyone then read those, plus the CLV histograms per channel and
    # segment and the company-wide cohort tables computed with the snapshot.
    has_cells = models.BooleanField(default=False)
    histograms = models.JSONField(default=dict, blank=True)
    cohorts = models.JSONField(default=dict, blank=True)
    # Whether the cells are keyed by owner too, with per-owner cohort tables and histograms
    # (``OwnerTables``): then the pages of someone who sees some owners' customers read those.
    cells_by_owner = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("customer-value snapshot")
        verbose_name_plural = _("customer-value snapshots")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.customers})"


class CustomerValue(models.Model):
    """One customer in one snapshot: purchases, RFM cell and segment, inactivity, CLV."""

    # Derived rows written a million at a time: no database-level foreign keys (deferred FK
    # checks would cost more than the whole RFM computation); Django still cascades deletes.
    snapshot = models.ForeignKey(
        ValueSnapshot,
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,
        db_constraint=False,
    )
    # contact_id, or minus the company id for a company that buys without a contact.
    customer_key = models.BigIntegerField()
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    company = models.ForeignKey(
        "contacts.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The customer's owner when the snapshot was taken (the contact's, else the company's):
    # what its cells are keyed by. Who may see the row is still decided by the live owner
    # (the `owner` property).
    snapshot_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    first_purchase = models.DateField(_("first purchase"))
    last_purchase = models.DateField(_("last purchase"))
    purchase_days = models.PositiveIntegerField(_("purchases"))
    orders = models.PositiveIntegerField(_("orders"))
    monetary = models.DecimalField(_("total spent"), max_digits=20, decimal_places=2)
    recency_days = models.PositiveIntegerField(_("days since last purchase"))
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("segment"), max_length=24)
    previous_segment = models.CharField(_("previous segment"), max_length=24, blank=True)
    inactivity = models.CharField(_("inactivity"), max_length=16)
    channel = models.CharField(_("acquisition channel"), max_length=20, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_average_value = models.FloatField(
        _("expected average order value"), null=True, blank=True
    )
    clv = models.FloatField("CLV", null=True, blank=True)
    # What the LTV screens need per period (the last 3, 6, 12, 24 calendar months up to as_of,
    # and all time), computed with the snapshot so no page scans the orders: orders, revenue,
    # cost, revenue of the orders whose cost is known, and orders without a channel. All-time
    # orders and revenue are `orders` and `monetary`.
    orders_3m = models.PositiveIntegerField(default=0)
    revenue_3m = models.FloatField(default=0.0)
    cost_3m = models.FloatField(default=0.0)
    costed_3m = models.FloatField(default=0.0)
    unattributed_3m = models.PositiveIntegerField(default=0)
    orders_6m = models.PositiveIntegerField(default=0)
    revenue_6m = models.FloatField(default=0.0)
    cost_6m = models.FloatField(default=0.0)
    costed_6m = models.FloatField(default=0.0)
    unattributed_6m = models.PositiveIntegerField(default=0)
    orders_12m = models.PositiveIntegerField(default=0)
    revenue_12m = models.FloatField(default=0.0)
    cost_12m = models.FloatField(default=0.0)
    costed_12m = models.FloatField(default=0.0)
    unattributed_12m = models.PositiveIntegerField(default=0)
    orders_24m = models.PositiveIntegerField(default=0)
    revenue_24m = models.FloatField(default=0.0)
    cost_24m = models.FloatField(default=0.0)
    costed_24m = models.FloatField(default=0.0)
    unattributed_24m = models.PositiveIntegerField(default=0)
    cost_all = models.FloatField(default=0.0)
    costed_all = models.FloatField(default=0.0)
    unattributed_all = models.PositiveIntegerField(default=0)
    # Bought between two years and one year before as_of (the base of the annual churn).
    bought_prior_year = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        ordering = ["snapshot", "-clv"]
        indexes = [
            models.Index(fields=["snapshot", "customer_key"], name="cv_snapshot_customer_idx"),
            models.Index(fields=["contact", "snapshot"], name="cv_contact_idx"),
            # Top customers and the drill-down walk a snapshot by CLV, highest first, through
            # cv_snapshot_clv_idx (snapshot, clv DESC NULLS LAST, customer_key), created by
            # migration 0005 (SQLite refuses NULLS LAST in an index; its DESC puts them last);
            # a one-segment drill-down walks its segment the same way through
            # cv_snapshot_segment_clv_idx (snapshot, segment, clv DESC NULLS LAST,
            # customer_key), created by migration 0007, which also serves (snapshot, segment).
            # No (company, snapshot) index: company-only customers are few, and every index
            # costs the nightly bulk write of a million rows.
        ]

    def __str__(self) -> str:
        return f"{self.customer_key}: {self.segment}"

    @property
    def customer(self) -> Any:
        """The contact, or the company for a company that buys without a contact."""
        return self.contact or self.company

    @property
    def phone(self) -> str:
        """The customer's phone (E.164)."""
        return getattr(self.customer, "phone", "") or ""

    @property
    def email(self) -> str:
        """The customer's e-mail."""
        return getattr(self.customer, "email", "") or ""

    @property
    def owner(self) -> Any:
        """Who owns the customer's record."""
        return getattr(self.customer, "owner", None)


class ValueCell(models.Model):
    """A snapshot's customers added up per (channel, segment, previous segment, inactivity, owner).

    What the value pages read instead of a million rows (see ``clientela.analytics.measures``):
    someone who sees every customer adds up every cell, someone who sees some owners' customers
    the cells of those owners. Kept with the snapshot's summary when its per-customer rows are
    pruned, so the equity trend can still be filtered.
    """

    snapshot = models.ForeignKey(
        ValueSnapshot, on_delete=models.CASCADE, related_name="cells", db_constraint=False
    )
    # The customers' owner at the snapshot (None: no owner, or a snapshot before owner keys).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.CharField(max_length=20, blank=True)
    segment = models.CharField(max_length=24)
    previous_segment = models.CharField(max_length=24, blank=True)
    inactivity = models.CharField(max_length=16)
    customers = models.PositiveIntegerField(default=0)
    clv_sum = models.FloatField(default=0.0)
    clv_n = models.PositiveIntegerField(default=0)
    alive_sum = models.FloatField(default=0.0)
    alive_n = models.PositiveIntegerField(default=0)
    monetary = models.FloatField(default=0.0)
    orders = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    prior = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    last_purchase = models.DateField(null=True, blank=True)
    buyers_3m = models.PositiveIntegerField(default=0)
    orders_3m = models.PositiveIntegerField(default=0)
    revenue_3m = models.FloatField(default=0.0)
    cost_3m = models.FloatField(default=0.0)
    costed_3m = models.FloatField(default=0.0)
    unattributed_3m = models.PositiveIntegerField(default=0)
    new_3m = models.PositiveIntegerField(default=0)
    buyers_6m = models.PositiveIntegerField(default=0)
    orders_6m = models.PositiveIntegerField(default=0)
    revenue_6m = models.FloatField(default=0.0)
    cost_6m = models.FloatField(default=0.0)
    costed_6m = models.FloatField(default=0.0)
    unattributed_6m = models.PositiveIntegerField(default=0)
    new_6m = models.PositiveIntegerField(default=0)
    buyers_12m = models.PositiveIntegerField(default=0)
    orders_12m = models.PositiveIntegerField(default=0)
    revenue_12m = models.FloatField(default=0.0)
    cost_12m = models.FloatField(default=0.0)
    costed_12m = models.FloatField(default=0.0)
    unattributed_12m = models.PositiveIntegerField(default=0)
    new_12m = models.PositiveIntegerField(default=0)
    buyers_24m = models.PositiveIntegerField(default=0)
    orders_24m = models.PositiveIntegerField(default=0)
    revenue_24m = models.FloatField(default=0.0)
    cost_24m = models.FloatField(default=0.0)
    costed_24m = models.FloatField(default=0.0)
    unattributed_24m = models.PositiveIntegerField(default=0)
    new_24m = models.PositiveIntegerField(default=0)
    cost_all = models.FloatField(default=0.0)
    costed_all = models.FloatField(default=0.0)
    unattributed_all = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("customer-value cell")
        verbose_name_plural = _("customer-value cells")
        indexes = [models.Index(fields=["snapshot", "owner"], name="cell_snapshot_owner_idx")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.channel}/{self.segment} ({self.customers})"


class OwnerTables(models.Model):
    """One owner's cohort tables and CLV histograms in a snapshot (their customers only).

    Cohort tables keep additive counts (cohort sizes, repeat, active and churned customers,
    prior-period buyers, revenue), so a department's tables are its members' tables added up.
    Histograms depend on their customers' CLV percentiles and are exact for one owner only;
    their grid counts add up, and give a department's histogram.
    """

    snapshot = models.ForeignKey(
        ValueSnapshot, on_delete=models.CASCADE, related_name="owner_tables", db_constraint=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    cohorts = models.JSONField(default=dict, blank=True)
    histograms = models.JSONField(default=dict, blank=True)
    # The CLV grid counts behind each histogram (``clientela.analytics.histograms``), which
    # add up across owners: a department's histogram. None: written before they were kept.
    clv_counts = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("owner's customer-value tables")
        verbose_name_plural = _("owners' customer-value tables")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "owner"], name="owner_tables_unique")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: {self.owner_id}"
