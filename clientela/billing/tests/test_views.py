"""Billing screens as a rep uses them: quote a deal, bill it in cuotas, record payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.billing.choices import QuoteStatus
from clientela.billing.models import Invoice, Quote
from clientela.billing.tests.factories import plot_deal, usd_rate
from clientela.core.testing import client_for
from clientela.deals.models import Deal
from clientela.deals.tests.factories import real_estate_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(personas: Any) -> Deal:
    usd_rate("4000")
    return plot_deal(personas.rep, real_estate_pipeline(), price="30000.00")


@pytest.fixture
def rep(client: Client, personas: Any) -> Client:
    return client_for(client, personas.rep)  # type: ignore[no-any-return]


def _issue(rep: Client, quote: Quote, *, count: int = 12) -> Invoice:
    today = timezone.localdate()
    propose = {
        "action": "propose", "down_payment": "3000.00", "down_due": today.isoformat(),
        "count": str(count), "first_due": (today + dt.timedelta(days=31)).isoformat(),
    }  # fmt: skip
    url = reverse("billing:invoice_create", args=[quote.pk])
    page = rep.post(url, propose)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert len(rows) == count + 1 and page.context["planned"] == quote.total
    issue: dict[str, str] = {"action": "issue"}
    for row in rows:
        issue[f"position_{row['index']}"] = str(row["position"])
        issue[f"due_on_{row['index']}"] = row["due_on"]
        issue[f"amount_{row['index']}"] = str(row["amount"])
    done = rep.post(url, issue)
    invoice = Invoice.objects.get(quote=quote)
    assert done.status_code == 302 and done["Location"] == reverse(
        "billing:invoice_detail", args=[invoice.pk]
    )
    return invoice


def test_a_rep_quotes_bills_and_collects(rep: Client, deal: Deal) -> None:
    page = rep.get(reverse("deals:deal_detail", args=[deal.pk]))
    assert reverse("billing:quote_create", args=[deal.pk]) in page.content.decode()
    form = rep.get(reverse("billing:quote_create", args=[deal.pk]))
    assert form.status_code == 200
    made = rep.post(
        reverse("billing:quote_create", args=[deal.pk]),
        {"valid_until": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
         "language": "es", "terms": "Separación con el 10 %"},
    )  # fmt: skip
    quote = Quote.objects.get(deal=deal)
    assert made.status_code == 302 and quote.terms == "Separación con el 10 %"
    detail = rep.get(reverse("billing:quote_detail", args=[quote.pk])).content.decode()
    assert quote.number in detail
    assert "120,000,000.00 COP" in detail  # the COP equivalent, in the English test reader's format
    rep.post(reverse("billing:quote_decide", args=[quote.pk]), {"answer": "accept"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    invoice = _issue(rep, quote)
    detail_page = rep.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    assert detail_page.context["light"] == "amber"
    down = invoice.instalments.get(position=0)
    over = rep.post(
        reverse("billing:payment_create", args=[invoice.pk]),
        {"instalment": down.pk, "amount": "3000.01", "paid_on": timezone.localdate().isoformat(),
         "method": "transfer", "reference": "TRX-1"},
    )  # fmt: skip
    assert over.status_code == 400
    assert over.context["payment_form"].errors["amount"] == [
        "That is more than what is owed on this instalment: its balance is 3000.00 USD."
    ]
    paid = rep.post(
        reverse("billing:payment_create", args=[invoice.pk]),
        {"instalment": down.pk, "amount": "3000.00", "paid_on": timezone.localdate().isoformat(),
         "method": "transfer", "reference": "TRX-1"},
    )  # fmt: skip
    assert paid.status_code == 302
    after = rep.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    assert after.context["light"] == "green" and after.context["balance"] == Decimal("27000.00")
    listing = rep.get(reverse("billing:invoice_list") + "?light=green")
    assert [i.pk for i in listing.context["page"].rows] == [invoice.pk]
    assert not rep.get(reverse("billing:invoice_list") + "?light=red").context["page"].rows


def test_the_plan_screen_explains_a_wrong_sum_row_by_row(rep: Client, deal: Deal) -> None:
    quote_page = rep.post(
        reverse("billing:quote_create", args=[deal.pk]),
        {"valid_until": timezone.localdate().isoformat(), "language": "en", "terms": ""},
    )
    assert quote_page.status_code == 302
    quote = Quote.objects.get(deal=deal)
    rep.post(reverse("billing:quote_decide", args=[quote.pk]), {"answer": "accept"})
    invoice = _issue(rep, quote, count=2)
    url = reverse("billing:invoice_plan", args=[invoice.pk])
    page = rep.get(url)
    assert len(page.context["rows"]) == 4  # three rows and an empty one to add
    data = {"version": str(invoice.version)}
    for row in page.context["rows"]:
        data[f"position_{row['index']}"] = str(row["position"])
        data[f"due_on_{row['index']}"] = row["due_on"]
        data[f"amount_{row['index']}"] = str(row["amount"])
    data["amount_1"] = "1.5.5"
    bad = rep.post(url, data)
    assert bad.status_code == 400
    assert bad.context["rows"][1]["errors"] == ["Enter a number."]
    data["amount_1"] = "10.00"
    wrong = rep.post(url, data)
    assert wrong.status_code == 400 and "the difference is" in wrong.context["plan_errors"][0]


def test_messages_speak_spanish_to_a_spanish_user(client: Client, personas: Any, deal: Deal):
    client_for(client, personas.rep, "es")
    bare = client.post(
        reverse("billing:quote_create", args=[deal.pk]),
        {"valid_until": "2000-01-01", "language": "es", "terms": ""},
    )
    assert bare.status_code == 200
    assert bare.context["form"].errors["valid_until"] == [
        "Una cotización no puede vencer antes de su fecha."
    ]


def test_exports_list_what_the_user_sees(client: Client, personas: Any, deal: Deal) -> None:
    client_for(client, personas.manager)
    client.post(
        reverse("billing:quote_create", args=[deal.pk]),
        {"valid_until": timezone.localdate().isoformat(), "language": "es", "terms": ""},
    )
    response = client.get(reverse("billing:quote_export", args=["csv"]))
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert Quote.objects.get().number in body
