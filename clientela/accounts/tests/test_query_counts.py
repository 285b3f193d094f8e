"""The departments screens run a fixed number of queries, however many departments and
members there are (no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts import services
from clientela.accounts.models import Department

pytestmark = pytest.mark.django_db


def _departments(personas: Any, count: int = 30) -> Department:
    """`count` departments, each with a member; the first one with every new user."""
    crowded = services.create_department(actor=personas.admin, name="Ventas 0")
    others = [
        services.create_department(actor=personas.admin, name=f"Ventas {i}")
        for i in range(1, count)
    ]
    for i, department in enumerate(others):
        services.create_user(
            actor=personas.admin,
            username=f"vendedor{i}",
            password=None,
            role=personas.roles["comercial"],
            departments=[crowded, department],
            first_name=f"Vendedor {i}",
        )
    return crowded


def test_the_departments_screens_pin_their_queries(
    client: Client, personas: Any, django_assert_num_queries: Any
) -> None:
    crowded = _departments(personas)
    client.force_login(personas.admin)
    # Session, user, the admin's role; the departments with their member counts.
    with django_assert_num_queries(4):
        assert client.get(reverse("accounts:department_list")).status_code == 200
    # Session, user, role; the department; its members.
    with django_assert_num_queries(5):
        url = reverse("accounts:department_edit", args=[crowded.pk])
        assert client.get(url).status_code == 200
