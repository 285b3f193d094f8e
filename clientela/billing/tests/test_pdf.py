"""Quotes and invoices as PDF, read back with pypdf: amounts, formats, language, pages, photos."""

from __future__ import annotations

import datetime
import io
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PIL import Image
from pypdf import PdfReader

from clientela.billing.pdf import (
    PdfDocument,
    PdfInstalment,
    PdfLine,
    PdfParty,
    format_date,
    format_money,
    render_pdf,
)

D = Decimal
DAY = datetime.date(2026, 12, 7)


def _photo(width: int = 320, height: int = 240, kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height), (120, 180, 90))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def _line(description: str = "Lote 14, 1.250 m²", **changes: object) -> PdfLine:
    line = PdfLine(
        description=description,
        quantity=D("1"),
        unit_price=D("12500.00"),
        discount_pct=D("0"),
        tax_rate=D("19"),
        total=D("14875.00"),
    )
    return replace(line, **changes)  # type: ignore[arg-type]


def _document(**changes: object) -> PdfDocument:
    document = PdfDocument(
        kind="quote",
        number="COT-2026-0001",
        issued_on=DAY,
        language="es",
        seller=PdfParty("Inmobiliaria Los Andes S.A.S.", ("NIT 900.123.456-7", "Medellín")),
        customer=PdfParty("María José Núñez", ("C.C. 43.123.456", "maria@example.co")),
        currency="USD",
        lines=(_line(),),
        net=D("12500.00"),
        tax=D("2375.00"),
        total=D("14875.00"),
        company_currency="COP",
        rate=D("3900.00"),
        total_company=D("58012500.00"),
        valid_until=datetime.date(2026, 12, 22),
        terms="Precios en dólares.\n¿Preguntas? Escríbanos.",
        deal_title="Lote 14 — La Ñapa",
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def _invoice(**changes: object) -> PdfDocument:
    plan = (
        PdfInstalment(0, datetime.date(2026, 12, 15), D("4875.00"), D("4875.00")),
        PdfInstalment(1, datetime.date(2027, 1, 15), D("5000.00"), D("1200.00")),
        PdfInstalment(2, datetime.date(2027, 2, 15), D("5000.00"), D("0")),
    )
    values: dict[str, object] = {
        "kind": "invoice",
        "number": "FAC-2026-0007",
        "valid_until": None,
        "instalments": plan,
        "paid": D("6075.00"),
        **changes,
    }
    return _document(**values)


def _reader(document: PdfDocument) -> PdfReader:
    data = render_pdf(document)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_it_formats_money_with_es_co_and_english_conventions():
    assert format_money(D("12500"), "USD", "es") == "US$ 12.500,00"
    assert format_money(D("48750000"), "COP", "es") == "$ 48.750.000,00"
    assert format_money(D("9.5"), "EUR", "es") == "€ 9,50"
    assert format_money(D("1200"), "MXN", "es") == "MXN 1.200,00"
    assert format_money(D("12500"), "USD", "en") == "US$12,500.00"
    assert format_money(D("48750000"), "COP", "en") == "COP 48,750,000.00"
    assert format_money(D("-5"), "USD", "en") == "-US$5.00"
    # Half up, in the currency's own decimals (Django's number_format alone would truncate).
    assert format_money(D("0.005"), "USD", "es") == "US$ 0,01"
    assert format_money(D("1234.5"), "JPY", "en") == "JPY 1,235"
    assert format_money(D("1.2345"), "KWD", "es") == "KWD 1,235"
    # A language the PDF does not print in falls back to the default (Spanish).
    assert format_money(D("1"), "USD", "fr") == "US$ 1,00"


def test_it_writes_dates_out_in_each_language():
    assert format_date(DAY, "es") == "7 de diciembre de 2026"
    assert format_date(DAY, "en") == "December 7, 2026"
    assert format_date(datetime.date(2027, 1, 15), "es-co") == "15 de enero de 2027"


def test_it_prints_a_spanish_quote_with_its_amounts_dates_and_labels():
    text = _text(_reader(_document()))

    assert "COT-2026-0001" in text
    assert "Inmobiliaria Los Andes S.A.S." in text and "NIT 900.123.456-7" in text
    assert "María José Núñez" in text and "C.C. 43.123.456" in text
    assert "Lote 14, 1.250 m²" in text and "Lote 14 — La Ñapa" in text
    assert "7 de diciembre de 2026" in text and "22 de diciembre de 2026" in text
    assert "US$ 12.500,00" in text and "US$ 2.375,00" in text and "US$ 14.875,00" in text
    assert "19 %" in text
    # Labels in Spanish (the catalogue's words), none of the English ones.
    for label in ("CLIENTE", "Descripción", "Precio unitario", "Fecha", "NEGOCIACIÓN", "MONEDA"):
        assert label in text, label
    for english in ("CUSTOMER", "Unit price", "Description", "December"):
        assert english not in text, english
    assert "¿Preguntas? Escríbanos." in text


def test_it_shows_the_company_currency_equivalent_at_the_rate_of_the_day():
    text = _text(_reader(_document(language="en")))
    assert "Equivalent in COP: COP 58,012,500.00" in text
    assert "at the exchange rate of December 7, 2026" in text
    assert "1 USD = COP 3,900.00" in text

    spanish = _text(_reader(_document()))
    assert "$ 58.012.500,00" in spanish and "1 USD = $ 3.900,00" in spanish

    in_pesos = _document(
        language="en",
        currency="COP",
        net=D("48750000"),
        tax=D("9262500"),
        total=D("58012500"),
        rate=D("1"),
        total_company=D("58012500"),
        lines=(_line(unit_price=D("48750000"), total=D("58012500")),),
    )
    text = _text(_reader(in_pesos))
    assert "COP 58,012,500.00" in text
    assert "Equivalent" not in text and "exchange rate" not in text


def test_it_prints_an_english_invoice_with_its_plan_paid_and_balance():
    text = _text(_reader(_invoice(language="en")))

    assert "INVOICE" in text and "FAC-2026-0007" in text
    assert "December 7, 2026" in text and "Valid until" not in text
    assert "Payment plan" in text
    assert "Down payment December 15, 2026 US$4,875.00 US$4,875.00 US$0.00" in text
    assert "Instalment 1 January 15, 2027 US$5,000.00 US$1,200.00 US$3,800.00" in text
    assert "Instalment 2 February 15, 2027 US$5,000.00 US$0.00 US$5,000.00" in text
    assert "Total US$14,875.00 US$6,075.00 US$8,800.00" in text
    assert "Paid US$6,075.00" in text and "Balance due US$8,800.00" in text
    for label in ("CUSTOMER", "Description", "Unit price", "Subtotal", "Taxes"):
        assert label in text, label


def test_a_quote_has_no_payment_plan():
    text = _text(_reader(_document(language="en")))
    assert "QUOTE" in text and "Valid until: December 22, 2026" in text
    assert "Payment plan" not in text and "Balance due" not in text


def test_it_paginates_two_hundred_lines_with_the_headings_on_every_page():
    lines = tuple(
        _line(
            f"Line {number:03d}: lot with a long description that wraps over more than one "
            "line of the table, with its area, access road and view",
            quantity=D("2.5"),
            discount_pct=D("5"),
        )
        for number in range(1, 201)
    )
    reader = _reader(_document(language="en", lines=lines))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]

    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "COT-2026-0001" in page
    for page in pages[1:-1]:
        assert "Description" in page and "Unit price" in page
    assert "Inmobiliaria Los Andes S.A.S. · Quote COT-2026-0001" in pages[1]
    text = " ".join(pages)
    for number in (1, 100, 200):
        assert f"Line {number:03d}:" in text
    assert "2.5" in text and "5%" in text


