"""Quotes and their lines, invoices with their instalments, payments, and document numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.billing.choices import InvoiceStatus, OrdersFrom, PaymentMethod, QuoteStatus
from clientela.deals.models import VALID_LINE, PricedLine


class DocumentCounter(models.Model):
    """The last number given in one series and year (COT 2026 → 17): numbering without gaps.

    A number is taken under this row's lock in the transaction that saves the document, so a
    document that fails to save gives its number back, and two at once wait for each other.
    """

    series = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="documentcounter_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"


class Document(models.Model):
    """What quotes and invoices share: number, customer, currency, totals, language, version.

    `rate` is the company-currency value of one unit of `currency` on the document's date,
    `total_company` the total at that rate (a quote in USD shows its COP equivalent).
    """

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_on = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(_("language"), max_length=5, default="es")
    net = models.DecimalField(_("subtotal"), max_digits=18, decimal_places=2, default=0)
    tax = models.DecimalField(_("tax"), max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=0)
    rate = models.DecimalField(_("exchange rate"), max_digits=20, decimal_places=8, default=1)
    total_company = models.DecimalField(
        _("total in company currency"), max_digits=20, decimal_places=2, default=0
    )
    terms = models.TextField(_("terms"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class Quote(Document):
    """A priced offer to the deal's customer, valid until a date; numbered COT-YYYY-NNNN."""

    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="quotes"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("valid until"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-issued_on", "-sequence", "-id"]
        indexes = [
            models.Index(fields=["deal", "status"], name="quote_deal_idx"),
            models.Index(fields=["status", "valid_until"], name="quote_expiry_idx"),
            models.Index(fields=["-issued_on", "-sequence"], name="quote_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="quote_year_sequence"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issued_on")), name="quote_valid"
            ),
        ]


class QuoteLine(PricedLine):
    """A line of a quote, copied from the deal's lines when the quote was made."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]
        constraints = [models.CheckConstraint(condition=VALID_LINE, name="quoteline_values_valid")]


class Invoice(Document):
    """The bill of an accepted quote, numbered FAC-YYYY-NNNN, collected in instalments.

    `paid` is the sum of its payments, kept with the invoice (payments change it under the
    invoice's row lock), so the balance and the lists need no sum per row.
    """

    deal = models.ForeignKey(
        "deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="invoices"
    )
    quote = models.OneToOneField(
        Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="invoice"
    )
    status = models.CharField(
        _("status"), max_length=5, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    paid = models.DecimalField(_("paid"), max_digits=18, decimal_places=2, default=0)
    paid_at = models.DateTimeField(_("paid in full"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-sequence", "-id"]
        indexes = [
            models.Index(fields=["deal"], name="invoice_deal_idx"),
            models.Index(fields=["status", "issued_on"], name="invoice_status_idx"),
            models.Index(fields=["-issued_on", "-sequence"], name="invoice_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_year_sequence"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=F("total")), name="invoice_paid_in_range"
            ),
        ]

    @property
    def balance(self) -> object:
        """What is still to collect."""
        return self.total - self.paid


class Instalment(models.Model):
    """One part of an invoice's plan: the down payment (position 0) or a monthly cuota."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    paid = models.DecimalField(_("paid"), max_digits=18, decimal_places=2, default=0)
    paid_on = models.DateField(_("paid in full on"), null=True, blank=True)
    # The task its owner got when it fell overdue (one per instalment, never two).
    overdue_task = models.ForeignKey(
        "activities.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["invoice", "position"]
        indexes = [models.Index(fields=["due_on"], name="instalment_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="instalment_position"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(paid__gte=0) & Q(paid__lte=F("amount")),
                name="instalment_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.position}"

    @property
    def balance(self) -> object:
        """What is still to collect of this instalment."""
        return self.amount - self.paid


class Payment(models.Model):
    """Money received against one instalment of an invoice (never more than its balance)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    instalment = models.ForeignKey(
        Instalment, verbose_name=_("instalment"), on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    paid_on = models.DateField(_("date"))
    method = models.CharField(
        _("method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["invoice", "paid_on"], name="payment_invoice_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"


class BillingSettings(models.Model):
    """The installation's billing settings (one row, pk=1).

    `orders_from` says which sales become orders for RFM, CLV and LTV: paid invoices or won
    deals — never both, so no sale counts twice — or none.
    """

    orders_from = models.CharField(
        _("sales that become orders"),
        max_length=8,
        choices=OrdersFrom.choices,
        default=OrdersFrom.INVOICES,
    )
    # Who issues the documents, printed on every quote and invoice.
    seller_name = models.CharField(_("company name"), max_length=200, blank=True)
    seller_tax_id = models.CharField(_("tax id (NIT)"), max_length=40, blank=True)
    seller_address = models.CharField(_("address"), max_length=300, blank=True)
    seller_contact = models.CharField(_("phone and e-mail"), max_length=200, blank=True)
    quote_validity_days = models.PositiveSmallIntegerField(_("quotes valid for (days)"), default=15)
    quote_terms = models.TextField(_("default quote terms"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return str(self.orders_from)
