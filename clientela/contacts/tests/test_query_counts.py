"""The custom-field screens run a fixed number of queries, however many fields there are
(no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.choices import CustomFieldType, Entity
from clientela.contacts.models import CustomField

pytestmark = pytest.mark.django_db


def _fields(personas: Any, count: int = 30) -> CustomField:
    """`count` fields of contacts and companies, every third a choice list; one returned."""
    types = (CustomFieldType.TEXT, CustomFieldType.CHOICE, CustomFieldType.NUMBER)
    fields = [
        services.save_custom_field(
            actor=personas.admin,
            entity=(Entity.CONTACT, Entity.COMPANY)[i % 2],
            key=f"campo_{i}",
            label=f"Campo {i}",
            field_type=types[i % 3],
            choices=("Alta", "Media", "Baja") if types[i % 3] == CustomFieldType.CHOICE else (),
        )
        for i in range(count)
    ]
    return fields[1]


def test_the_custom_field_screens_pin_their_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    choice_field = _fields(personas)
    client.force_login(personas.admin)
    # Session, user, the admin's role; every field definition.
    with django_assert_num_queries(4):
        assert client.get(reverse("contacts:custom_field_list")).status_code == 200
    # Session, user, role.
    with django_assert_num_queries(3):
        assert client.get(reverse("contacts:custom_field_create")).status_code == 200
    # Session, user, role; the field.
    with django_assert_num_queries(4):
        url = reverse("contacts:custom_field_edit", args=[choice_field.pk])
        assert client.get(url).status_code == 200
