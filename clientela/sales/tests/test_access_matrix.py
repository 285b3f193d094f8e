"""Access matrix of every route of the sales section.

sales.view_reports (administrators, managers and sales reps) opens the screens, each over the
deals the reader sees (a rep reads their own numbers: tested in test_views); the read-only
colleague, the marketer and the service outsider get 403. Exports need deals.export
(administrators and managers), as the deals list's does.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.sales.tests.factories import SalesWorld, build_sales_world
from clientela.testing.access import Request, check_rows, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                   admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "sales:overview":             row(200,  200,    200, 200, 403,      403,     403),
    "sales:plan":                 row(200,  200,    200, 200, 403,      403,     403),
    "sales:activity":             row(200,  200,    200, 200, 403,      403,     403),
    "sales:lost":                 row(200,  200,    200, 200, 403,      403,     403),
    "sales:customers":            row(200,  200,    200, 200, 403,      403,     403),
    "sales:payments":             row(200,  200,    200, 200, 403,      403,     403),
    "sales:table_export":         row(200,  200,    403, 403, 403,      403,     403),
}  # fmt: skip


def default_kwargs(world: SalesWorld) -> dict[str, Any]:
    """The funnel table as CSV."""
    return {"table": "funnel", "fmt": "csv"}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    wrong = route_mismatches(
        route, ROUTE_MATRIX, Request(), personas, build_sales_world, default_kwargs
    )
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
