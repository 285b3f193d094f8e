"""Factories for contacts and companies (built through the ORM; services are tested directly)."""

from __future__ import annotations

import factory

from clientela.contacts.models import Company, Contact
from clientela.contacts.normalize import search_key


class CompanyFactory(factory.django.DjangoModelFactory):
    """A company with a Spanish name."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Inmobiliaria Andina {n} S.A.S.")
    city = "Bogotá"
    search_text = factory.LazyAttribute(lambda o: search_key(o.name))


class ContactFactory(factory.django.DjangoModelFactory):
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
