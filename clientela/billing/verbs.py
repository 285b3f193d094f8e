"""How billing events read on a deal's and a customer's timeline and in the audit log.

Events store data (numbers, amounts as text, codes); sentences are written when read, in the
reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.billing.choices import (
    BillingVerb,
    InvoiceStatus,
    OrdersFrom,
    PaymentMethod,
    QuoteStatus,
)
from clientela.core.events import HIDDEN, DataKey, DataKind, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, html, who


def _amount(raw: Any, currency: Any) -> str:
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return ""
    if not number.is_finite():
        return ""
    grouped = formats.number_format(number, 2, use_l10n=True, force_grouping=True)
    return f"{grouped} {currency or ''}".strip()


SENTENCES: Mapping[str, Any] = {
    BillingVerb.QUOTE_CREATED: gettext_lazy("%(who)s made the quote %(number)s"),
    BillingVerb.QUOTE_CHANGED: gettext_lazy("%(who)s changed the quote %(number)s"),
    BillingVerb.QUOTE_SENT: gettext_lazy("%(who)s sent the quote %(number)s"),
    BillingVerb.QUOTE_ACCEPTED: gettext_lazy("%(who)s marked the quote %(number)s accepted"),
    BillingVerb.QUOTE_REJECTED: gettext_lazy("%(who)s marked the quote %(number)s rejected"),
    BillingVerb.QUOTE_EXPIRED: gettext_lazy("The quote %(number)s expired"),
    BillingVerb.INVOICE_CREATED: gettext_lazy("%(who)s issued the invoice %(number)s"),
    BillingVerb.PLAN_CHANGED: gettext_lazy("%(who)s changed the instalment plan of %(number)s"),
    BillingVerb.PAYMENT_RECORDED: gettext_lazy("%(who)s recorded a payment on %(number)s"),
    BillingVerb.PAYMENT_DELETED: gettext_lazy("%(who)s deleted a payment on %(number)s"),
    BillingVerb.INVOICE_PAID: gettext_lazy("The invoice %(number)s is paid in full"),
    BillingVerb.INVOICE_VOIDED: gettext_lazy("%(who)s voided the invoice %(number)s"),
    BillingVerb.INSTALMENT_OVERDUE: gettext_lazy(
        "Instalment %(instalment)s of %(number)s is overdue"
    ),
}


def document_entry(timeline: Any, event: Event, entry: Entry) -> Entry:
    """Tell what happened to a quote or invoice, with the amount it concerns as the note."""
    data = event.data or {}
    pattern = SENTENCES.get(event.verb)
    if pattern is None:
        return entry
    entry.sentence = html(
        str(pattern),
        who=who(event.actor),
        number=str(data.get("number") or "—"),
        instalment=str(data.get("instalment", "")),
    )
    if "amount" in data:
        entry.note = _amount(data.get("amount"), data.get("currency"))
    elif event.verb == BillingVerb.QUOTE_SENT and data.get("to"):
        entry.note = _("To %(to)s") % {"to": data["to"]}
    elif event.verb in (BillingVerb.QUOTE_CREATED, BillingVerb.INVOICE_CREATED):
        entry.note = _amount(data.get("total"), data.get("currency"))
    return entry


def register_billing_verbs() -> None:
    """Register the verbs of billing, their sentences and how their data reads."""
    register_verbs(BillingVerb, {str(code): document_entry for code in SENTENCES})
    register_data_keys(
        {
            "document_id": HIDDEN,
            "deal_id": HIDDEN,
            "number": DataKey(gettext_lazy("Number")),
            "total": DataKey(gettext_lazy("Total amount")),
            "currency": DataKey(gettext_lazy("Currency")),
            "status": DataKey(gettext_lazy("Status")),
            "changed": DataKey(gettext_lazy("Changed")),
            "to": DataKey(gettext_lazy("To")),
            "quote": DataKey(gettext_lazy("Quote")),
            "instalments": DataKey(gettext_lazy("Instalments")),
            "instalment": DataKey(gettext_lazy("Instalment")),
            "amount": DataKey(gettext_lazy("Amount")),
            "balance": DataKey(gettext_lazy("Balance")),
            "paid_on": DataKey(gettext_lazy("Paid on"), DataKind.DATE),
            "due_on": DataKey(gettext_lazy("Due"), DataKind.DATE),
            "method": DataKey(gettext_lazy("Method"), DataKind.CHOICE, dict(PaymentMethod.choices)),
            "orders_from": DataKey(
                gettext_lazy("Sales that become orders"), DataKind.CHOICE, dict(OrdersFrom.choices)
            ),
            "previous": DataKey(gettext_lazy("Before"), DataKind.CHOICE, dict(OrdersFrom.choices)),
        },
        verbs=[str(verb) for verb in BillingVerb],
    )
    register_data_keys(
        {"status": DataKey(gettext_lazy("Status"), DataKind.CHOICE, dict(QuoteStatus.choices))},
        verbs=[str(v) for v in BillingVerb if str(v).startswith("quote_")],
    )
    # Invoices, their instalments and payments store the invoice's status.
    register_data_keys(
        {"status": DataKey(gettext_lazy("Status"), DataKind.CHOICE, dict(InvoiceStatus.choices))},
        verbs=[str(v) for v in BillingVerb if not str(v).startswith("quote_")],
    )
