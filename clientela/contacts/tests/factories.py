"""Factories for contacts and companies (built through the ORM; services are tested directly)."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from clientela.contacts import services
from clientela.contacts.models import Company, Contact
from clientela.contacts.normalize import search_key


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    """A company with a Spanish name."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Inmobiliaria Andina {n} S.A.S.")
    city = "Bogotá"
    search_text = factory.LazyAttribute(lambda o: search_key(o.name))


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    """A lead with a valid Colombian mobile number."""

    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"María{n}")
    last_name = "Gómez"
    email = factory.Sequence(lambda n: f"maria{n}@example.co")
    phone = factory.Sequence(lambda n: f"+57300{n:07d}")
    city = "Medellín"
    search_text = factory.LazyAttribute(
        lambda o: search_key(o.first_name, o.last_name, o.email, o.phone)
    )


def contact_allowing_email_twin(actor: Any, **data: Any) -> Contact:
    """A contact created through the service, even when another live contact has its e-mail.

    Services refuse a second live contact with an e-mail in use (DuplicateRecord); such pairs
    still exist — kept from before that rule, brought back by a restore or an undone merge,
    or seeded by the demo — and the duplicates screens exist for them. The e-mail is then set
    in the table afterwards (updated_at moves, so duplicate detection sees the change).
    """
    email = str(data.get("email") or "").strip().lower()
    if not email or not Contact.objects.filter(email=email, deleted_at__isnull=True).exists():
        return services.create_contact(actor=actor, data=data)
    created = services.create_contact(actor=actor, data={**data, "email": ""})
    Contact.objects.filter(pk=created.pk).update(email=email, updated_at=timezone.now())
    created.refresh_from_db()
    return created
