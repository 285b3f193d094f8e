"""Factories for contacts, companies, tags and custom fields.

`ContactFactory` and `CompanyFactory` write rows straight to the table. `EnteredContactFactory`
and `EnteredCompanyFactory` create them through the service as `actor` would (owner, search
text, the "created" event), for tests whose records must look like ones a user entered.
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from clientela.contacts import services
from clientela.contacts.models import Company, Contact, CustomField, Tag
from clientela.contacts.normalize import search_key


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    """A company with a Spanish name."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Inmobiliaria Andina {n} S.A.S.")
    city = "Bogotá"
    search_text = factory.LazyAttribute(lambda o: search_key(o.name))

    class Params:
        # Only the fields a test names: no city or search text.
        bare = factory.Trait(city="", search_text="")


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

    class Params:
        # Only the fields a test names: no last name, e-mail, phone, city or search text.
        bare = factory.Trait(last_name="", email="", phone="", city="", search_text="")


class EnteredContactFactory(factory.django.DjangoModelFactory[Contact]):
    """A contact created through the service by `actor` (required), owned by them.

    Other keyword arguments are the service's form data (`source`, `phone`, `company` as a pk…).
    """

    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"Lucía{n}")
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.co")

    @classmethod
    def _create(cls, model_class: type[Contact], *args: Any, **data: Any) -> Contact:
        actor = data.pop("actor")
        return services.create_contact(actor=actor, data=data)


class EnteredCompanyFactory(factory.django.DjangoModelFactory[Company]):
    """A company created through the service by `actor` (required), owned by them."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Perfumería Andina {n}")

    @classmethod
    def _create(cls, model_class: type[Company], *args: Any, **data: Any) -> Company:
        actor = data.pop("actor")
        return services.create_company(actor=actor, data=data)


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    """A tag."""

    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Etiqueta {n}")


class CustomFieldFactory(factory.django.DjangoModelFactory[CustomField]):
    """A custom text field on contacts."""

    class Meta:
        model = CustomField

    key = factory.Sequence(lambda n: f"campo_{n}")
    label_es = factory.Sequence(lambda n: f"Campo {n}")
    field_type = "text"


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
