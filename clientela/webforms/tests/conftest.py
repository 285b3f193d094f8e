"""Web form tests: fast proof of work, no fill-time wait, one allowed redirect host."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _form_settings(settings: Any) -> None:
    """A small ALTCHA challenge and the allow-list the redirect tests use."""
    settings.CLIENTELA = {
        **settings.CLIENTELA,
        "ALTCHA_MAX_NUMBER": 200,
        "FORM_REDIRECT_HOSTS": ["www.example.co"],
        "FORM_RATE_IP": "1000/m",
        "FORM_RATE_FORM": "100000/m",
    }
