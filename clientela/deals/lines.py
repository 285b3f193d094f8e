"""Writes of a deal's line items and what they do to the catalogue's items.

A deal with lines has the total of its lines as its amount. A unique item on an open deal is
reserved for it (refused while another deal holds it), sold when the deal is won, released
when it is lost, reopened without it or deleted. `deals.services` calls `after_state_change`
when a deal moves; nothing else of the deal's life is here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.catalog import services as catalog
from clientela.catalog.choices import ProductKind
from clientela.catalog.models import Product
from clientela.catalog.queries import get_product_for_user, round_money
from clientela.core.events import Via
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.deals.choices import DealVerb, StageKind
from clientela.deals.models import Deal, DealLine
from clientela.deals.queries import can_write
from clientela.orders.queries import company_currency, convert, rate_on
from clientela.timeline.services import record_event

DESCRIPTION_MAX = 300
LINES_MAX = 200
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineTotals:
    """A line's amounts in the deal's currency: net of discount, its tax, and the total."""

    net: Decimal
    tax: Decimal
    total: Decimal


def line_totals(
    quantity: Decimal, unit_price: Decimal, discount_pct: Decimal, tax_rate: Decimal, currency: str
) -> LineTotals:
    """Compute a line's net, tax and total, each rounded half up to the currency's decimals."""
    gross = quantity * unit_price
    net = round_money(gross - gross * discount_pct / HUNDRED, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return LineTotals(net, tax, net + tax)


def price_in(product: Product, currency: str, day: dt.date) -> Decimal:
    """Return the product's unit price in `currency`, through the company currency's rates."""
    if product.currency == currency:
        return product.unit_price
    in_company = convert(product.unit_price, product.currency, day, field="product").amount
    if currency == company_currency():
        return round_money(in_company, currency)
    rate = rate_on(currency, day)
    if rate is None or not rate.rate:
        raise ValidationFailed(
            {
                "product": _(
                    "There is no exchange rate for %(currency)s on or before %(date)s. "
                    "Add it under Exchange rates first."
                )
                % {"currency": currency, "date": day.isoformat()}
            }
        )
    return round_money(in_company / rate.rate, currency)


def _check(deal: Deal, actor: User | None) -> None:
    if actor is not None and not can_write(actor):
        raise Forbidden(_("Your role can only read deals."))
    if deal.state != StageKind.OPEN:
        raise ValidationFailed({"product": _("Reopen the deal to change its lines.")})


def _recompute(deal: Deal, at: dt.datetime) -> None:
    """Make the deal's amount the total of its lines (left alone when it has none)."""
    total = DealLine.objects.filter(deal_id=deal.pk).aggregate(s=Sum("total"))["s"]
    if total is None:
        return
    converted = convert(total, deal.currency, timezone.localdate(at), field="currency")
    Deal.objects.filter(pk=deal.pk).update(
        amount=total, amount_company=converted.amount, rate=converted.rate, updated_at=at
    )
    deal.amount, deal.amount_company, deal.rate = total, converted.amount, converted.rate


def _event(verb: str, deal: Deal, line: DealLine, actor: User | None, via: str) -> None:
    record_event(
        verb,
        actor=actor,
        target=deal,
        via=via,
        data={
            "deal_id": deal.pk, "title": deal.title, "description": line.description,
            "product_id": line.product_id, "quantity": str(line.quantity),
            "line_total": str(line.total), "amount": str(deal.amount), "currency": deal.currency,
        },
        contact_id=deal.contact_id,
        company_id=deal.company_id,
    )  # fmt: skip


def _number(value: Any, field: str, *, places: int, low: Decimal, high: Decimal | None) -> Decimal:
    digits = 12 if field == "quantity" else (5 if field != "unit_price" else 16)
    number = catalog.parse_decimal(
        value, field, max_digits=digits, places=places, low=low, high=high
    )
    if number is None:
        raise ValidationFailed({field: _("This field is required.")})
    return number


