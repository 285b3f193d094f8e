"""Factories for core's records: background jobs."""

from __future__ import annotations

import factory

from clientela.core.models import Job


class JobFactory(factory.django.DjangoModelFactory[Job]):
    """A pending job of some kind, as the worker finds it before its first step."""

    class Meta:
        model = Job

    kind = "import_contacts"