def test_characters_outside_the_font_do_not_crash_and_print_as_a_question_mark():
    customer = PdfParty("王小明 🏡 Zoë Ñúñez\x00\x07", ("Línea\ncon salto", "tab\there"))
    document = _document(
        customer=customer,
        lines=(_line("Lot 😀 ‘quoted’ – “€” 𝔘 ¿sí?"),),
        terms="Terms \u202e reversed \ufeff zero-width",
    )
    text = _text(_reader(document))
    assert "??? ? Zoë Ñúñez" in text
    assert "Línea con salto" in text and "tab here" in text
    assert "Lot ? ‘quoted’ – “€” ? ¿sí?" in text
    assert "Terms reversed zero-width" in text


def _images(reader: PdfReader) -> list[tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        xobjects = resources.get("/XObject")
        if xobjects is None:
            continue
        for ref in xobjects.get_object().values():
            image = ref.get_object()
            if image.get("/Subtype") == "/Image":
                found[ref.idnum] = (int(image["/Width"]), int(image["/Height"]))
    return list(found.values())


def test_it_embeds_product_photos_once_and_small():
    jpeg = _photo(200, 150)
    big_png = _photo(1600, 1200, "PNG")
    lines = (
        _line("Lote A", photo=jpeg),
        _line("Lote B", photo=jpeg),
        _line("Lote C", photo=big_png),
        _line("Servicio sin foto"),
        _line("Foto dañada", photo=b"not an image at all"),
    )
    reader = _reader(_document(lines=lines))

    images = sorted(_images(reader))
    # The small JPEG twice is one image as it is; the big PNG is shrunk to 240 pixels.
    assert images == [(200, 150), (240, 180)]
    text = _text(reader)
    assert "Foto" in text and "Foto dañada" in text and "Servicio sin foto" in text


def test_lines_without_photos_have_no_photo_column():
    reader = _reader(_document(language="en"))
    assert _images(reader) == []
    assert "Photo" not in _text(reader)
