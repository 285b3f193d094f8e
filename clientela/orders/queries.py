"""Reads for orders, exchange rates and marketing spend; visibility follows the customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.queries import companies_visible_to, contacts_visible_to
from clientela.core.exceptions import NotFound, ValidationFailed
from clientela.orders.models import ExchangeRate, MarketingSpend, Order

CENT = Decimal("0.01")


def company_currency() -> str:
    """Return the currency every amount is converted to (settings.CLIENTELA["COMPANY_CURRENCY"])."""
    return str(settings.CLIENTELA.get("COMPANY_CURRENCY", "COP")).upper()


def can_view_orders(user: User | AnonymousUser) -> bool:
    """Whether the role opens the order screens (capability orders.view)."""
    return has_capability(user, "orders.view")


def can_manage_spend(user: User | AnonymousUser) -> bool:
    """Whether the role reads and enters marketing spend (capability orders.manage_spend)."""
    return has_capability(user, "orders.manage_spend")


def can_import(user: User | AnonymousUser) -> bool:
    """Whether the role imports orders and spend (capability orders.import)."""
    return has_capability(user, "orders.import")


def can_manage_rates(user: User | AnonymousUser) -> bool:
    """Whether the role reads and enters exchange rates (capability orders.manage_rates)."""
    return has_capability(user, "orders.manage_rates")


def customer_visibility_q(user: User, prefix: str = "") -> Q:
    """Return a filter keeping rows whose customer the user may see.

    The customer of a row is its contact, or its company when no contact is recorded; the row is
    visible exactly when that record is (a record in the trash hides its orders too).
    """
    return Q(**{f"{prefix}contact__in": contacts_visible_to(user).values("pk")}) | Q(
        **{
            f"{prefix}contact__isnull": True,
            f"{prefix}company__in": companies_visible_to(user).values("pk"),
        }
    )


def orders_visible_to(user: User) -> QuerySet[Order]:
    """Orders whose customer the user may see."""
    return Order.objects.filter(customer_visibility_q(user))


def get_order_for_user(user: User, order_id: Any) -> Order:
    """One order the user may see; NotFound otherwise."""
    try:
        return (
            orders_visible_to(user)
            .select_related("contact", "company", "created_by")
            .get(pk=int(order_id))
        )
    except (Order.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Order not found.")) from exc


ORDER_ORDERINGS = {
    "date": ("ordered_at", "id"),
    "-date": ("-ordered_at", "-id"),
    "amount": ("amount_company_currency", "id"),
    "-amount": ("-amount_company_currency", "-id"),
}


@dataclass
class OrderFilters:
    """What the orders list is narrowed by."""

    q: str = ""
    channel: str = ""
    currency: str = ""
    contact: int | None = None
    company: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    ordering: str = "-date"

    def active(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q
            or self.channel
            or self.currency
            or self.contact
            or self.company
            or self.date_from
            or self.date_to
        )


def filter_orders(user: User, filters: OrderFilters) -> QuerySet[Order]:
    """Return the visible orders narrowed and ordered by `filters`."""
    from clientela.contacts.queries import search_q

    qs = orders_visible_to(user).select_related("contact", "company")
    if filters.q:
        text = filters.q.strip()
        by_text = Q(external_id=text) | Q(
            contact__in=contacts_visible_to(user).filter(search_q(text)).values("pk")
        )
        qs = qs.filter(by_text)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.currency:
        qs = qs.filter(currency=filters.currency.upper())
    if filters.contact:
        qs = qs.filter(contact_id=filters.contact)
    if filters.company:
        qs = qs.filter(company_id=filters.company)
    if filters.date_from:
        qs = qs.filter(ordered_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(ordered_on__lte=filters.date_to)
    return qs.order_by(*ORDER_ORDERINGS.get(filters.ordering, ORDER_ORDERINGS["-date"]))


def order_totals(qs: QuerySet[Order]) -> dict[str, Any]:
    """Return the number of orders and their total in the company currency."""
    row = qs.order_by().aggregate(n=Count("id"), total=Sum("amount_company_currency"))
    return {"count": row["n"] or 0, "total": row["total"] or Decimal(0)}


# --- Exchange rates ------------------------------------------------------------------------


def rate_on(currency: str, day: dt.date) -> ExchangeRate | None:
    """Return the rate in force on `day`: the latest one dated on or before it."""
    return (
        ExchangeRate.objects.filter(currency=currency.upper(), date__lte=day)
        .order_by("-date")
        .first()
    )


@dataclass(frozen=True)
class Converted:
    """An amount in the company currency and the rate used."""

    amount: Decimal
    rate: Decimal


def convert(amount: Decimal, currency: str, day: dt.date, *, field: str = "currency") -> Converted:
    """Convert an amount to the company currency at the rate in force on `day`.

    Raises ValidationFailed (on `field`) when no rate is known on or before that day.
    """
    code = currency.upper()
    if code == company_currency():
        return Converted(amount.quantize(CENT, ROUND_HALF_UP), Decimal(1))
    rate = rate_on(code, day)
    if rate is None:
        raise ValidationFailed(
            {
                field: _(
                    "There is no exchange rate for %(currency)s on or before %(date)s. "
                    "Add it under Exchange rates first."
                )
                % {"currency": code, "date": day.isoformat()}
            }
        )
    return Converted((amount * rate.rate).quantize(CENT, ROUND_HALF_UP), rate.rate)


def rates_list(currency: str = "") -> QuerySet[ExchangeRate]:
    """Exchange rates, newest first, optionally for one currency."""
    qs = ExchangeRate.objects.select_related("updated_by").order_by("-date", "currency")
    return qs.filter(currency=currency.upper()) if currency else qs


def rate_currencies() -> list[str]:
    """Currencies that have at least one rate."""
    return list(
        ExchangeRate.objects.order_by("currency").values_list("currency", flat=True).distinct()
    )


# --- Marketing spend and CAC ------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    """Return the first day of the day's month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the first day of the month `months` after the day's month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def spend_grid(year: int) -> dict[tuple[str, int], MarketingSpend]:
    """Return the year's spend rows by (channel, month number)."""
    rows = MarketingSpend.objects.filter(month__year=year)
    return {(row.channel, row.month.month): row for row in rows}


