"""Access-control matrix for every route of the `orders` and `analytics` (customer value) URLs.

ORDERS_AND_VALUE_ROUTE_MATRIX gives, for "namespace:name", the status each persona gets when
requesting it against rep's records (rep: sales, own records, "Comercial Bogotá"). A route
missing from the matrix fails the test, and so does a matrix row without a route.

Who may do what: every role lists orders of the customers it sees and enters orders if it
writes (colleague is read-only); exports need the export capability (admin, manager,
marketer); marketing spend is for admin, manager and marketing; exchange rates, recomputing
and analytics settings for admin and manager; the customer-value screens for every role but
service (outsider), each seeing only its own customers' numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse

from clientela.analytics.tests.factories import ValueWorld, build_world
from clientela.core.testing import client_for
from clientela.core.tests.factories import JobFactory

PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider")


def row(
    admin: int, manager: int, rep: int, rep2: int, colleague: int, marketer: int, outsider: int
) -> dict[str, int]:
    """One matrix row, personas in the order of PERSONAS."""
    return dict(
        zip(PERSONAS, (admin, manager, rep, rep2, colleague, marketer, outsider), strict=True)
    )


#                                              admin manager rep  rep2 colleague marketer outsider
ORDERS_AND_VALUE_ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "orders:order_list":           row(200,  200,    200, 200, 200,      200,     200),
    "orders:order_export":         row(200,  200,    403, 403, 403,      200,     403),
    "orders:order_create":         row(200,  200,    200, 404, 403,      200,     404),
    "orders:customer_options":     row(200,  200,    200, 200, 200,      200,     200),
    "orders:order_detail":         row(200,  200,    200, 404, 200,      200,     404),
    "orders:order_edit":           row(200,  200,    200, 404, 403,      200,     404),
    "orders:order_delete":         row(302,  302,    403, 404, 403,      403,     404),
    "orders:spend":                row(200,  200,    404, 404, 404,      200,     404),
    "orders:spend_import":         row(302,  302,    404, 404, 404,      302,     404),
    # Order imports need the import capability (403 otherwise) and belong to whoever started
    # them: the job below is the marketer's, so the manager gets 404 and administrators see all.
    "orders:import_start":         row(200,  200,    403, 403, 403,      200,     403),
    "orders:import_job":           row(302,  404,    403, 403, 403,      302,     403),
    "orders:import_mapping":       row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_preview":       row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_job_progress":  row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_rejects":       row(200,  404,    403, 403, 403,      200,     403),
    "orders:rate_list":            row(200,  200,    404, 404, 404,      404,     404),
    "orders:rate_delete":          row(302,  302,    404, 404, 404,      404,     404),
    "analytics:dashboard":         row(200,  200,    200, 200, 200,      200,     404),
    "analytics:customers":         row(200,  200,    200, 200, 200,      200,     404),
    "analytics:customers_export":  row(200,  200,    403, 403, 403,      200,     404),
    "analytics:ltv":               row(200,  200,    200, 200, 200,      200,     404),
    "analytics:ltv_save":          row(302,  302,    403, 403, 403,      403,     404),
    "analytics:cohorts":           row(200,  200,    200, 200, 200,      200,     404),
    "analytics:table_export":      row(200,  200,    403, 403, 403,      200,     404),
    "analytics:recompute":         row(302,  302,    403, 403, 403,      403,     404),
    "analytics:job_status":        row(200,  200,    404, 404, 404,      404,     404),
    "analytics:settings":          row(200,  200,    404, 404, 404,      404,     404),
}  # fmt: skip


@dataclass
class Request:
    """How a route is requested in the matrix."""

    method: str = "GET"
    kwargs: Callable[[ValueWorld], dict[str, Any]] = lambda w: {}
    query: Callable[[ValueWorld], str] = lambda w: ""
    data: Callable[[ValueWorld], dict[str, Any]] = field(default=lambda w: {})


def _job(world: ValueWorld) -> dict[str, Any]:

    return {"pk": JobFactory.create(kind="customer_value", total=5).pk}


def _order_import(world: ValueWorld) -> dict[str, Any]:
    """A draft order import started by the marketer."""
    from clientela.orders.import_jobs import start_order_import

    job = start_order_import(
        actor=world.personas.marketer,
        upload=io.BytesIO(b"Fecha;Correo;Total\r\n15/03/2026;ana@example.co;100\r\n"),
        filename="pedidos.csv",
    )
    return {"job_id": job.pk}


def _spend_file(world: ValueWorld) -> dict[str, Any]:
    return {
        "year": "2026",
        "file": SimpleUploadedFile("gastos.csv", b"Canal;Mes;Monto\r\nFacebook;2026-01;1000\r\n"),
    }


ROUTE_REQUESTS: dict[str, Request] = {
    "orders:spend_import": Request("POST", data=_spend_file),
    **{
        name: Request(kwargs=_order_import)
        for name in (
            "orders:import_job",
            "orders:import_mapping",
            "orders:import_preview",
            "orders:import_job_progress",
            "orders:import_rejects",
        )
    },
    "orders:order_export": Request(kwargs=lambda w: {"fmt": "csv"}),
    "orders:order_create": Request(query=lambda w: f"?contact={w.ana.pk}"),
    "orders:customer_options": Request(query=lambda w: "?q=Ana"),
    "orders:order_detail": Request(kwargs=lambda w: {"pk": w.order.pk}),
    "orders:order_edit": Request(kwargs=lambda w: {"pk": w.order.pk}),
    "orders:order_delete": Request("POST", kwargs=lambda w: {"pk": w.order.pk}),
    "orders:rate_delete": Request("POST", kwargs=lambda w: {"pk": w.rate.pk}),
    "analytics:customers": Request(query=lambda w: "?segment=" + w.snapshot.rows.all()[0].segment),
    "analytics:customers_export": Request(kwargs=lambda w: {"fmt": "csv"}),
    "analytics:ltv_save": Request("POST", data=lambda w: {"gross_margin": "45"}),
    "analytics:table_export": Request(kwargs=lambda w: {"table": "segments", "fmt": "csv"}),
    "analytics:recompute": Request("POST"),
    "analytics:job_status": Request(kwargs=_job),
}


def route_patterns() -> dict[str, URLPattern]:
    """Every named route of the orders and analytics URL configurations."""
    from clientela.analytics import urls as value_urls
    from clientela.orders import urls as order_urls

    patterns: dict[str, URLPattern] = {}
    for module in (order_urls, value_urls):
        for entry in module.urlpatterns:
            assert isinstance(entry, URLPattern), f"nested includes are not covered: {entry}"
            assert entry.name, f"every route needs a name: {entry.pattern}"
            patterns[f"{module.app_name}:{entry.name}"] = entry
    return patterns


def test_it_lists_every_orders_and_value_route_in_the_matrix():
    routes = set(route_patterns())
    assert routes - set(ORDERS_AND_VALUE_ROUTE_MATRIX) == set(), "add these routes to the matrix"
    assert set(ORDERS_AND_VALUE_ROUTE_MATRIX) - routes == set(), "these rows have no route"
    for name, expected in ORDERS_AND_VALUE_ROUTE_MATRIX.items():
        assert set(expected) == set(PERSONAS), f"{name}: give a status for every persona"


@pytest.fixture
def world(personas) -> ValueWorld:
    """Rep's and rep2's customers with orders, spend, rates and two snapshots."""
    return build_world(personas, with_clv=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "persona"),
    [(name, persona) for name in ORDERS_AND_VALUE_ROUTE_MATRIX for persona in PERSONAS],
)
def test_it_answers_each_persona_as_the_matrix_says(
    client, world, url_name, persona, django_capture_on_commit_callbacks
):
    assert url_name in route_patterns(), f"{url_name} is in the matrix but has no route"
    spec = ROUTE_REQUESTS.get(url_name, Request())
    url = reverse(url_name, kwargs=spec.kwargs(world)) + spec.query(world)
    c = client_for(client, getattr(world.personas, persona))
    with django_capture_on_commit_callbacks(execute=False):
        response = c.post(url, spec.data(world)) if spec.method == "POST" else c.get(url)
    expected = ORDERS_AND_VALUE_ROUTE_MATRIX[url_name][persona]
    assert response.status_code == expected, (
        f"{persona} {spec.method} {url}: got {response.status_code}, expected {expected}"
    )
