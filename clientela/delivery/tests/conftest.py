"""Delivery tests assert the English messages users see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def marketing_kind() -> Iterator[str]:
    """A registered marketing kind, removed afterwards."""
    from clientela.delivery.kinds import KINDS
    from clientela.delivery.tests.factories import register_marketing_kind

    key = register_marketing_kind()
    yield key
    KINDS.pop(key, None)


@pytest.fixture
def mail_settings(settings):
    """Mail operations configured: a bounce domain and the public address of the links."""
    settings.CLIENTELA = {
        **settings.CLIENTELA,
        "MAIL_BOUNCE_DOMAIN": "rebotes.example.co",
        "PUBLIC_URL": "https://crm.example.co",
    }
    return settings
