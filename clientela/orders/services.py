"""Writes for orders, marketing spend and exchange rates: the only code that changes them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.queries import get_company_for_user, get_contact_for_user
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.core.numbers import fit_decimal
from clientela.core.tabular.values import parse_decimal
from clientela.orders.choices import PURCHASE_VERB, Channel, OrderVia
from clientela.orders.models import ExchangeRate, MarketingSpend, Order, OrderLine
from clientela.orders.queries import (
    CENT,
    can_manage_rates,
    can_manage_spend,
    company_currency,
    convert,
    month_start,
)
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import diff_fields, record_event

Errors = dict[str, list[str]]
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal("9999999999999999.99")
ORDER_FIELDS = (
    "contact_id", "company_id", "ordered_at", "amount", "currency", "cost", "channel",
    "source_system", "external_id", "note",
)  # fmt: skip


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def parse_money(value: Any, field: str, errors: Errors, *, required: bool) -> Decimal | None:
    """Return a non-negative amount from a number or text ("1.234,50" and "1234.50" both work)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _add(errors, field, _("This field is required."))
        return None
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        try:
            number = parse_decimal(str(value)) or Decimal(0)
        except ValueError:
            _add(errors, field, _("Enter a number, such as 125000 or 125.000,50."))
            return None
    if not number.is_finite():
        _add(errors, field, _("Enter a number, such as 125000 or 125.000,50."))
        return None
    if number < 0:
        _add(errors, field, _("Enter an amount of zero or more."))
        return None
    if number > MAX_AMOUNT:
        _add(errors, field, _("This amount is too large."))
        return None
    return number.quantize(CENT, ROUND_HALF_UP)


def parse_currency(value: Any, errors: Errors, field: str = "currency") -> str:
    """Return a three-letter ISO 4217 code in upper case; the company currency when empty."""
    code = str(value or "").strip().upper() or company_currency()
    if not CURRENCY_RE.match(code):
        _add(errors, field, _("Use a three-letter currency code such as COP or USD."))
    return code


def parse_moment(value: Any, errors: Errors, field: str = "ordered_at") -> dt.datetime | None:
    """Return an aware datetime from a datetime, a date (noon local time) or ISO text."""
    if value is None or value == "":
        _add(errors, field, _("This field is required."))
        return None
    moment: dt.datetime | None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(12, 0))
    else:
        text = str(value).strip()
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = dt.datetime.combine(day, dt.time(12, 0)) if day else None
    if moment is None:
        _add(errors, field, _("Enter a date such as 2026-03-15 or 2026-03-15 10:30."))
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(days=1):
        _add(errors, field, _("An order cannot be dated in the future."))
        return None
    return moment


def _customer(data: Mapping[str, Any], actor: User, errors: Errors) -> dict[str, Any]:
    """Resolve contact and company against what the actor may write to."""
    out: dict[str, Any] = {}
    for field, getter in (("contact", get_contact_for_user), ("company", get_company_for_user)):
        if field not in data:
            continue
        value = data[field]
        pk = getattr(value, "pk", value)
        if pk in (None, ""):
            out[f"{field}_id"] = None
            continue
        try:
            out[f"{field}_id"] = getter(actor, pk).pk
        except NotFound:
            message = _("Contact not found.") if field == "contact" else _("Company not found.")
            _add(errors, field, message)
    return out


def _clean_lines(raw: Any, errors: Errors) -> list[dict[str, Any]] | None:
    """Order lines from a list of mappings; None when the input has no `lines` key."""
    if raw is None:
        return None
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(raw, start=1):
        name = str(line.get("product_name") or "").strip()
        sku = str(line.get("sku") or "").strip()
        if not (name or sku or line.get("unit_price") not in (None, "")):
            continue  # an empty row of the form
        line_errors: Errors = {}
        quantity = parse_money(line.get("quantity") or 1, "quantity", line_errors, required=True)
        price = parse_money(line.get("unit_price"), "unit_price", line_errors, required=True)
        if not name:
            _add(line_errors, "product_name", _("Name the product."))
        if quantity is not None and quantity <= 0:
            _add(line_errors, "quantity", _("The quantity must be more than zero."))
        for field, messages in line_errors.items():
            for message in messages:
                _add(errors, f"lines.{index}.{field}", message)
        if not line_errors:
            lines.append(
                {
                    "position": index,
                    "sku": sku[:60],
                    "product_name": name[:200],
                    "quantity": quantity,
                    "unit_price": price,
                }
            )
    return lines


