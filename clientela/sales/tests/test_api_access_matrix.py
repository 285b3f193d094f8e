"""Access matrix of the reports API: the funnel reads for who has sales.view_reports.

Every reader gets the funnel over the deals they see; the read-only colleague, the marketer
and the service outsider get 403.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.sales.tests.factories import SalesWorld, build_sales_world
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

#                                          admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    "GET /api/v1/reports/funnel":     api_row(200, 200, 200, 200, 403, 403, 403),
}  # fmt: skip


def default_kwargs(world: SalesWorld) -> dict[str, Any]:
    """No path parameters."""
    return {}


REQUESTS: dict[str, Request] = {
    "GET /api/v1/reports/funnel": Request(query=lambda w: f"?pipeline={w.pipeline.pk}"),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_sales_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
