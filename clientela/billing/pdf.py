"""Quotes and invoices as PDF: a pure function over plain data, in the customer's language.

`render_pdf` reads only the `PdfDocument` it is given (no model, no query), so the billing
services, the API and the e-mail that carries the PDF print the same thing, and a test needs
no database. Every label goes through gettext under the document's language, and every
amount and date is written in that language's conventions (`format_money`, `format_date`).

The text is set in DejaVu Sans Condensed, vendored under `fonts/` with its licence and
embedded as a subset: Spanish accents, ñ, ¿ ¡, typographic quotes, dashes and € print as
they are; a character the font has no glyph for (Chinese, most emoji) prints as "?" instead
of vanishing or failing (docs/decisions.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.utils import dateformat, formats, translation

from clientela.catalog.queries import currency_decimals

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "clientela"
MISSING = "?"
# Colours (RGB): the app's brand green, ink, muted text, hairlines, zebra rows.
BRAND = (11, 110, 79)
INK = (31, 41, 51)
MUTED = (97, 110, 124)
LINE = (216, 222, 228)
ZEBRA = (244, 247, 246)
WHITE = (255, 255, 255)
# Millimetres on A4 portrait.
MARGIN = 15.0
PHOTO_WIDTH = 16.0
THUMBNAIL_PX = 240  # a photo bigger than this on its long side is shrunk before embedding
DATE_FORMATS = {"es": r"j \d\e F \d\e Y", "en": "F j, Y"}
# The currency signs each language prints; any other currency prints its ISO code.
SYMBOLS = {
    "es": {"COP": "$", "USD": "US$", "EUR": "€"},
    "en": {"USD": "US$", "EUR": "€", "GBP": "£"},
}


@dataclass(frozen=True)
class PdfParty:
    """The seller or the customer: a name and the lines printed under it (tax id, address…)."""

    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class PdfLine:
    """A line of the document; `total` is what the line costs with its tax (as stored)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    tax_rate: Decimal
    total: Decimal
    photo: bytes | None = None  # a JPEG thumbnail of the catalogue product, if any


@dataclass(frozen=True)
class PdfInstalment:
    """One instalment of an invoice's plan: 0 is the down payment, then 1…N."""

    position: int
    due_on: datetime.date
    amount: Decimal
    paid: Decimal


@dataclass(frozen=True)
class PdfDocument:
    """Everything printed on a quote or an invoice, already computed by the billing services.

    `rate` is how many `company_currency` units one `currency` unit was worth on
    `issued_on`, and `total_company` the total at that rate: printed as the company-currency
    equivalent when the two currencies differ.
    """

    kind: Literal["quote", "invoice"]
    number: str
    issued_on: datetime.date
    language: str
    seller: PdfParty
    customer: PdfParty
    currency: str
    lines: tuple[PdfLine, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    company_currency: str
    rate: Decimal | None = None
    total_company: Decimal | None = None
    valid_until: datetime.date | None = None
    terms: str = ""
    instalments: tuple[PdfInstalment, ...] = ()
    paid: Decimal | None = None
    deal_title: str = ""


def pdf_language(language: str) -> str:
    """Return the language a document is printed in: Spanish or English, else the default."""
    code = (language or "").lower()[:2]
    if code in SYMBOLS:
        return code
    return str(settings.LANGUAGE_CODE)[:2]


def format_number(value: Decimal, decimals: int, language: str) -> str:
    """Return `value` rounded half up to `decimals` places and grouped for `language`.

    Spanish groups with "." and separates decimals with "," (es-CO); English the other way
    round. Django's `number_format` truncates extra places, so the value is rounded first.
    """
    step = Decimal(1).scaleb(-decimals)
    rounded = Decimal(value).quantize(step, ROUND_HALF_UP)
    with translation.override(pdf_language(language)):
        return formats.number_format(rounded, decimals, use_l10n=True, force_grouping=True)


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """Return an amount with its currency, in the currency's decimals and the language's style.

    Spanish (es-CO): the sign or ISO code, a space, then the number: `US$ 12.500,00`,
    `$ 48.750.000,00` (the plain dollar sign is the Colombian peso), `€ 9,50`,
    `MXN 1.200,00`. English: a sign touches the number and a code is followed by a space:
    `US$12,500.00`, `€9.50`, `COP 48,750,000.00`. A negative amount starts with "-".
    """
    language = pdf_language(language)
    code = (currency or "").upper()
    number = format_number(abs(amount), currency_decimals(code), language)
    symbol = SYMBOLS[language].get(code)
    if symbol is None:
        text = f"{code} {number}"
    elif language == "es":
        text = f"{symbol} {number}"
    else:
        text = f"{symbol}{number}"
    return f"-{text}" if amount < 0 else text


def format_date(day: datetime.date, language: str) -> str:
    """Return a date written out: `7 de diciembre de 2026` in Spanish, `December 7, 2026`."""
    language = pdf_language(language)
    with translation.override(language):
        return str(dateformat.format(day, DATE_FORMATS[language]))


def format_quantity(value: Decimal, language: str) -> str:
    """Return a quantity with only the decimals it has: `1`, `2,5` (es), `2.5` (en)."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return format_number(value, min(decimals, 3), language)


def format_percent(value: Decimal, language: str) -> str:
    """Return a percentage: `19 %` in Spanish (a space before the sign), `19%` in English."""
    number = format_quantity(value, language)
    return f"{number} %" if pdf_language(language) == "es" else f"{number}%"


def format_rate(value: Decimal, language: str) -> str:
    """Return an exchange rate with two to six decimals: `3.912,50`, `0,000256`."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return format_number(value, min(6, max(2, decimals)), language)


def render_pdf(document: PdfDocument) -> bytes:
    """Return the PDF of a quote or invoice, every label and format in its language.

    fpdf2 is loaded with the first PDF (`billing.pdf_render`), not with every web process.
    """
    from clientela.billing.pdf_render import Renderer

    with translation.override(pdf_language(document.language)):
        return Renderer(document).render()
