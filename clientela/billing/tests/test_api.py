"""The quotes, invoices and payments API: every operation, its field errors, 404, 403 and 409."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from clientela.billing import services
from clientela.billing.models import Instalment, Invoice, Payment, Quote
from clientela.billing.queries import today
from clientela.billing.tests.factories import (
    EnteredInvoiceFactory,
    EnteredQuoteFactory,
    World,
    accepted_quote,
    build_world,
    plot_deal,
    usd_rate,
)
from clientela.deals.models import Deal
from clientela.deals.tests.factories import EnteredDealFactory, real_estate_pipeline
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db

QUOTES = "/api/v1/quotes"
INVOICES = "/api/v1/invoices"
PAYMENTS = "/api/v1/payments"


def _send(client: Client, method: str, path: str, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def _errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    errors: dict[str, list[str]] = response.json()["errors"]
    return errors


@pytest.fixture
def world(personas: Any) -> World:
    return build_world(personas)


@pytest.fixture
def fresh_deal(personas: Any, world: World) -> Deal:
    """Another deal of rep's with a 30,000 USD plot on it, not quoted yet."""
    return plot_deal(personas.rep, world.pipeline, price="30000.00")


# --- quotes ------------------------------------------------------------------------------------


def test_it_quotes_a_deal_with_its_lines_and_cop_equivalent(
    client: Client, personas: Any, fresh_deal: Deal
) -> None:
    answer = _send(
        client, "post", QUOTES, personas.rep, {"deal": fresh_deal.pk, "terms": "Contado"}
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"].startswith(f"COT-{today().year}-") and body["status"] == "draft"
    assert (body["total"], body["currency"]) == ("30000.00", "USD")
    assert (body["total_company"], body["company_currency"]) == ("120000000.00", "COP")
    assert body["terms"] == "Contado" and body["deal"]["id"] == fresh_deal.pk
    plot = fresh_deal.lines.get()
    assert [(line["product"], line["total"]) for line in body["lines"]] == [
        (plot.product_id, "30000.00")
    ]
    again = _send(client, "get", f"{QUOTES}/{body['id']}", personas.manager).json()
    assert again == body


def test_quote_field_errors_are_per_field_and_save_nothing(
    client: Client, personas: Any, world: World, fresh_deal: Deal
) -> None:
    before = Quote.objects.count()
    past = _send(client, "post", QUOTES, personas.rep, {"deal": fresh_deal.pk, "valid_until": "2000-01-01"})  # fmt: skip
    assert _errors(past) == {"valid_until": ["A quote cannot expire before its date."]}
    far = (today() + dt.timedelta(days=400)).isoformat()
    too_far = _send(client, "post", QUOTES, personas.rep, {"deal": fresh_deal.pk, "valid_until": far})  # fmt: skip
    assert _errors(too_far) == {"valid_until": ["A quote is valid for a year at most."]}
    bad = _send(
        client, "post", QUOTES, personas.rep,
        {"deal": fresh_deal.pk, "language": "fr", "terms": "x" * 5001, "valid_until": "soon",
         "extra": 1},
    )  # fmt: skip
    errors = _errors(bad)
    assert set(errors) == {"language", "terms", "valid_until", "extra"}
    assert errors["extra"] == ["Unknown field."]
    assert errors["valid_until"] == ["Enter a valid date."]
    assert errors["terms"][0].startswith("Ensure this value has at most 5000 characters")
    assert _errors(_send(client, "post", QUOTES, personas.rep, {})) == {
        "deal": ["This field is required."]
    }
    bare = EnteredDealFactory.create(actor=personas.rep, pipeline=world.pipeline)
    no_lines = _send(client, "post", QUOTES, personas.rep, {"deal": bare.pk})
    assert _errors(no_lines) == {
        "lines": ["Add the products or services to the deal before quoting it."]
    }
    assert Quote.objects.count() == before


def test_quoting_someone_elses_deal_is_404_and_without_the_right_403(
    client: Client, personas: Any, world: World
) -> None:
    hidden = _send(client, "post", QUOTES, personas.rep, {"deal": world.other_deal.pk})
    assert hidden.status_code == 404
    assert _send(client, "get", f"{QUOTES}/{world.other_quote.pk}", personas.rep).status_code == 404
    refused = _send(client, "post", QUOTES, personas.colleague, {"deal": world.deal.pk})
    assert (
        refused.status_code == 403 and refused.json()["detail"] == "Your role cannot make quotes."
    )


def test_it_lists_quotes_with_filters(client: Client, personas: Any, world: World) -> None:
    mine = _send(client, "get", QUOTES, personas.rep).json()
    assert {item["id"] for item in mine["items"]} == {world.quote.pk, world.draft.pk}
    assert mine["count"] == 2 and mine["next"] is None
    everyone = _send(client, "get", QUOTES, personas.manager).json()
    assert everyone["count"] == 3
    drafts = _send(client, "get", f"{QUOTES}?status=draft", personas.manager).json()
    assert [item["id"] for item in drafts["items"]] == [world.draft.pk]
    of_deal = _send(client, "get", f"{QUOTES}?deal={world.other_deal.pk}", personas.manager)
    assert [item["id"] for item in of_deal.json()["items"]] == [world.other_quote.pk]
    day = today().isoformat()
    dated = _send(client, "get", f"{QUOTES}?since={day}&until={day}", personas.manager).json()
    assert dated["count"] == 3
    later = (today() + dt.timedelta(days=1)).isoformat()
    assert _send(client, "get", f"{QUOTES}?since={later}", personas.manager).json()["count"] == 0
    paged = _send(client, "get", f"{QUOTES}?limit=2", personas.manager).json()
    assert len(paged["items"]) == 2 and paged["next"]
    rest = _send(client, "get", paged["next"], personas.manager).json()
    seen = [i["id"] for i in paged["items"]] + [i["id"] for i in rest["items"]]
    assert sorted(seen) == sorted([world.quote.pk, world.draft.pk, world.other_quote.pk])
    assert _errors(_send(client, "get", f"{QUOTES}?status=lost", personas.rep))["status"]


def test_it_changes_a_draft_and_answers_409_with_the_current_version(
    client: Client, personas: Any, world: World
) -> None:
    url = f"{QUOTES}/{world.draft.pk}"
    until = (today() + dt.timedelta(days=30)).isoformat()
    changed = _send(client, "patch", url, personas.rep, {"valid_until": until, "version": 1})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["valid_until"], changed.json()["version"]) == (until, 2)
    stale = _send(client, "patch", url, personas.manager, {"terms": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert "changed this document" in stale.json()["detail"]
    assert _errors(_send(client, "patch", url, personas.rep, {"valid_until": "2000-01-01"})) == {
        "valid_until": ["A quote cannot expire before its date."]
    }
    assert _errors(_send(client, "patch", url, personas.rep, {"language": "de"}))["language"]
    english = _send(client, "patch", url, personas.rep, {"language": "en", "refresh_lines": True})
    assert english.json()["language"] == "en" and english.json()["version"] == 3
    accepted = _send(client, "patch", f"{QUOTES}/{world.quote.pk}", personas.rep, {"terms": "y"})
    assert accepted.status_code == 409
    assert accepted.json() == {
        "detail": "Only a draft quote can be changed; make a new one instead.",
        "version": Quote.objects.get(pk=world.quote.pk).version,
    }
    refused = _send(client, "patch", url, personas.colleague, {"terms": "z"})
    assert refused.status_code == 403
    assert _send(client, "patch", url, personas.rep2, {"terms": "z"}).status_code == 404


def test_it_records_the_customers_answer(client: Client, personas: Any, world: World) -> None:
    url = f"{QUOTES}/{world.draft.pk}"
    stale = _send(client, "post", f"{url}/accept", personas.rep, {"version": 7})
    assert stale.status_code == 409 and stale.json()["version"] == 1
    accepted = _send(client, "post", f"{url}/accept", personas.rep, {})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_at"]
    again = _send(client, "post", f"{url}/reject", personas.rep, {})
    assert again.status_code == 409 and again.json()["version"] == accepted.json()["version"]
    other = EnteredQuoteFactory.create(deal=world.deal)
    rejected = _send(client, "post", f"{QUOTES}/{other.pk}/reject", personas.manager, {})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    late = EnteredQuoteFactory.create(deal=world.deal, valid_until=today())
    with time_machine.travel(dt.datetime.now() + dt.timedelta(days=3)):
        expired = _send(client, "post", f"{QUOTES}/{late.pk}/accept", personas.rep, {})
    assert "expired" in _errors(expired)["status"][0]
    assert _errors(_send(client, "post", f"{url}/accept", personas.rep, {"x": 1})) == {
        "x": ["Unknown field."]
    }


# --- invoices ----------------------------------------------------------------------------------


def test_it_invoices_an_accepted_quote_with_given_instalments(
    client: Client, personas: Any, fresh_deal: Deal
) -> None:
    quote = accepted_quote(personas.rep, fresh_deal)
    due = today() + dt.timedelta(days=40)
    rows = [
        {"position": 0, "due_on": due.isoformat(), "amount": "10000.00"},
        {"position": 1, "due_on": (due + dt.timedelta(days=30)).isoformat(), "amount": 20000},
    ]
    answer = _send(client, "post", INVOICES, personas.rep, {"quote": quote.pk, "instalments": rows})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"].startswith(f"FAC-{today().year}-")
    assert body["quote"] == {"id": quote.pk, "number": quote.number}
    assert (body["total"], body["paid"], body["balance"]) == ("30000.00", "0.00", "30000.00")
    assert body["light"] == "green" and body["status"] == "open"
    assert [(i["position"], i["amount"], i["overdue"]) for i in body["instalments"]] == [
        (0, "10000.00", False), (1, "20000.00", False),
    ]  # fmt: skip
    twice = _send(client, "post", INVOICES, personas.rep, {"quote": quote.pk, "instalments": rows})
    assert twice.status_code == 409
    assert twice.json()["detail"] == "This quote has been invoiced already."


def test_it_invoices_with_a_down_payment_and_monthly_cuotas(
    client: Client, personas: Any, fresh_deal: Deal
) -> None:
    quote = accepted_quote(personas.rep, fresh_deal)
    first = today() + dt.timedelta(days=30)
    answer = _send(
        client, "post", INVOICES, personas.manager,
        {"quote": quote.pk, "down_payment": "9000.00", "count": 12, "first_due": first.isoformat()},
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    plan = answer.json()["instalments"]
    assert [row["position"] for row in plan] == list(range(13))
    assert plan[0]["due_on"] == today().isoformat() and plan[0]["amount"] == "9000.00"
    assert plan[1]["due_on"] == first.isoformat() and plan[1]["amount"] == "1750.00"
    assert sum(Decimal(row["amount"]) for row in plan) == Decimal("30000.00")
    assert answer.json()["light"] == "amber"  # the down payment is due today


def test_invoice_field_errors(
    client: Client, personas: Any, world: World, fresh_deal: Deal
) -> None:
    draft = world.draft
    first = (today() + dt.timedelta(days=30)).isoformat()
    row = {"position": 0, "due_on": first, "amount": str(draft.total)}
    not_accepted = _send(client, "post", INVOICES, personas.rep, {"quote": draft.pk, "instalments": [row]})  # fmt: skip
    assert _errors(not_accepted) == {"quote": ["Only an accepted quote can be invoiced."]}
    quote = accepted_quote(personas.rep, fresh_deal)

    def post(body: dict[str, Any]) -> dict[str, list[str]]:
        return _errors(_send(client, "post", INVOICES, personas.rep, {"quote": quote.pk, **body}))

    short = post({"instalments": [{"position": 0, "due_on": first, "amount": "29999.99"}]})
    assert short == {
        "instalments": [
            "The instalments add up to 29999.99 but the total is 30000.00: the difference is 0.01."
        ]
    }
    fine = post({"instalments": [{"position": 0, "due_on": first, "amount": "30000.001"}]})
    assert fine == {"instalments.0.amount": ["USD amounts have 2 decimals."]}
    doubled = post({"instalments": [
        {"position": 1, "due_on": first, "amount": "15000"},
        {"position": 1, "due_on": first, "amount": "15000"},
    ]})  # fmt: skip
    assert doubled == {"instalments.1.position": ["Each instalment needs its own number."]}
    shapes = post({"instalments": [{"position": -1, "due_on": "x", "amount": "a", "y": 0}]})
    assert set(shapes) == {
        "instalments.0.position", "instalments.0.due_on", "instalments.0.amount",
        "instalments.0.y",
    }  # fmt: skip
    assert post({"instalments": []}) == {"instalments": ["The plan needs at least one instalment."]}
    both = post({"instalments": [row], "count": 3})
    assert both == {"count": ["Send either the instalments or a plan to propose, not both."]}
    assert post({}) == {"down_payment": ["Enter an amount."], "count": ["This field is required."]}
    assert post({"down_payment": "10.001", "count": 2, "first_due": first}) == {
        "down_payment": ["USD amounts have 2 decimals."]
    }
    assert post({"down_payment": "40000", "count": 2, "first_due": first}) == {
        "down_payment": ["The down payment must be between 0 and the total."]
    }
    assert post({"down_payment": "0", "count": 3}) == {"first_due": ["Enter a date."]}
    assert post({"down_payment": "0", "count": 120, "first_due": "9999-12-31"}) == {
        "first_due": ["Enter a valid date (YYYY-MM-DD)."]
    }
    assert post({"down_payment": "0", "count": 121, "first_due": first}) == {
        "count": ["Ensure this value is less than or equal to 120."]
    }
    assert post({"down_payment": "100", "count": 0}) == {
        "count": ["With no monthly instalments, the down payment is the total."]
    }
    assert not Invoice.objects.filter(quote=quote).exists()
    hidden = _send(client, "post", INVOICES, personas.rep, {"quote": world.other_quote.pk, "instalments": [row]})  # fmt: skip
    assert hidden.status_code == 404


def test_it_lists_invoices_by_light_status_and_deal(
    client: Client, personas: Any, world: World, fresh_deal: Deal
) -> None:
    quote = accepted_quote(None, fresh_deal)
    later = today() + dt.timedelta(days=60)
    green = EnteredInvoiceFactory.create(
        quote=quote, plan=[services.PlanRow(0, later, quote.total)]
    )

    def ids(query: str, user: Any = personas.manager) -> set[int]:
        body = _send(client, "get", f"{INVOICES}{query}", user).json()
        return {item["id"] for item in body["items"]}

    everything = {world.invoice.pk, world.other_invoice.pk, green.pk}
    assert ids("") == everything
    assert ids("", personas.rep) == {world.invoice.pk, green.pk}
    assert ids("?light=green") == {green.pk}
    assert ids("?light=amber") == {world.invoice.pk, world.other_invoice.pk}
    assert ids("?light=red") == set()
    assert ids(f"?deal={fresh_deal.pk}") == {green.pk}
    assert ids("?status=paid") == set()
    with time_machine.travel(dt.datetime.now() + dt.timedelta(days=3)):
        assert ids("?light=red") == {world.invoice.pk, world.other_invoice.pk}
        detail = _send(client, "get", f"{INVOICES}/{world.invoice.pk}", personas.rep).json()
        assert detail["light"] == "red"
        assert [row["overdue"] for row in detail["instalments"]] == [True, False]
    assert _errors(_send(client, "get", f"{INVOICES}?light=blue", personas.rep))["light"]
    body = _send(client, "get", f"{INVOICES}/{world.invoice.pk}", personas.rep).json()
    assert (body["paid"], body["balance"]) == ("100.00", "24900.00")
    assert body["instalments"][0]["paid"] == "100.00"


def test_it_replaces_a_plan_and_refuses_stale_or_inexact_ones(
    client: Client, personas: Any, world: World
) -> None:
    url = f"{INVOICES}/{world.invoice.pk}/instalments"
    version = Invoice.objects.get(pk=world.invoice.pk).version
    rows = [
        {"position": 0, "due_on": today().isoformat(), "amount": "5000.00"},
        {"position": 1, "due_on": "2099-01-31", "amount": "10000.00"},
        {"position": 2, "due_on": "2099-02-28", "amount": "10000.00"},
    ]
    changed = _send(client, "put", url, personas.rep, {"instalments": rows, "version": version})
    assert changed.status_code == 200, changed.content
    assert [row["amount"] for row in changed.json()["instalments"]] == [
        "5000.00", "10000.00", "10000.00",
    ]  # fmt: skip
    assert changed.json()["instalments"][0]["paid"] == "100.00"
    stale = _send(client, "put", url, personas.manager, {"instalments": rows, "version": version})
    assert stale.status_code == 409 and stale.json()["version"] == version + 1
    inexact = _send(client, "put", url, personas.rep, {"instalments": rows[:2]})
    assert "the difference is 10000.00" in _errors(inexact)["instalments"][0]
    dropped = [{**rows[1], "position": 1, "amount": "25000.00"}]
    assert _errors(_send(client, "put", url, personas.rep, {"instalments": dropped})) == {
        "instalments": ["Instalment 0 has payments: keep it in the plan."]
    }
    below = [{**rows[0], "amount": "50.00"}, {**rows[1], "amount": "24950.00"}]
    assert _errors(_send(client, "put", url, personas.rep, {"instalments": below})) == {
        "instalments.0.amount": ["100.00 has been paid on this instalment already."]
    }
    assert _errors(_send(client, "put", url, personas.rep, {}))["instalments"] == [
        "This field is required."
    ]
    refused = _send(client, "put", url, personas.colleague, {"instalments": rows})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role cannot change invoices."


def test_it_voids_only_an_invoice_without_payments(
    client: Client, personas: Any, world: World
) -> None:
    url = f"{INVOICES}/{world.invoice.pk}/void"
    with_payment = _send(client, "post", url, personas.rep)
    assert with_payment.status_code == 409
    assert with_payment.json()["detail"] == "This invoice has payments: delete them first."
    voided = _send(client, "post", f"{INVOICES}/{world.other_invoice.pk}/void", personas.manager)
    assert voided.status_code == 200
    assert (voided.json()["status"], voided.json()["light"]) == ("void", "paid")
    payment = _send(
        client, "post", PAYMENTS, personas.manager,
        {"invoice": world.other_invoice.pk, "amount": "1"},
    )  # fmt: skip
    assert payment.status_code == 409
    assert payment.json()["detail"] == "This invoice is not open: it takes no payments."


# --- payments ----------------------------------------------------------------------------------


def test_it_records_payments_until_the_invoice_is_paid(
    client: Client, personas: Any, world: World
) -> None:
    first, second = Instalment.objects.filter(invoice=world.invoice).order_by("position")
    answer = _send(
        client, "post", PAYMENTS, personas.rep,
        {"invoice": world.invoice.pk, "amount": "12400.00", "method": "cash", "reference": "R-1"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["amount"], body["currency"], body["instalment"]) == ("12400.00", "USD", first.pk)
    assert (body["method"], body["reference"], body["paid_on"]) == (
        "cash",
        "R-1",
        today().isoformat(),
    )
    assert body["created_by"]["id"] == personas.rep.pk
    last = _send(
        client, "post", PAYMENTS, personas.rep,
        {"invoice": world.invoice.pk, "amount": str(second.amount), "instalment": second.pk},
    )  # fmt: skip
    assert last.status_code == 201 and last.json()["instalment_position"] == 1
    invoice = _send(client, "get", f"{INVOICES}/{world.invoice.pk}", personas.rep).json()
    assert (invoice["status"], invoice["light"], invoice["balance"]) == ("paid", "paid", "0.00")
    listed = _send(client, "get", f"{PAYMENTS}?invoice={world.invoice.pk}", personas.rep).json()
    assert listed["count"] == 3
    assert _send(client, "get", PAYMENTS, personas.rep2).json()["count"] == 0


def test_payment_field_errors(client: Client, personas: Any, world: World) -> None:
    def post(body: dict[str, Any]) -> dict[str, list[str]]:
        full = {"invoice": world.invoice.pk, **body}
        return _errors(_send(client, "post", PAYMENTS, personas.rep, full))

    assert post({"amount": "12500.00"}) == {
        "amount": [
            "That is more than what is owed on this instalment: its balance is 12400.00 USD."
        ]
    }
    assert post({"amount": "1.005"}) == {"amount": ["USD amounts have 2 decimals."]}
    assert post({"amount": "0"}) == {"amount": ["Enter an amount above zero."]}
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    assert post({"amount": "1", "paid_on": tomorrow}) == {
        "paid_on": ["A payment cannot be dated in the future."]
    }
    foreign = Instalment.objects.get(invoice=world.other_invoice)
    assert post({"amount": "1", "instalment": foreign.pk}) == {
        "instalment": ["Choose an instalment of this invoice."]
    }
    shapes = post({"amount": "lots", "method": "barter", "reference": "r" * 101, "paid_on": "x"})
    assert set(shapes) == {"amount", "method", "reference", "paid_on"}
    assert post({}) == {"amount": ["This field is required."]}
    assert Payment.objects.count() == 1
    hidden = _send(
        client, "post", PAYMENTS, personas.rep,
        {"invoice": world.other_invoice.pk, "amount": "1"},
    )  # fmt: skip
    assert hidden.status_code == 404
    refused = _send(
        client, "post", PAYMENTS, personas.colleague, {"invoice": world.invoice.pk, "amount": "1"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role cannot record payments."


def test_deleting_a_payment_opens_the_invoice_again(
    client: Client, personas: Any, world: World
) -> None:
    invoice = world.invoice
    for row in Instalment.objects.filter(invoice=invoice).order_by("position"):
        if row.amount > row.paid:
            services.record_payment(invoice, actor=None, amount=row.amount - row.paid)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    last = Payment.objects.filter(invoice=invoice).order_by("-id").first()
    assert last is not None
    assert _send(client, "delete", f"{PAYMENTS}/{last.pk}", personas.rep2).status_code == 404
    assert _send(client, "delete", f"{PAYMENTS}/{last.pk}", personas.colleague).status_code == 403
    gone = _send(client, "delete", f"{PAYMENTS}/{last.pk}", personas.rep)
    assert gone.status_code == 204
    after = _send(client, "get", f"{INVOICES}/{invoice.pk}", personas.rep).json()
    assert after["status"] == "open" and Decimal(after["paid"]) == invoice.total - last.amount
    assert _send(client, "delete", f"{PAYMENTS}/{last.pk}", personas.rep).status_code == 404


def test_the_billing_operations_are_in_the_openapi_document(client: Client, personas: Any) -> None:
    usd_rate()
    real_estate_pipeline()
    document = _send(client, "get", "/api/openapi.json", personas.rep).json()
    paths = document["paths"]
    assert set(paths[QUOTES]) == {"get", "post"}
    assert set(paths[f"{INVOICES}/{{invoice_id}}/instalments"]) == {"put"}
    assert "409" in paths[f"{QUOTES}/{{quote_id}}"]["patch"]["responses"]
    amount = document["components"]["schemas"]["PaymentOut"]["properties"]["amount"]
    assert "string" in json.dumps(amount)