def clean_order_data(
    data: Mapping[str, Any], actor: User, *, current: Order | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Validate order input; return model values and lines, or raise ValidationFailed."""
    errors: Errors = {}
    values: dict[str, Any] = _customer(data, actor, errors)
    creating = current is None
    lines = _clean_lines(data.get("lines"), errors)
    if creating or "ordered_at" in data:
        values["ordered_at"] = parse_moment(data.get("ordered_at"), errors)
    if creating or "amount" in data:
        amount_in = data.get("amount")
        line_errors = any(key.startswith("lines.") for key in errors)
        if (amount_in is None or amount_in == "") and (lines or line_errors):
            values["amount"] = sum(
                ((line["quantity"] * line["unit_price"]) for line in lines or []), Decimal(0)
            ).quantize(CENT, ROUND_HALF_UP)
        else:
            values["amount"] = parse_money(amount_in, "amount", errors, required=True)
    if creating or "currency" in data:
        values["currency"] = parse_currency(data.get("currency"), errors)
    if "cost" in data or "margin" in data:
        cost = parse_money(data.get("cost"), "cost", errors, required=False)
        margin = parse_money(data.get("margin"), "margin", errors, required=False)
        amount = values.get("amount", current.amount if current else None)
        if cost is None and margin is not None and amount is not None:
            if margin > amount:
                _add(errors, "margin", _("The margin cannot be larger than the amount."))
            cost = amount - margin
        values["cost"] = cost
    if "channel" in data or creating:
        channel = str(data.get("channel") or "")
        if channel and channel not in Channel.values:
            _add(errors, "channel", _("Choose one of the channels offered."))
        values["channel"] = channel
    for field, limit in (("source_system", 40), ("external_id", 100), ("note", 300)):
        if field in data or creating:
            text = str(data.get(field) or "").strip()
            if len(text) > limit:
                _add(
                    errors,
                    field,
                    _("Use at most %(limit)d characters.") % {"limit": limit},
                )
            values[field] = text
    contact_id = values.get("contact_id", current.contact_id if current else None)
    company_id = values.get("company_id", current.company_id if current else None)
    if not contact_id and not company_id and not errors.get("contact"):
        _add(errors, "contact", _("Choose the contact or the company who bought."))
    if errors:
        raise ValidationFailed(errors)
    return values, lines


def _apply_conversion(order: Order) -> None:
    """Set the day, rate and company-currency amounts of an order from its date and currency."""
    order.ordered_on = timezone.localdate(order.ordered_at)
    converted = convert(order.amount, order.currency, order.ordered_on)
    order.exchange_rate = converted.rate
    order.amount_company_currency = converted.amount
    order.cost_company_currency = (
        None if order.cost is None else (order.cost * converted.rate).quantize(CENT, ROUND_HALF_UP)
    )


def _event_data(order: Order) -> dict[str, Any]:
    return {
        "amount": str(order.amount),
        "currency": order.currency,
        "amount_company_currency": str(order.amount_company_currency),
        "ordered_on": order.ordered_on.isoformat(),
        "channel": order.channel,
    }


def _require_write(actor: User) -> None:
    if not has_capability(actor, "orders.write"):
        raise Forbidden(_("Your role can only read records."))


@transaction.atomic
def create_order(
    *, actor: User, data: Mapping[str, Any], via: str = OrderVia.UI, job: Any = None
) -> Order:
    """Validate, convert and save an order (with its lines) and put it on the timeline."""
    _require_write(actor)
    values, lines = clean_order_data(data, actor)
    if (
        values["external_id"]
        and Order.objects.filter(
            source_system=values["source_system"], external_id=values["external_id"]
        ).exists()
    ):
        raise ValidationFailed(
            {"external_id": [_("An order with this external id already exists.")]}
        )
    order = Order(**values)
    order.created_by = actor if getattr(actor, "pk", None) else None
    order.created_via = via
    order.import_job = job
    _apply_conversion(order)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:  # a concurrent import of the same external id
        raise Conflict(_("An order with this external id already exists.")) from exc
    if lines:
        OrderLine.objects.bulk_create([OrderLine(order=order, **line) for line in lines])
    record_event(
        PURCHASE_VERB,
        actor=actor,
        target=order,
        via=_timeline_via(via),
        contact_id=order.contact_id,
        company_id=order.company_id,
        data=_event_data(order),
        at=order.ordered_at,
    )
    return order


def _timeline_via(via: str) -> str:
    """Timeline channels are fewer than order origins (demo and deals are the system)."""
    return via if via in Via.values else Via.SYSTEM


def _order_snapshot(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in ORDER_FIELDS}


@transaction.atomic
def update_order(
    order: Order,
    *,
    actor: User,
    data: Mapping[str, Any],
    via: str = OrderVia.UI,
    expected_version: int | None = None,
) -> Order:
    """Change a visible order; amounts are converted again; stale versions are refused."""
    _require_write(actor)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(_("Someone else changed this order meanwhile. Reload it and try again."))
    values, lines = clean_order_data(data, actor, current=locked)
    external = values.get("external_id", locked.external_id)
    system = values.get("source_system", locked.source_system)
    if (
        external
        and Order.objects.filter(source_system=system, external_id=external)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise ValidationFailed(
            {"external_id": [_("An order with this external id already exists.")]}
        )
    before = _order_snapshot(locked)
    for key, value in values.items():
        setattr(locked, key, value)
    _apply_conversion(locked)
    changes = diff_fields(before, _order_snapshot(locked))
    if lines is not None:
        old_lines = list(locked.lines.values_list("product_name", "quantity", "unit_price"))
        new_lines = [(ln["product_name"], ln["quantity"], ln["unit_price"]) for ln in lines]
        if old_lines != new_lines:
            locked.lines.all().delete()
            OrderLine.objects.bulk_create([OrderLine(order=locked, **line) for line in lines])
            changes["lines"] = [len(old_lines), len(new_lines)]
    if changes:
        locked.updated_at = timezone.now()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        record_event(
            Verb.UPDATED,
            actor=actor,
            target=locked,
            via=_timeline_via(via),
            contact_id=locked.contact_id,
            company_id=locked.company_id,
            data={"changes": changes},
        )
    return locked


@transaction.atomic
def delete_order(order: Order, *, actor: User, via: str = OrderVia.UI) -> None:
    """Delete an order for good (it was entered by mistake); the timeline keeps the event."""
    if not has_capability(actor, "orders.delete"):
        raise Forbidden(_("Your role cannot delete records."))
    record_event(
        Verb.DELETED,
        actor=actor,
        target=order,
        via=_timeline_via(via),
        contact_id=order.contact_id,
        company_id=order.company_id,
        data=_event_data(order),
    )
    order.delete()


# --- Sales closed in other apps ------------------------------------------------------------

# The source system of the orders Clientela's own sales become (won deals, paid invoices).
SALES_SYSTEM = "clientela"


def feed_sale(
    *,
    key: str,
    contact_id: int | None,
    company_id: int | None,
    at: dt.datetime,
    amount: Decimal,
    currency: str,
    rate: Decimal,
    via: str,
    note: str = "",
) -> Order | None:
    """Record a sale closed in another app (a won deal, a paid invoice) as an order, once.

    `key` ("deal:12", "invoice:FAC-2026-0001") is the order's external id in the
    `clientela` source system: feeding the same sale again returns the order already there,
    so a retried job or a double click never counts a sale twice. `rate` is the one the sale
    was valued at (no rate look-up can fail here). A sale without a customer is no purchase
    for RFM or CLV and makes no order.
    """
    if contact_id is None and company_id is None:
        return None
    existing = Order.objects.filter(source_system=SALES_SYSTEM, external_id=key).first()
    if existing is not None:
        return existing
    order = Order(
        contact_id=contact_id,
        company_id=company_id,
        ordered_at=at,
        ordered_on=timezone.localdate(at),
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        amount_company_currency=(amount * rate).quantize(CENT, ROUND_HALF_UP),
        source_system=SALES_SYSTEM,
        external_id=key,
        note=note[:300],
        created_via=via,
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:  # the same sale fed at the same moment by another worker
        return Order.objects.filter(source_system=SALES_SYSTEM, external_id=key).first()
    record_event(
        PURCHASE_VERB,
        actor=None,
        target=order,
        via=Via.SYSTEM,
        contact_id=order.contact_id,
        company_id=order.company_id,
        data=_event_data(order),
        at=order.ordered_at,
    )
    return order


def withdraw_sale(key: str) -> bool:
    """Remove the order a sale became (a deal reopened, a payment undone); False if none."""
    order = Order.objects.filter(source_system=SALES_SYSTEM, external_id=key).first()
    if order is None:
        return False
    record_event(
        Verb.DELETED,
        actor=None,
        target=order,
        via=Via.SYSTEM,
        contact_id=order.contact_id,
        company_id=order.company_id,
        data=_event_data(order),
    )
    order.delete()
    return True


def sale_keys() -> list[str]:
    """Return the external ids of every order Clientela's own sales became."""
    return list(
        Order.objects.filter(source_system=SALES_SYSTEM).values_list("external_id", flat=True)
    )


def withdraw_sales(prefix: str) -> int:
    """Remove every order of Clientela's sales whose key starts with `prefix` ("deal:")."""
    keys = list(
        Order.objects.filter(
            source_system=SALES_SYSTEM, external_id__startswith=prefix
        ).values_list("external_id", flat=True)
    )
    for key in keys:
        withdraw_sale(key)
    return len(keys)


# --- Exchange rates ------------------------------------------------------------------------


def _require_rates(actor: User) -> None:
    if not can_manage_rates(actor):
        raise Forbidden(_("Only administrators and managers change exchange rates."))


@transaction.atomic
def set_rate(*, actor: User, currency: Any, day: Any, rate: Any) -> ExchangeRate:
    """Create or change the rate of a currency from a day on, and convert the orders it covers.

    Orders and spend dated from `day` until the next known rate of that currency are converted
    again, so every amount always uses the rate in force on its date.
    """
    _require_rates(actor)
    errors: Errors = {}
    code = parse_currency(currency, errors)
    if not errors and code == company_currency():
        _add(errors, "currency", _("The company currency always converts at 1."))
    when = day if isinstance(day, dt.date) else parse_date(str(day or ""))
    if when is None:
        _add(errors, "date", _("Enter a date such as 2026-03-15."))
    value = _parse_rate(rate, errors)
    if value is not None and value <= 0:
        _add(errors, "rate", _("The rate must be more than zero."))
    if errors:
        raise ValidationFailed(errors)
    assert when is not None and value is not None
    with transaction.atomic():
        before = ExchangeRate.objects.filter(currency=code, date=when).first()
        obj, _created = ExchangeRate.objects.update_or_create(
            currency=code,
            date=when,
            defaults={"rate": value, "updated_by": actor, "updated_at": timezone.now()},
        )
        _reconvert(code, when)
        _rate_event(obj, actor=actor, before=None if before is None else before.rate)
    return obj


def _rate_event(rate: ExchangeRate, *, actor: User, before: Decimal | None) -> None:
    """Record the audit event of a rate set (created or changed); an unchanged rate writes none."""
    if before is not None and before == rate.rate:
        return
    data = {
        "currency": rate.currency,
        "date": rate.date.isoformat(),
        "changes": diff_fields({"rate": before}, {"rate": rate.rate}),
    }
    if before is None:
        record_event(Verb.CREATED, actor=actor, target=rate, data=data)
    else:
        record_event(Verb.UPDATED, actor=actor, target=rate, data=data)


def _parse_rate(raw: Any, errors: Errors) -> Decimal | None:
    """Return a rate with up to eight decimals (money keeps two, rates need more)."""
    if raw is None or str(raw).strip() == "":
        _add(errors, "rate", _("This field is required."))
        return None
    try:
        if isinstance(raw, Decimal | int | float) and not isinstance(raw, bool):
            number = Decimal(str(raw))
        else:
            number = parse_decimal(str(raw)) or Decimal(0)
    except (ValueError, InvalidOperation):
        number = Decimal("NaN")
    # Bounded in both directions before rounding (a huge negative rate once overflowed the
    # quantize); the sign is the caller's check.
    fitted = fit_decimal(number, max_digits=20, decimal_places=8)
    if fitted is None:
        _add(errors, "rate", _("Enter a number, such as 4150,25."))
    return fitted


@transaction.atomic
def delete_rate(rate: ExchangeRate, *, actor: User) -> None:
    """Remove a rate; the orders it covered fall back to the previous rate (which must exist)."""
    _require_rates(actor)
    previous = (
        ExchangeRate.objects.filter(currency=rate.currency, date__lt=rate.date)
        .order_by("-date")
        .first()
    )
    uses = Order.objects.filter(currency=rate.currency, exchange_rate__isnull=False)
    covered = uses.filter(ordered_on__gte=rate.date)
    following = (
        ExchangeRate.objects.filter(currency=rate.currency, date__gt=rate.date)
        .order_by("date")
        .first()
    )
    if following:
        covered = covered.filter(ordered_on__lt=following.date)
    if previous is None and covered.exists():
        raise Conflict(
            _("Orders in %(currency)s use this rate and no earlier rate exists to replace it.")
            % {"currency": rate.currency}
        )
    code = rate.currency
    record_event(
        Verb.DELETED,
        actor=actor,
        target=rate,
        data={"currency": code, "date": rate.date.isoformat(), "rate": str(rate.rate)},
    )
    rate.delete()
    if previous is not None:
        _reconvert(code, previous.date)


def _reconvert(currency: str, day: dt.date) -> None:
    """Convert again the orders and spend of `currency` covered by the rate dated `day`."""
    rate = ExchangeRate.objects.get(currency=currency, date=day)
    following = (
        ExchangeRate.objects.filter(currency=currency, date__gt=day).order_by("date").first()
    )
    orders = Order.objects.filter(currency=currency, ordered_on__gte=day)
    spend = MarketingSpend.objects.filter(currency=currency, month__gte=day)
    if following:
        orders = orders.filter(ordered_on__lt=following.date)
        spend = spend.filter(month__lt=following.date)
    orders.update(
        exchange_rate=rate.rate,
        amount_company_currency=Round(F("amount") * rate.rate, 2),
        cost_company_currency=Round(F("cost") * rate.rate, 2),
    )
    spend.update(
        exchange_rate=rate.rate,
        amount_company_currency=Round(F("amount") * rate.rate, 2),
    )


# --- Marketing spend -------------------------------------------------------------------------


def require_spend(actor: User) -> None:
    """Forbidden unless the actor enters marketing spend."""
    if not can_manage_spend(actor):
        raise Forbidden(_("Only administrators, managers and marketing enter marketing spend."))


@transaction.atomic
def record_spend(
    *, actor: User, channel: str, month: dt.date, amount: Any, currency: Any = None
) -> MarketingSpend | None:
    """Set the spend of a channel in a month (an empty amount removes it)."""
    require_spend(actor)
    errors: Errors = {}
    if channel not in Channel.values:
        _add(errors, "channel", _("Choose one of the channels offered."))
    value = parse_money(amount, "amount", errors, required=False)
    code = parse_currency(currency, errors)
    first = month_start(month)
    if errors:
        raise ValidationFailed(errors)
    current = MarketingSpend.objects.filter(channel=channel, month=first).first()
    if value is None:
        if current is not None:
            _spend_event(Verb.DELETED, current, actor=actor, changes={})
            current.delete()
        return None
    converted = convert(value, code, first)
    obj, created = MarketingSpend.objects.update_or_create(
        channel=channel,
        month=first,
        defaults={
            "amount": value,
            "currency": code,
            "exchange_rate": converted.rate,
            "amount_company_currency": converted.amount,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    before = {} if current is None else {"amount": current.amount, "currency": current.currency}
    changes = diff_fields(before, {"amount": obj.amount, "currency": obj.currency})
    if created or changes:
        _spend_event(Verb.CREATED if created else Verb.UPDATED, obj, actor=actor, changes=changes)
    return obj


def _spend_event(
    verb: str, spend: MarketingSpend, *, actor: User, changes: Mapping[str, Any]
) -> None:
    """Record the audit event of one channel-month of marketing spend."""
    record_event(
        verb,
        actor=actor,
        target=spend,
        data={
            "channel": spend.channel,
            "month": spend.month.isoformat()[:7],
            "amount": str(spend.amount),
            "currency": spend.currency,
            "changes": dict(changes),
        },
    )


@transaction.atomic
def record_spend_grid(
    *,
    actor: User,
    year: int,
    currency: Any,
    values: Mapping[tuple[str, int], Any],
    currencies: Mapping[str, Any] | None = None,
) -> int:
    """Save a year's grid of spend per (channel, month number); returns the cells changed.

    Amounts are in `currency`, or in the row's own currency given by `currencies` (channel →
    code: an ads platform that bills in dollars). Every cell is validated first; nothing is
    saved when one is wrong (errors are keyed "<channel>-<month>" and "<channel>-currency").
    """
    require_spend(actor)
    errors: Errors = {}
    code = parse_currency(currency, errors)
    row_codes = {
        channel: parse_currency(value, errors, f"{channel}-currency")
        for channel, value in (currencies or {}).items()
        if channel in Channel.values
    }
    parsed: dict[tuple[str, int], Decimal | None] = {}
    for (channel, month), raw in values.items():
        if channel not in Channel.values or not 1 <= month <= 12:
            continue
        cell: Errors = {}
        parsed[(channel, month)] = parse_money(raw, "amount", cell, required=False)
        for message in cell.get("amount", []):
            _add(errors, f"{channel}-{month}", message)
    if errors:
        raise ValidationFailed(errors)
    existing = {
        (row.channel, row.month.month): row
        for row in MarketingSpend.objects.filter(month__year=year)
    }
    changed = 0
    for (channel, month), amount in parsed.items():
        row = existing.get((channel, month))
        row_code = row_codes.get(channel, code)
        if amount is None and row is None:
            continue
        if row is not None and amount == row.amount and row_code == row.currency:
            continue
        record_spend(
            actor=actor,
            channel=channel,
            month=dt.date(year, month, 1),
            amount=amount,
            currency=row_code,
        )
        changed += 1
    return changed
