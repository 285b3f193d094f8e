"""Helpers for order tests: contacts owned by personas, orders and rates made through services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clientela.contacts import services as contact_services
from clientela.contacts.models import Company, Contact
from clientela.orders import services
from clientela.orders.models import ExchangeRate, Order


def contact_of(user: Any, name: str = "Ana", **data: Any) -> Contact:
    """A contact owned by `user` (created by that user)."""
    return contact_services.create_contact(
        actor=user, data={"first_name": name, "email": f"{name.lower()}@example.co", **data}
    )


def company_of(user: Any, name: str = "Perfumería Andina") -> Company:
    """A company owned by `user`."""
    return contact_services.create_company(actor=user, data={"name": name})


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """An aware moment on a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def order_for(
    actor: Any, contact: Contact | None, day: dt.date, amount: str | int = 100000, **data: Any
) -> Order:
    """An order entered by `actor` through the service."""
    values: dict[str, Any] = {"ordered_at": at(day), "amount": str(amount), **data}
    if contact is not None:
        values.setdefault("contact", contact.pk)
    return services.create_order(actor=actor, data=values)


def rate(currency: str, day: dt.date, value: str) -> ExchangeRate:
    """A stored exchange rate (bypassing the service: setup only)."""
    return ExchangeRate.objects.create(currency=currency, date=day, rate=Decimal(value))