def spend_by_channel(start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Spend in the company currency per channel for the months from `start` to `end` inclusive."""
    rows = (
        MarketingSpend.objects.filter(month__gte=month_start(start), month__lte=month_start(end))
        .values("channel")
        .annotate(total=Sum("amount_company_currency"))
        .order_by()
    )
    return {row["channel"]: row["total"] or Decimal(0) for row in rows}


# Orders of customers that are not in the trash; `o` is the orders table. Written as NOT EXISTS
# without OR so PostgreSQL plans anti-joins against the (few) trashed records.
LIVE_CONTACT_SQL = """NOT EXISTS (
        SELECT 1 FROM contacts_contact dc WHERE dc.id = o.contact_id AND dc.deleted_at IS NOT NULL)"""
LIVE_COMPANY_SQL = """NOT EXISTS (
        SELECT 1 FROM contacts_company dco
        WHERE dco.id = o.company_id AND dco.deleted_at IS NOT NULL AND o.contact_id IS NULL)"""
LIVE_CUSTOMER_SQL = f"{LIVE_CONTACT_SQL} AND {LIVE_COMPANY_SQL}"
# One integer per customer: the contact id, or minus the company id for company-only orders.
CUSTOMER_KEY_SQL = "COALESCE(o.contact_id, -o.company_id)"


def first_day_sql(where: str = "") -> str:
    """Return SQL giving each customer's first purchase day, its total and the channel.

    The acquisition channel is that day's order channel, else the contact's source.

    Columns: customer_key, first_day, first_day_total, channel; `where` adds conditions on the
    per-customer first day (alias f.first_day) and takes its parameters after `as_of`.
    """
    having = f"HAVING {where}" if where else ""
    return f"""
        SELECT f.customer_key, f.first_day, SUM(o.amount_company_currency) AS first_day_total,
               COALESCE(MAX(NULLIF(o.channel, '')), MAX(c.source), '') AS channel
        FROM orders_order o
        JOIN (
            SELECT {CUSTOMER_KEY_SQL} AS customer_key, MIN(o.ordered_on) AS first_day
            FROM orders_order o
            WHERE o.ordered_on <= %s AND {LIVE_CUSTOMER_SQL}
            GROUP BY {CUSTOMER_KEY_SQL}
            {having.replace("f.first_day", "MIN(o.ordered_on)")}
        ) f ON f.customer_key = {CUSTOMER_KEY_SQL} AND o.ordered_on = f.first_day
        LEFT JOIN contacts_contact c ON c.id = o.contact_id
        GROUP BY f.customer_key, f.first_day
    """  # noqa: S608 - fixed SQL, values are parameters


def new_customers_by_channel(start: dt.date, end: dt.date) -> dict[str, int]:
    """Return customers whose first order falls between `start` and `end`, by acquisition channel.

    A customer's acquisition channel is the channel of their first order (the contact's source
    when that order has none). Company-wide: CAC divides company-wide spend.
    """
    sql = f"""
        SELECT t.channel, COUNT(*) FROM ({first_day_sql("f.first_day >= %s")}) t
        GROUP BY t.channel
    """  # noqa: S608 - fixed SQL, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [end, start])
        return {str(channel or ""): int(n) for channel, n in cursor.fetchall()}


@dataclass(frozen=True)
class ChannelCac:
    """Spend, new customers and CAC of one channel over a period."""

    channel: str
    spend: Decimal
    new_customers: int

    @property
    def cac(self) -> Decimal | None:
        """Spend per new customer; None when the channel brought nobody."""
        if not self.new_customers:
            return None
        return (self.spend / self.new_customers).quantize(CENT, ROUND_HALF_UP)


def cac_by_channel(start: dt.date, end: dt.date) -> list[ChannelCac]:
    """CAC per channel = spend in the period ÷ new customers acquired through it in the period.

    Spend is counted by whole months, so the period should start on a month's first day.
    """
    spend = spend_by_channel(start, end)
    new = new_customers_by_channel(start, end)
    channels = sorted(set(spend) | set(new))
    return [ChannelCac(ch, spend.get(ch, Decimal(0)), new.get(ch, 0)) for ch in channels]
