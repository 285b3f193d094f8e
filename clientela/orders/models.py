"""Orders (purchases), their lines, marketing spend per channel and month, exchange rates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.orders.choices import Channel, OrderVia


class ExchangeRate(models.Model):
    """How many units of the company currency one unit of `currency` was worth from `date` on."""

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_currency_date")
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}: {self.rate}"


class Order(models.Model):
    """One purchase by a contact or a company, with its amount converted to the company currency."""

    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,  # (contact, ordered_on) below serves lookups and cascades
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,  # (company, ordered_on) below serves lookups and cascades
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    # The calendar day in the installation's time zone: analytics group by it, and two orders
    # on the same day are one purchase for RFM and CLV.
    ordered_on = models.DateField(_("order date"), editable=False)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=8)
    amount_company_currency = models.DecimalField(
        _("amount in company currency"), max_digits=18, decimal_places=2
    )
    cost = models.DecimalField(_("cost"), null=True, blank=True, max_digits=18, decimal_places=2)
    cost_company_currency = models.DecimalField(
        _("cost in company currency"), null=True, blank=True, max_digits=18, decimal_places=2
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    source_system = models.CharField(_("source system"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_via = models.CharField(
        _("created via"), max_length=16, choices=OrderVia.choices, default=OrderVia.UI
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(company__isnull=False),
                name="order_has_customer",
            ),
            # Re-importing the same file finds the order again instead of adding it twice.
            models.UniqueConstraint(
                fields=["source_system", "external_id"],
                condition=~Q(external_id=""),
                name="order_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "ordered_on"], name="order_contact_day_idx"),
            models.Index(fields=["company", "ordered_on"], name="order_company_day_idx"),
            models.Index(fields=["-ordered_at", "-id"], name="order_recent_idx"),
            models.Index(fields=["ordered_on"], name="order_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ordered_on} {self.amount} {self.currency}"

    @property
    def margin(self) -> object:
        """Gross profit of the order in its currency, when the cost is known."""
        return None if self.cost is None else self.amount - self.cost

    @property
    def customer(self) -> object:
        """The contact who bought, or the company when no contact is recorded."""
        return self.contact or self.company


class OrderLine(models.Model):
    """A product line of an order (optional: many shops only send the total)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    product_name = models.CharField(_("product"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"

    @property
    def total(self) -> object:
        """Quantity times unit price."""
        return self.quantity * self.unit_price


class MarketingSpend(models.Model):
    """Money spent on one acquisition channel in one month (gives CAC per channel)."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=8)
    amount_company_currency = models.DecimalField(
        _("amount in company currency"), max_digits=18, decimal_places=2
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("marketing spend")
        verbose_name_plural = _("marketing spend")
        ordering = ["-month", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="spend_channel_month")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}: {self.amount} {self.currency}"