@transaction.atomic
def add_line(
    deal: Deal,
    *,
    actor: User | None,
    product: Product | None = None,
    description: str = "",
    quantity: Any = 1,
    unit_price: Any = None,
    discount_pct: Any = 0,
    tax_rate: Any = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> DealLine:
    """Add a line to an open deal: a product (its price and tax by default) or free text.

    A unique item is reserved for the deal (one unit only); Conflict if another deal holds it.
    """
    _check(deal, actor)
    now = at or timezone.now()
    if actor is not None and product is not None:
        product = get_product_for_user(actor, product.pk)
    errors: dict[str, list[str]] = {}
    if DealLine.objects.filter(deal_id=deal.pk).count() >= LINES_MAX:
        raise ValidationFailed({"product": _("A deal has at most %(n)d lines.") % {"n": LINES_MAX}})
    if product is not None and not product.is_active:
        errors["product"] = [_("This product is archived.")]
    text = " ".join(str(description or "").split())
    if not text and product is not None:
        text = product.name
    if not text:
        errors["description"] = [_("Choose a product or describe the line.")]
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = [
            _("Use at most %(limit)d characters.") % {"limit": DESCRIPTION_MAX}
        ]
    values: dict[str, Decimal] = {}
    default_price = None
    if product is not None and (unit_price is None or unit_price == ""):
        try:
            default_price = price_in(product, deal.currency, timezone.localdate(now))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    specs: list[tuple[str, Any, int, Decimal, Decimal | None]] = [
        ("quantity", quantity, 3, Decimal("0.001"), None),
        ("unit_price", unit_price if default_price is None else default_price, 2, Decimal(0), None),
        ("discount_pct", discount_pct if discount_pct not in (None, "") else 0, 2, Decimal(0), HUNDRED),
        ("tax_rate", tax_rate if tax_rate not in (None, "") else (product.tax_rate if product else 0),
         2, Decimal(0), HUNDRED),
    ]  # fmt: skip
    for field, raw, places, low, high in specs:
        try:
            values[field] = _number(raw, field, places=places, low=low, high=high)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if (
        product is not None
        and product.kind == ProductKind.UNIQUE
        and "quantity" in values
        and values["quantity"] != 1
    ):
        errors["quantity"] = [_("A unique item is sold once: its quantity is 1.")]
    if (
        product is not None
        and product.kind == ProductKind.UNIQUE
        and DealLine.objects.filter(deal_id=deal.pk, product=product).exists()
    ):
        errors["product"] = [_("This item is on the deal already.")]
    if errors:
        raise ValidationFailed(errors)
    totals = line_totals(
        values["quantity"], values["unit_price"], values["discount_pct"], values["tax_rate"],
        deal.currency,
    )  # fmt: skip
    if totals.total >= Decimal(10) ** 14:
        raise ValidationFailed({"quantity": _("The line's total is too large.")})
    if product is not None and product.kind == ProductKind.UNIQUE:
        catalog.reserve(product, deal=deal, actor=actor, via=via, at=now)
    last = DealLine.objects.filter(deal_id=deal.pk).aggregate(m=Max("position"))["m"]
    line = DealLine.objects.create(
        deal=deal, product=product, description=text, position=(last or 0) + 1,
        net=totals.net, tax=totals.tax, total=totals.total, created_at=now, **values,
    )  # fmt: skip
    _recompute(deal, now)
    _event(DealVerb.LINE_ADDED, deal, line, actor, via)
    return line


@transaction.atomic
def remove_line(line: DealLine, *, actor: User | None, via: str = Via.UI) -> None:
    """Remove a line of an open deal; its unique item goes back to the available ones."""
    deal = line.deal
    _check(deal, actor)
    product = line.product
    if product is not None and product.kind == ProductKind.UNIQUE:
        catalog.release(product, deal=deal, actor=actor, via=via)
    line.delete()
    now = timezone.now()
    if not DealLine.objects.filter(deal_id=deal.pk).exists():
        Deal.objects.filter(pk=deal.pk).update(updated_at=now)
    else:
        _recompute(deal, now)
    _event(DealVerb.LINE_REMOVED, deal, line, actor, via)


def after_state_change(deal: Deal, before: str, *, actor: User | None, via: str) -> None:
    """Follow a deal's new state on its items: won sells, lost releases, open reserves.

    Runs inside the move's transaction: an item sold or held elsewhere refuses the move, as a
    field error on `stage` saying why. A won deal that leaves the won state gives its stock
    units back on hand.
    """
    try:
        _follow_state(deal, before, actor=actor, via=via)
    except Conflict as exc:
        raise ValidationFailed({"stage": str(exc)}) from exc


def _follow_state(deal: Deal, before: str, *, actor: User | None, via: str) -> None:
    lines = list(
        DealLine.objects.filter(deal_id=deal.pk, product__isnull=False).select_related("product")
    )
    for line in lines:
        product = line.product
        assert product is not None
        if (
            before == StageKind.WON
            and deal.state != StageKind.WON
            and product.kind == ProductKind.STOCK
        ):
            catalog.release(product, deal=deal, actor=actor, quantity=line.quantity, via=via)
        if deal.state == StageKind.WON:
            catalog.sell(product, deal=deal, actor=actor, quantity=line.quantity, via=via)
        elif product.kind == ProductKind.UNIQUE:
            if deal.state == StageKind.LOST:
                catalog.release(product, deal=deal, actor=actor, via=via)
            else:
                catalog.reserve(product, deal=deal, actor=actor, via=via)


def before_delete(deal: Deal, *, actor: User | None, via: str) -> None:
    """Release the unique items a deal holds before it is deleted."""
    for product in Product.objects.filter(deal_id=deal.pk, kind=ProductKind.UNIQUE):
        catalog.release(product, deal=deal, actor=actor, via=via)
