"""Choices of billing: quote states, payment methods, traffic lights and the timeline verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuoteStatus(models.TextChoices):
    """Where a quote stands with the customer."""

    DRAFT = "draft", pgettext_lazy("quote status", "Draft")
    SENT = "sent", pgettext_lazy("quote status", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("quote status", "Rejected")
    EXPIRED = "expired", pgettext_lazy("quote status", "Expired")


# A quote in one of these still speaks for the deal (it can be sent, accepted or expire).
LIVE_QUOTE = (QuoteStatus.DRAFT, QuoteStatus.SENT)


class InvoiceStatus(models.TextChoices):
    """Whether an invoice is still to collect, fully paid, or void."""

    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    VOID = "void", pgettext_lazy("invoice status", "Void")


class Light(models.TextChoices):
    """The payment traffic light of an invoice (and of a deal: its worst invoice)."""

    GREEN = "green", pgettext_lazy("traffic light", "Up to date")
    AMBER = "amber", pgettext_lazy("traffic light", "Due soon")
    RED = "red", pgettext_lazy("traffic light", "Overdue")
    PAID = "paid", pgettext_lazy("traffic light", "Paid")


# From worst to best: a deal shows the first of these any of its invoices has.
LIGHT_ORDER = (Light.RED, Light.AMBER, Light.GREEN, Light.PAID)


class PaymentMethod(models.TextChoices):
    """How the customer paid."""

    TRANSFER = "transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    CHECK = "check", _("Cheque")
    OTHER = "other", _("Other")


class BillingVerb(models.TextChoices):
    """Timeline verbs of quotes, invoices and payments (registered in ready())."""

    QUOTE_CREATED = "quote_created", _("quote created")
    QUOTE_CHANGED = "quote_changed", _("quote changed")
    QUOTE_SENT = "quote_sent", _("quote sent")
    QUOTE_ACCEPTED = "quote_accepted", _("quote accepted")
    QUOTE_REJECTED = "quote_rejected", _("quote rejected")
    QUOTE_EXPIRED = "quote_expired", _("quote expired")
    INVOICE_CREATED = "invoice_created", _("invoice issued")
    PLAN_CHANGED = "instalments_changed", _("instalment plan changed")
    PAYMENT_RECORDED = "payment_recorded", _("payment recorded")
    PAYMENT_DELETED = "payment_deleted", _("payment deleted")
    INVOICE_PAID = "invoice_paid", _("invoice paid in full")
    INVOICE_VOIDED = "invoice_voided", _("invoice voided")
    INSTALMENT_OVERDUE = "instalment_overdue", _("instalment overdue")
    SETTINGS_CHANGED = "billing_settings_changed", _("billing settings changed")


class OrdersFrom(models.TextChoices):
    """Which sales feed Orders (and so RFM, CLV and LTV)."""

    INVOICES = "invoices", _("Paid invoices")
    DEALS = "deals", _("Won deals")
    NONE = "none", _("Neither (orders are entered or imported)")
