"""Access matrix of the suppression list API: administrators (delivery.manage_suppressions)
only; everyone else gets 403 on the list and create, 404 on an address they cannot see."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from clientela.delivery.tests.factories import SuppressionFactory
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

BASE = "/api/v1/suppressions"

#                                              admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {BASE}":                        api_row(200, 403, 403, 403, 403, 403, 403),
    f"POST {BASE}":                       api_row(201, 403, 403, 403, 403, 403, 403),
    f"DELETE {BASE}/{{suppression_id}}":  api_row(204, 404, 404, 404, 404, 404, 404),
}  # fmt: skip

REQUESTS: dict[str, Request] = {
    f"POST {BASE}": Request("POST", data=lambda w: {"email": "nuevo@example.co"}),
    f"DELETE {BASE}/{{suppression_id}}": Request("DELETE", query=lambda w: "?reason=error"),
}


def build_world(personas: Any) -> SimpleNamespace:
    """One suppressed address."""
    return SimpleNamespace(suppression=SuppressionFactory.create())


def default_kwargs(world: SimpleNamespace) -> dict[str, Any]:
    """The suppressed address."""
    return {"suppression_id": world.suppression.pk}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
