"""Access matrix of every billing screen.

Quotes and invoices are seen by whoever sees their deal (404 otherwise). Making and answering
quotes needs billing.quote, invoices and their plans billing.invoice, payments
billing.record_payments (administrators, managers and reps by default), exports
billing.export (administrators and managers) and the settings billing.manage_settings.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from clientela.billing.tests.factories import World, build_world
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                        admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "billing:invoice_list":            everyone(200),
    "billing:invoice_export":          row(200,  200,    403, 403, 403,      403,     403),
    "billing:invoice_detail":          row(200,  200,    200, 404, 200,      200,     404),
    "billing:invoice_plan":            row(200,  200,    200, 404, 403,      403,     404),
    "billing:invoice_pdf":             row(200,  200,    200, 404, 200,      200,     404),
    "billing:payment_create":          row(302,  302,    302, 404, 403,      403,     404),
    "billing:invoice_void":            row(302,  302,    302, 404, 403,      403,     404),
    "billing:payment_export":          row(200,  200,    403, 403, 403,      403,     403),
    "billing:payment_delete":          row(302,  302,    302, 404, 403,      403,     404),
    "billing:quote_list":              everyone(200),
    "billing:quote_export":            row(200,  200,    403, 403, 403,      403,     403),
    "billing:quote_detail":            row(200,  200,    200, 404, 200,      200,     404),
    "billing:quote_edit":              row(200,  200,    200, 404, 403,      403,     404),
    "billing:quote_pdf":               row(200,  200,    200, 404, 200,      200,     404),
    "billing:quote_send":              row(200,  200,    200, 404, 403,      403,     404),
    "billing:quote_decide":            row(302,  302,    302, 404, 403,      403,     404),
    "billing:invoice_create":          row(200,  200,    200, 404, 403,      403,     404),
    "billing:quote_create":            row(200,  200,    200, 404, 403,      403,     404),
    "billing:settings":                row(200,  403,    403, 403, 403,      403,     403),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's invoice, and the export's format."""
    return {"pk": world.invoice.pk, "fmt": "csv"}


def _payment(world: World) -> dict[str, Any]:
    row_ = world.invoice.instalments.order_by("position").first()
    assert row_ is not None
    return {
        "instalment": row_.pk, "amount": "1.00", "paid_on": timezone.localdate().isoformat(),
        "method": "cash", "reference": "",
    }  # fmt: skip


REQUESTS: dict[str, Request] = {
    "billing:payment_create": Request("POST", data=_payment),
    "billing:invoice_void": Request("POST"),
    "billing:payment_delete": Request("POST", kwargs=lambda w: {"pk": w.payment.pk}),
    "billing:quote_detail": Request(kwargs=lambda w: {"pk": w.quote.pk}),
    "billing:quote_edit": Request(kwargs=lambda w: {"pk": w.draft.pk}),
    "billing:quote_pdf": Request(kwargs=lambda w: {"pk": w.quote.pk}),
    "billing:quote_send": Request(kwargs=lambda w: {"pk": w.draft.pk}),
    "billing:quote_decide": Request(
        "POST", kwargs=lambda w: {"pk": w.draft.pk}, data=lambda w: {"answer": "reject"}
    ),
    "billing:invoice_create": Request(kwargs=lambda w: {"pk": w.quote.pk}),
    "billing:quote_create": Request(kwargs=lambda w: {"deal_pk": w.deal.pk}),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
