"""A quote's and an invoice's PDF from the records, and a quote sent with it over real SMTP."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from clientela.billing import services
from clientela.billing.choices import QuoteStatus
from clientela.billing.documents import invoice_pdf, quote_pdf
from clientela.billing.models import Quote
from clientela.billing.tests.factories import accepted_quote, plot_deal, usd_rate
from clientela.core.testing import client_for
from clientela.deals.models import Deal
from clientela.deals.tests.factories import real_estate_pipeline
from clientela.delivery.models import Message
from clientela.delivery.services.sending import send_due
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def deal(personas: Any) -> Deal:
    usd_rate("4000")
    services.update_settings(
        actor=personas.admin,
        data={"seller_name": "Tierras del Sol S.A.S.", "seller_tax_id": "900.123.456-7"},
    )
    return plot_deal(personas.rep, real_estate_pipeline(), price="12500.00")


def test_the_quote_pdf_speaks_the_contact_language_with_cop_shown(personas: Any, deal: Deal):
    quote = services.create_quote(deal, actor=personas.rep, language="es")
    text = _text(quote_pdf(quote))
    assert quote.number in text and "Tierras del Sol S.A.S." in text
    assert "12.500,00" in text  # es-CO: dots group thousands, a comma before the cents
    assert "50.000.000,00" in text  # the COP equivalent at 4.000 per dollar
    english = services.update_quote(quote, actor=personas.rep, data={"language": "en"})
    text_en = _text(quote_pdf(english))
    assert "12,500.00" in text_en and "50,000,000.00" in text_en


def test_the_invoice_pdf_lists_its_cuotas(personas: Any, deal: Deal):
    quote = accepted_quote(personas.rep, deal)
    plan = services.propose_plan(
        quote.total, "USD", down_payment=Decimal("1250.00"), count=12,
        first_due=dt.date(2027, 1, 15),
    )  # fmt: skip
    invoice = services.create_invoice(quote, actor=personas.rep, plan=plan)
    services.record_payment(invoice, actor=personas.rep, amount="1250.00")
    text = _text(invoice_pdf(invoice))
    assert invoice.number in text and "937,50" in text  # (12.500 − 1.250) / 12
    assert "1.250,00" in text


def test_a_quote_goes_out_by_email_with_its_pdf(
    personas: Any, deal: Deal, client: Client, smtp_server: Any
):
    quote = services.create_quote(deal, actor=personas.rep)
    client_for(client, personas.rep)
    form = client.get(reverse("billing:quote_send", args=[quote.pk]))
    assert form.status_code == 200
    assert deal.contact is not None
    assert form.context["form"].initial["to"] == deal.contact.email
    bad = client.post(
        reverse("billing:quote_send", args=[quote.pk]),
        {"to": "not-an-address", "subject": "x", "message": "y"},
    )
    assert bad.status_code == 200 and "to" in bad.context["form"].errors
    sent = client.post(
        reverse("billing:quote_send", args=[quote.pk]),
        {"to": "compradora@example.co", "subject": f"Cotización {quote.number}",
         "message": "Hola Marta,\nAdjunto la cotización."},
    )  # fmt: skip
    assert sent.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    send_due()
    assert Message.objects.get(kind="billing.quote").state == "sent"
    received = smtp_server.messages[-1]
    assert received.recipients == ["compradora@example.co"]
    parts = list(received.message.iter_attachments())
    assert [p.get_filename() for p in parts] == [f"{quote.number}.pdf"]
    assert quote.number in _text(parts[0].get_content())
    assert Event.objects.filter(verb="quote_sent", target_id=str(deal.pk)).exists()


def test_pdfs_are_served_only_to_who_sees_the_deal(personas: Any, deal: Deal, client: Client):
    quote = services.create_quote(deal, actor=personas.rep)
    client.force_login(personas.rep2)
    assert client.get(reverse("billing:quote_pdf", args=[quote.pk])).status_code == 404
    client.force_login(personas.rep)
    response = client.get(reverse("billing:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert Quote.objects.get().status == QuoteStatus.DRAFT


def test_the_api_serves_the_pdfs(personas: Any, deal: Deal, client: Client) -> None:
    from clientela.accounts.services import create_token

    quote = accepted_quote(personas.rep, deal)
    invoice = services.create_invoice(
        quote, actor=personas.rep, plan=[services.PlanRow(0, quote.issued_on, quote.total)]
    )
    _token, raw = create_token(personas.rep, actor=personas.rep)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for path, number in (
        (f"/api/v1/quotes/{quote.pk}/pdf", quote.number),
        (f"/api/v1/invoices/{invoice.pk}/pdf", invoice.number),
    ):
        response = client.get(path, HTTP_AUTHORIZATION=auth["HTTP_AUTHORIZATION"])
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert number in _text(response.content)
    _token, other = create_token(personas.rep2, actor=personas.rep2)
    refused = client.get(f"/api/v1/quotes/{quote.pk}/pdf", HTTP_AUTHORIZATION=f"Bearer {other}")
    assert refused.status_code == 404


def test_a_tax_id_says_nit_once() -> None:
    from clientela.billing.documents import tax_id_line

    assert tax_id_line("900.123.456-7") == "NIT 900.123.456-7"
    assert tax_id_line("NIT 900.123.456-7") == "NIT 900.123.456-7"
    assert tax_id_line("  ") == ""
