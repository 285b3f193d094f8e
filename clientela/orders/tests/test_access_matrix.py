"""Access matrix of every route of the `orders` and `analytics` (customer value) URLs.

ROUTE_MATRIX gives, for "namespace:name", the status each persona and the anonymous visitor
get when requesting it against rep's records (rep: sales, own records, "Comercial Bogotá").
The coverage test in core (clientela/core/tests/test_access_coverage.py) fails when a route
is in no app's ROUTE_MATRIX.

Who may do what: every role lists orders of the customers it sees and enters orders if it
writes (colleague is read-only); exports need the export capability (admin, manager,
marketer); marketing spend is for admin, manager and marketing; exchange rates, recomputing
and analytics settings for admin and manager; the customer-value screens for every role but
service (outsider), each seeing only its own customers' numbers. Anonymous visitors are sent
to the sign-in page (302, the default of `row`).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clientela.analytics.tests.factories import ValueWorld
from clientela.analytics.tests.factories import build_world as build_value_world
from clientela.core.tests.factories import JobFactory
from clientela.orders.import_jobs import start_order_import
from clientela.testing.access import Request, check_rows, route_mismatches, row

pytestmark = pytest.mark.django_db


#                                     admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "orders:order_list":          row(200,  200,    200, 200, 200,      200,     200),
    "orders:order_export":        row(200,  200,    403, 403, 403,      200,     403),
    "orders:order_create":        row(200,  200,    200, 404, 403,      200,     404),
    "orders:order_detail":        row(200,  200,    200, 404, 200,      200,     404),
    "orders:order_edit":          row(200,  200,    200, 404, 403,      200,     404),
    "orders:order_delete":        row(302,  302,    403, 404, 403,      403,     404),
    "orders:spend":               row(200,  200,    404, 404, 404,      200,     404),
    "orders:spend_import":        row(302,  302,    404, 404, 404,      302,     404),
    # Order imports need the import capability (403 otherwise) and belong to whoever started
    # them: the job below is the marketer's, so the manager gets 404 and administrators see all.
    "orders:import_start":        row(200,  200,    403, 403, 403,      200,     403),
    "orders:import_job":          row(302,  404,    403, 403, 403,      302,     403),
    "orders:import_mapping":      row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_preview":      row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_job_progress": row(200,  404,    403, 403, 403,      200,     403),
    "orders:import_rejects":      row(200,  404,    403, 403, 403,      200,     403),
    "orders:rate_list":           row(200,  200,    404, 404, 404,      404,     404),
    "orders:rate_delete":         row(302,  302,    404, 404, 404,      404,     404),
    "analytics:dashboard":        row(200,  200,    200, 200, 200,      200,     404),
    "analytics:customers":        row(200,  200,    200, 200, 200,      200,     404),
    "analytics:customers_export": row(200,  200,    403, 403, 403,      200,     404),
    # Saving a drill-down as a list needs the segments capability besides the value pages.
    "analytics:customers_save_list": row(302, 302,  403, 403, 403,      302,     404),
    "analytics:ltv":              row(200,  200,    200, 200, 200,      200,     404),
    "analytics:ltv_save":         row(302,  302,    403, 403, 403,      403,     404),
    "analytics:cohorts":          row(200,  200,    200, 200, 200,      200,     404),
    "analytics:table_export":     row(200,  200,    403, 403, 403,      200,     404),
    "analytics:recompute":        row(302,  302,    403, 403, 403,      403,     404),
    "analytics:job_status":       row(200,  200,    404, 404, 404,      404,     404),
    "analytics:settings":         row(200,  200,    404, 404, 404,      404,     404),
}  # fmt: skip


def _job(world: ValueWorld) -> dict[str, Any]:
    return {"pk": JobFactory.create(kind="customer_value", total=5).pk}


def _order_import(world: ValueWorld) -> dict[str, Any]:
    """A draft order import started by the marketer."""
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


REQUESTS: dict[str, Request] = {
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
    "orders:order_detail": Request(kwargs=lambda w: {"pk": w.order.pk}),
    "orders:order_edit": Request(kwargs=lambda w: {"pk": w.order.pk}),
    "orders:order_delete": Request("POST", kwargs=lambda w: {"pk": w.order.pk}),
    "orders:rate_delete": Request("POST", kwargs=lambda w: {"pk": w.rate.pk}),
    "analytics:customers": Request(query=lambda w: "?segment=" + w.snapshot.rows.all()[0].segment),
    "analytics:customers_export": Request(kwargs=lambda w: {"fmt": "csv"}),
    "analytics:customers_save_list": Request(
        "POST",
        query=lambda w: "?segment=" + w.snapshot.rows.all()[0].segment,
        data=lambda w: {"name": "En riesgo"},
    ),
    "analytics:ltv_save": Request("POST", data=lambda w: {"gross_margin": "45"}),
    "analytics:table_export": Request(kwargs=lambda w: {"table": "segments", "fmt": "csv"}),
    "analytics:recompute": Request("POST"),
    "analytics:job_status": Request(kwargs=_job),
}


def build_world(personas: Any) -> ValueWorld:
    """Rep's and rep2's customers with orders, spend, rates and two snapshots (no CLV fits)."""
    return build_value_world(personas, with_clv=False)


def no_default_kwargs(world: ValueWorld) -> dict[str, Any]:
    """Every route with parameters names them in REQUESTS."""
    return {}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, no_default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
