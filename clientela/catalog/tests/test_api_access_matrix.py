"""Access matrix of every products API operation, persona by persona.

Everyone with a token reads the catalogue; creating, changing and archiving products needs
catalog.manage_products (administrators and managers by default): others get 403.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.catalog.tests.factories import World, build_world
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products"

#                                                 admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {PRODUCTS}":                    api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {PRODUCTS}":                   api_row(201, 201, 403, 403, 403, 403, 403),
    f"GET {PRODUCTS}/{{product_id}}":     api_row(200, 200, 200, 200, 200, 200, 200),
    f"PATCH {PRODUCTS}/{{product_id}}":   api_row(200, 200, 403, 403, 403, 403, 403),
    f"DELETE {PRODUCTS}/{{product_id}}":  api_row(204, 204, 403, 403, 403, 403, 403),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """The land plot."""
    return {"product_id": world.product.pk}


REQUESTS: dict[str, Request] = {
    f"POST {PRODUCTS}": Request(
        "POST",
        data=lambda w: {"sku": f"LOTE-N-{w.product.pk}", "name": "Lote nuevo", "kind": "unique"},
    ),
    f"PATCH {PRODUCTS}/{{product_id}}": Request("PATCH", data=lambda w: {"unit_price": "26000"}),
    f"DELETE {PRODUCTS}/{{product_id}}": Request("DELETE"),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
