"""Every UI route and every API operation is in some app's access matrix, and every matrix row
is a real route or operation.

Each app declares the screens it serves in ``tests/test_access_matrix.py`` (ROUTE_MATRIX) and
the operations in ``tests/test_api_access_matrix.py`` (API_MATRIX), both built with
clientela.testing.access; a new screen or endpoint without a row fails here.
"""

from __future__ import annotations

from clientela.testing.access import api_operations, collected_matrices, every_route

# URL prefixes no ROUTE_MATRIX holds, each with its reason. Keep this short: a screen belongs
# in a matrix, however public it is (sign-in, health check and language switch have rows).
EXEMPT_PREFIXES = {
    # The REST API (its operations, the OpenAPI document, the docs page and the JSON 404 for
    # unknown paths) authenticates by token, not by session: the API test below and API_MATRIX
    # hold it.
    "api/": "the REST API, covered by API_MATRIX",
}


def ui_routes() -> list[tuple[str, str | None]]:
    """Every URL pattern of the URLconf outside the exempt prefixes, as (route, name)."""
    return [
        (route, name)
        for route, name in every_route()
        if not any(route.startswith(prefix) for prefix in EXEMPT_PREFIXES)
    ]


def test_it_covers_every_ui_route_in_a_route_matrix() -> None:
    routes = ui_routes()
    unnamed = sorted(route for route, name in routes if name is None)
    assert not unnamed, f"name these routes so a ROUTE_MATRIX can hold them: {unnamed}"
    names = {name for _route, name in routes if name is not None}
    covered = collected_matrices("test_access_matrix", "ROUTE_MATRIX")
    missing = sorted(names - set(covered))
    stale = sorted(set(covered) - names)
    assert not missing, f"add these routes to an app's ROUTE_MATRIX: {missing}"
    assert not stale, f"these ROUTE_MATRIX rows match no route: {stale}"


def test_it_covers_every_api_operation_in_an_access_matrix() -> None:
    operations = api_operations()
    covered = collected_matrices("test_api_access_matrix", "API_MATRIX")
    missing = sorted(operations - set(covered))
    stale = sorted(set(covered) - operations)
    assert not missing, f"add these API operations to an app's API_MATRIX: {missing}"
    assert not stale, f"these API_MATRIX rows match no operation: {stale}"
