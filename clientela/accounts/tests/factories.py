"""Factories for departments and roles (users come from the `personas` fixture)."""

from __future__ import annotations

import factory

from clientela.accounts.models import Department, Role


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    """A department without a parent."""

    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Departamento {n}")


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    """A custom role that sees its own records and grants nothing unless given capabilities."""

    class Meta:
        model = Role

    code = factory.Sequence(lambda n: f"rol_{n}")
    name = factory.Sequence(lambda n: f"Rol {n}")
