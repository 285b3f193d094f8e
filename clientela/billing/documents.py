"""The PDF of a quote or an invoice: what is printed, read from the records, then rendered.

`pdf.render_pdf` knows nothing of models; this module gathers the seller (billing settings),
the customer, the lines with their product photos and, for an invoice, its plan.
"""

from __future__ import annotations

from django.utils import translation

from clientela.billing.models import Invoice, Quote, QuoteLine
from clientela.billing.pdf import (
    PdfDocument,
    PdfInstalment,
    PdfLine,
    PdfParty,
    render_pdf,
)
from clientela.billing.queries import billing_settings, instalments_of
from clientela.catalog.models import ProductPhoto
from clientela.orders.queries import company_currency


def tax_id_line(value: str) -> str:
    """Return a tax id as printed ("NIT 900.123.456-7"), once, whether or not it says NIT."""
    text = value.strip()
    if not text:
        return ""
    return text if text.upper().startswith("NIT") else f"NIT {text}"


def _seller() -> PdfParty:
    row = billing_settings()
    lines = [
        tax_id_line(row.seller_tax_id),
        row.seller_address,
        row.seller_contact,
    ]
    return PdfParty(row.seller_name or "Clientela", tuple(line for line in lines if line))


def _customer(document: Quote | Invoice) -> PdfParty:
    contact, company = document.contact, document.company
    if contact is not None:
        lines = [
            company.name if company is not None else "",
            tax_id_line(company.tax_id) if company is not None else "",
            contact.email,
            contact.phone,
            contact.city,
        ]
        return PdfParty(str(contact), tuple(line for line in lines if line))
    if company is not None:
        lines = [tax_id_line(company.tax_id), company.email, company.phone]
        return PdfParty(company.name, tuple(line for line in lines if line))
    return PdfParty("—")


def _photos(lines: list[QuoteLine]) -> dict[int, bytes]:
    """Return the first photo's thumbnail of every product on the lines."""
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    found: dict[int, bytes] = {}
    rows = (
        ProductPhoto.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "position", "id")
        .values_list("product_id", "thumbnail")
    )
    for product_id, thumbnail in rows:
        found.setdefault(product_id, bytes(thumbnail))
    return found


def _lines(quote: Quote) -> tuple[PdfLine, ...]:
    lines = list(quote.lines.order_by("position", "id"))
    photos = _photos(lines)
    return tuple(
        PdfLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_pct=line.discount_pct,
            tax_rate=line.tax_rate,
            total=line.total,
            photo=photos.get(line.product_id) if line.product_id is not None else None,
        )
        for line in lines
    )


def quote_document(quote: Quote) -> PdfDocument:
    """Return what a quote's PDF prints."""
    home = company_currency()
    return PdfDocument(
        kind="quote",
        number=quote.number,
        issued_on=quote.issued_on,
        language=quote.language,
        seller=_seller(),
        customer=_customer(quote),
        currency=quote.currency,
        lines=_lines(quote),
        net=quote.net,
        tax=quote.tax,
        total=quote.total,
        company_currency=home,
        rate=quote.rate if quote.currency != home else None,
        total_company=quote.total_company if quote.currency != home else None,
        valid_until=quote.valid_until,
        terms=quote.terms,
        deal_title=quote.deal.title,
    )


def invoice_document(invoice: Invoice) -> PdfDocument:
    """Return what an invoice's PDF prints: its quote's lines and its plan."""
    home = company_currency()
    return PdfDocument(
        kind="invoice",
        number=invoice.number,
        issued_on=invoice.issued_on,
        language=invoice.language,
        seller=_seller(),
        customer=_customer(invoice),
        currency=invoice.currency,
        lines=_lines(invoice.quote),
        net=invoice.net,
        tax=invoice.tax,
        total=invoice.total,
        company_currency=home,
        rate=invoice.rate if invoice.currency != home else None,
        total_company=invoice.total_company if invoice.currency != home else None,
        terms=invoice.terms,
        instalments=tuple(
            PdfInstalment(row.position, row.due_on, row.amount, row.paid)
            for row in instalments_of(invoice)
        ),
        paid=invoice.paid,
        deal_title=invoice.deal.title,
    )


def quote_pdf(quote: Quote) -> bytes:
    """Render a quote's PDF in its language."""
    with translation.override(quote.language):
        return render_pdf(quote_document(quote))


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render an invoice's PDF in its language."""
    with translation.override(invoice.language):
        return render_pdf(invoice_document(invoice))
