"""Access matrix of every quotes, invoices and payments API operation, persona by persona.

Requests go against rep's documents (billing.tests.factories.build_world). A document is seen
by whoever sees its deal: rep2 and the service outsider get 404. Changing one needs the
billing capability and the right to change the deal: the read-only colleague and the
marketer see rep's documents but get 403.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.billing import services
from clientela.billing.tests.factories import World, build_world
from clientela.orders.models import ExchangeRate
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

QUOTES = "/api/v1/quotes"
INVOICES = "/api/v1/invoices"
PAYMENTS = "/api/v1/payments"

#                                                       admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {QUOTES}":                               api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {QUOTES}":                              api_row(201, 201, 201, 404, 403, 403, 404),
    f"GET {QUOTES}/{{quote_id}}":                  api_row(200, 200, 200, 404, 200, 200, 404),
    f"GET {QUOTES}/{{quote_id}}/pdf":              api_row(200, 200, 200, 404, 200, 200, 404),
    f"PATCH {QUOTES}/{{quote_id}}":                api_row(200, 200, 200, 404, 403, 403, 404),
    f"POST {QUOTES}/{{quote_id}}/accept":          api_row(200, 200, 200, 404, 403, 403, 404),
    f"POST {QUOTES}/{{quote_id}}/reject":          api_row(200, 200, 200, 404, 403, 403, 404),
    f"GET {INVOICES}":                             api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {INVOICES}":                            api_row(201, 201, 201, 404, 403, 403, 404),
    f"GET {INVOICES}/{{invoice_id}}":              api_row(200, 200, 200, 404, 200, 200, 404),
    f"GET {INVOICES}/{{invoice_id}}/pdf":          api_row(200, 200, 200, 404, 200, 200, 404),
    f"PUT {INVOICES}/{{invoice_id}}/instalments":  api_row(200, 200, 200, 404, 403, 403, 404),
    f"POST {INVOICES}/{{invoice_id}}/void":        api_row(200, 200, 200, 404, 403, 403, 404),
    f"GET {PAYMENTS}":                             api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {PAYMENTS}":                            api_row(201, 201, 201, 404, 403, 403, 404),
    f"DELETE {PAYMENTS}/{{payment_id}}":           api_row(204, 204, 204, 404, 403, 403, 404),
}  # fmt: skip


def fresh_world(personas: Any) -> World:
    """A new world for each persona: the previous one's exchange rate goes first."""
    ExchangeRate.objects.filter(currency="USD").delete()
    return build_world(personas)


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's draft quote, invoice and payment."""
    return {
        "quote_id": world.draft.pk,
        "invoice_id": world.invoice.pk,
        "payment_id": world.payment.pk,
    }


def _accepted_draft(world: World) -> dict[str, Any]:
    """Accept rep's draft (as the customer did) and invoice it in one instalment."""
    quote = services.decide_quote(world.draft, actor=None, accepted=True)
    row = {"position": 0, "due_on": quote.issued_on.isoformat(), "amount": str(quote.total)}
    return {"quote": quote.pk, "instalments": [row]}


def _same_plan_later(world: World) -> dict[str, Any]:
    rows = [
        {"position": row.position, "due_on": row.due_on.isoformat(), "amount": str(row.amount)}
        for row in world.invoice.instalments.order_by("position")
    ]
    rows[-1]["due_on"] = "2099-01-31"
    return {"instalments": rows}


def _without_payments(world: World) -> dict[str, Any]:
    """Delete the invoice's payment first: only an invoice without payments can be voided."""
    services.delete_payment(world.payment, actor=None)
    return {}


REQUESTS: dict[str, Request] = {
    f"POST {QUOTES}": Request("POST", data=lambda w: {"deal": w.deal.pk}),
    f"PATCH {QUOTES}/{{quote_id}}": Request("PATCH", data=lambda w: {"terms": "Contado"}),
    f"POST {QUOTES}/{{quote_id}}/accept": Request("POST"),
    f"POST {QUOTES}/{{quote_id}}/reject": Request("POST"),
    f"POST {INVOICES}": Request("POST", data=_accepted_draft),
    f"PUT {INVOICES}/{{invoice_id}}/instalments": Request("PUT", data=_same_plan_later),
    f"POST {INVOICES}/{{invoice_id}}/void": Request("POST", data=_without_payments),
    f"POST {PAYMENTS}": Request("POST", data=lambda w: {"invoice": w.invoice.pk, "amount": "50"}),
    f"DELETE {PAYMENTS}/{{payment_id}}": Request("DELETE"),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, fresh_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
