"""Who may send tracking batches: anyone, token or not (the ingest is public by design; a
batch proves nothing but the site's public key, which is on every page of the site)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from clientela.testing.access import Request, api_mismatches, check_rows, row
from clientela.tracking.queries import forget_cached_sites
from clientela.tracking.tests.factories import TrackedSiteFactory, visitor_key

pytestmark = pytest.mark.django_db

#                         admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    "POST /t/events":     row(204, 204, 204, 204, 204, 204, 204, anonymous=204),
}  # fmt: skip


def _batch(world: Any) -> dict[str, Any]:
    event = {"kind": "pageview", "url": "https://www.example.co/precios",
             "ts": int(time.time() * 1000)}  # fmt: skip
    return {"site": world.site.key, "visitor": visitor_key(), "events": [event]}


REQUESTS = {"POST /t/events": Request("POST", data=_batch)}


@pytest.fixture(autouse=True)
def _fresh_sites() -> Any:
    forget_cached_sites()
    yield
    forget_cached_sites()


def build_world(personas: Any) -> SimpleNamespace:
    """Build a tracked site."""
    return SimpleNamespace(site=TrackedSiteFactory.create())


def default_kwargs(world: SimpleNamespace) -> dict[str, Any]:
    """Return the path parameters (the ingest has none)."""
    return {}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    wrong = api_mismatches(
        operation, API_MATRIX, REQUESTS[operation], personas, build_world, default_kwargs
    )
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
