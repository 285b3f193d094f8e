"""Draw a `PdfDocument` with fpdf2: the page, its header and footer, the tables.

Split from `billing.pdf` so that fpdf2 (and its font machinery) loads when the first PDF is
drawn, not when a web process starts; `billing.pdf.render_pdf` is the entry point.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, TableCellFillMode, VAlign, XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from PIL import Image, UnidentifiedImageError

from clientela.billing.pdf import (
    BRAND,
    FAMILY,
    FONTS,
    INK,
    LINE,
    MARGIN,
    MISSING,
    MUTED,
    PHOTO_WIDTH,
    THUMBNAIL_PX,
    WHITE,
    ZEBRA,
    PdfDocument,
    PdfInstalment,
    format_date,
    format_money,
    format_number,
    format_percent,
    format_quantity,
    format_rate,
    pdf_language,
)
from clientela.catalog.queries import currency_decimals


class _Pdf(FPDF):
    """An A4 page with the document's running header (after page 1) and page footer."""

    def __init__(self, running_title: str, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = running_title
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FAMILY, "", FONTS / "DejaVuSansCondensed.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSansCondensed-Bold.ttf")
        regular, bold = self.fonts[FAMILY], self.fonts[f"{FAMILY}B"]
        assert isinstance(regular, TTFFont) and isinstance(bold, TTFFont)
        # The characters both weights can draw; any other prints as MISSING.
        self.covered = frozenset(regular.cmap) & frozenset(bold.cmap)

    def header(self) -> None:
        """Repeat the seller and the document's title and number at the top of later pages."""
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.set_xy(MARGIN, 9)
        self.cell(0, 4, self.running_title, align=Align.R)
        self.set_draw_color(*LINE)
        self.set_line_width(0.2)
        self.line(MARGIN, 14.5, self.w - MARGIN, 14.5)
        self.set_xy(MARGIN, 18)

    def footer(self) -> None:
        """Print the document's number and "page n of N" at the bottom of every page."""
        self.set_y(-12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.footer_text, align=Align.L)
        self.set_x(MARGIN)
        page = _("Page %(number)s of %(total)s") % {
            "number": self.page_no(),
            "total": self.alias_nb_pages_marker,
        }
        self.cell(0, 4, page, align=Align.R)

    @property
    def alias_nb_pages_marker(self) -> str:
        """Return the marker fpdf2 replaces with the page count when the file is written."""
        return str(self.str_alias_nb_pages)


class Renderer:
    """Lay out one document on A4 pages (used once per `render_pdf`)."""

    def __init__(self, document: PdfDocument) -> None:
        self.doc = document
        self.language = pdf_language(document.language)
        self.title = _("Quote") if document.kind == "quote" else _("Invoice")
        self.thumbnails: dict[str, bytes | None] = {}
        self.pdf = _Pdf("", "")
        self.pdf.running_title = self.text(
            f"{document.seller.name} · {self.title} {document.number}"
        )
        self.pdf.footer_text = self.text(f"{self.title} {document.number}")

    def table(self, *, col_widths: Sequence[float], text_align: Align | None = None) -> Any:
        """Open a table in the documents' style: brand headings repeated on each page, zebra rows.

        Sets the body font and colours first; use it as `with self.table(...) as table:`.
        """
        pdf = self.pdf
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*LINE)
        pdf.set_fill_color(*WHITE)
        pdf.set_line_width(0.2)
        options: dict[str, Any] = {"text_align": text_align} if text_align is not None else {}
        return pdf.table(
            col_widths=tuple(col_widths),
            width=pdf.epw,
            align=Align.L,
            v_align=VAlign.M,
            line_height=4.4,
            padding=(1.6, 1.4),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_color=ZEBRA,
            cell_fill_mode=TableCellFillMode.EVEN_ROWS,
            headings_style=FontFace(emphasis="BOLD", color=WHITE, fill_color=BRAND, size_pt=8),
            repeat_headings=1,
            **options,
        )

    # Text and amounts.

    def text(self, value: str, *, multiline: bool = False) -> str:
        """Return `value` printable in the embedded font: no control characters, "?" for gaps."""
        value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
        out: list[str] = []
        for char in value:
            if char == "\n":
                out.append("\n" if multiline else " ")
            elif char == "\t":
                out.append(" ")
            elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
                continue
            elif ord(char) in self.pdf.covered:
                out.append(char)
            else:
                out.append(MISSING)
        return "".join(out)

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        """Return an amount in the document's currency (or another), formatted for its reader."""
        return format_money(amount, currency or self.doc.currency, self.language)

    def date(self, day: datetime.date) -> str:
        """Return a date written out in the document's language."""
        return format_date(day, self.language)

    # The document.

    def render(self) -> bytes:
        """Lay out every block and return the file."""
        pdf = self.pdf
        doc = self.doc
        pdf.set_title(f"{self.title} {doc.number}")
        pdf.set_author(self.text(doc.seller.name))
        pdf.set_creator("Clientela")
        pdf.set_lang(self.language)
        pdf.add_page()
        self.heading()
        self.parties()
        self.line_table()
        self.totals()
        if doc.kind == "invoice" and doc.instalments:
            self.instalment_table()
        if doc.terms.strip():
            self.terms()
        return bytes(pdf.output())

    def heading(self) -> None:
        """Print the seller on the left, the title, number and dates on the right, and a rule."""
        pdf, doc = self.pdf, self.doc
        left_width = 100.0
        right_x = MARGIN + left_width + 5
        right_width = pdf.w - MARGIN - right_x
        top = pdf.get_y()
        pdf.set_text_color(*INK)
        pdf.set_font(FAMILY, "B", 14)
        pdf.multi_cell(left_width, 6.5, self.text(doc.seller.name), new_x=XPos.LMARGIN)
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*MUTED)
        for line in doc.seller.lines:
            pdf.multi_cell(left_width, 4.2, self.text(line), new_x=XPos.LMARGIN)
        left_bottom = pdf.get_y()

        pdf.set_xy(right_x, top)
        pdf.set_font(FAMILY, "B", 20)
        pdf.set_text_color(*BRAND)
        pdf.cell(
            right_width, 9, self.title.upper(), align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        pdf.set_font(FAMILY, "B", 11)
        pdf.set_text_color(*INK)
        pdf.cell(
            right_width, 6, self.text(doc.number), align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        rows = [(_("Date"), self.date(doc.issued_on))]
        if doc.valid_until is not None:
            rows.append((_("Valid until"), self.date(doc.valid_until)))
        for label, value in rows:
            pdf.set_font(FAMILY, "", 8.5)
            pdf.set_text_color(*MUTED)
            pdf.cell(
                right_width,
                4.6,
                f"{label}: {value}",
                align=Align.R,
                new_x=XPos.LEFT,
                new_y=YPos.NEXT,
            )
        bottom = max(left_bottom, pdf.get_y()) + 3
        pdf.set_draw_color(*BRAND)
        pdf.set_line_width(0.6)
        pdf.line(MARGIN, bottom, pdf.w - MARGIN, bottom)
        pdf.set_xy(MARGIN, bottom + 5)

    def parties(self) -> None:
        """Print the customer block and, beside it, the deal and the currency."""
        pdf, doc = self.pdf, self.doc
        top = pdf.get_y()
        left_width = 105.0
        self.label(_("Customer"), left_width)
        pdf.set_font(FAMILY, "B", 11)
        pdf.set_text_color(*INK)
        pdf.multi_cell(left_width, 5.5, self.text(doc.customer.name), new_x=XPos.LMARGIN)
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*MUTED)
        for line in doc.customer.lines:
            pdf.multi_cell(left_width, 4.2, self.text(line), new_x=XPos.LMARGIN)
        left_bottom = pdf.get_y()

        right_x = MARGIN + left_width + 5
        right_width = pdf.w - MARGIN - right_x
        pdf.set_xy(right_x, top)
        if doc.deal_title.strip():
            self.label(_("Deal"), right_width, x=right_x)
            pdf.set_font(FAMILY, "", 9)
            pdf.set_text_color(*INK)
            pdf.multi_cell(right_width, 4.6, self.text(doc.deal_title), new_x=XPos.LEFT)
            pdf.set_xy(right_x, pdf.get_y() + 1.5)
        self.label(_("Currency"), right_width, x=right_x)
        pdf.set_font(FAMILY, "", 9)
        pdf.set_text_color(*INK)
        pdf.cell(
            right_width, 4.6, self.text(doc.currency.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        pdf.set_xy(MARGIN, max(left_bottom, pdf.get_y()) + 6)

    def label(self, text: str, width: float, *, x: float | None = None) -> None:
        """Print a small grey heading in capitals above a block."""
        pdf = self.pdf
        if x is not None:
            pdf.set_x(x)
        pdf.set_font(FAMILY, "B", 7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 4.2, text.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)

    def line_table(self) -> None:
        """Print the lines: wrapped descriptions, thumbnails, headings again on every page."""
        pdf, doc = self.pdf, self.doc
        photos = [self.thumbnail(line.photo) for line in doc.lines]
        with_photos = any(photo is not None for photo in photos)
        amount_width = 29.0
        widths = [8.0] + ([PHOTO_WIDTH] if with_photos else [])
        fixed = [13.0, amount_width, 14.0, 18.0, amount_width]
        description_width = pdf.epw - sum(widths) - sum(fixed)
        widths += [description_width, *fixed]
        headings = ["#"] + ([_("Photo")] if with_photos else [])
        headings += [
            _("Description"),
            _("Qty"),
            _("Unit price"),
            _("Disc."),
            _("Tax"),
            _("Total"),
        ]
        numeric = {len(headings) - 5, len(headings) - 4, len(headings) - 3, len(headings) - 2, 0}
        numeric.add(len(headings) - 1)
        with self.table(col_widths=widths, text_align=Align.L) as table:
            heading = table.row()
            for index, name in enumerate(headings):
                heading.cell(name, align=Align.R if index in numeric else Align.L)
            for number, (line, photo) in enumerate(zip(doc.lines, photos, strict=True), start=1):
                row = table.row()
                row.cell(str(number), align=Align.R)
                if with_photos:
                    if photo is None:
                        row.cell("")
                    else:
                        row.cell(img=photo, img_fill_width=True)
                row.cell(self.text(line.description, multiline=True))
                row.cell(format_quantity(line.quantity, self.language), align=Align.R)
                row.cell(self.money(line.unit_price), align=Align.R)
                discount = line.discount_pct
                row.cell(
                    format_percent(discount, self.language) if discount else "—", align=Align.R
                )
                row.cell(format_percent(line.tax_rate, self.language), align=Align.R)
                row.cell(self.money(line.total), align=Align.R)
        pdf.ln(4)

    def thumbnail(self, photo: bytes | None) -> bytes | None:
        """Return a small JPEG of a product photo, or None when it is missing or not an image."""
        if not photo:
            return None
        key = hashlib.sha256(photo).hexdigest()
        if key in self.thumbnails:
            return self.thumbnails[key]
        made: bytes | None
        try:
            with Image.open(io.BytesIO(photo)) as image:
                image.load()
                if image.format == "JPEG" and max(image.size) <= THUMBNAIL_PX:
                    made = photo
                else:
                    small = image.convert("RGB")
                    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                    out = io.BytesIO()
                    small.save(out, "JPEG", quality=82)
                    made = out.getvalue()
        except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
            # A broken photo must not stop the quote: the line prints without it.
            made = None
        self.thumbnails[key] = made
        return made

    def totals(self) -> None:
        """Print subtotal, tax and total on the right; the company-currency equivalent below."""
        pdf, doc = self.pdf, self.doc
        rows: list[tuple[str, str, bool]] = [
            (_("Subtotal"), self.money(doc.net), False),
            (_("Taxes"), self.money(doc.tax), False),
            (_("Total"), self.money(doc.total), True),
        ]
        if doc.kind == "invoice" and doc.paid is not None:
            rows.append((_("Paid"), self.money(doc.paid), False))
            rows.append((_("Balance due"), self.money(doc.total - doc.paid), True))
        equivalent = self.equivalent()
        needed = 8.0 * len(rows) + (14 if equivalent else 0) + 4
        if pdf.will_page_break(needed):
            pdf.add_page()
        width = 84.0
        x = pdf.w - MARGIN - width
        for label, value, strong in rows:
            pdf.set_x(x)
            if strong:
                pdf.set_fill_color(*BRAND)
                pdf.set_text_color(*WHITE)
                pdf.set_font(FAMILY, "B", 10.5)
                height = 8.0
            else:
                pdf.set_text_color(*INK)
                pdf.set_font(FAMILY, "", 9)
                height = 6.0
            pdf.cell(width * 0.45, height, f"  {label}", fill=strong)
            pdf.cell(width * 0.55, height, f"{value}  ", align=Align.R, fill=strong)
            pdf.ln(height)
            if not strong:
                pdf.set_draw_color(*LINE)
                pdf.set_line_width(0.2)
                pdf.line(x, pdf.get_y(), x + width, pdf.get_y())
        if equivalent:
            amount, note = equivalent
            pdf.ln(1.5)
            pdf.set_x(x)
            pdf.set_text_color(*INK)
            pdf.set_font(FAMILY, "B", 9)
            pdf.cell(width, 5, amount, align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT)
            pdf.set_font(FAMILY, "", 7.5)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(width, 3.8, note, align=Align.R, new_x=XPos.LMARGIN)
        pdf.ln(5)

    def equivalent(self) -> tuple[str, str] | None:
        """Return the company-currency equivalent and its rate note, when the currencies differ."""
        doc = self.doc
        if doc.total_company is None or doc.currency.upper() == doc.company_currency.upper():
            return None
        amount = _("Equivalent in %(currency)s: %(amount)s") % {
            "currency": doc.company_currency.upper(),
            "amount": self.money(doc.total_company, doc.company_currency),
        }
        note = _("at the exchange rate of %(date)s") % {"date": self.date(doc.issued_on)}
        if doc.rate is not None:
            note += "\n" + f"1 {doc.currency.upper()} = {self.rate(doc.rate)}"
        return amount, note

    def rate(self, rate: Decimal) -> str:
        """Return the rate with the company currency's sign: `$ 3.912,50`."""
        number = format_rate(rate, self.language)
        sample = format_money(Decimal(0), self.doc.company_currency, self.language)
        zero = format_number(
            Decimal(0), currency_decimals(self.doc.company_currency), self.language
        )
        return sample[: len(sample) - len(zero)] + number

    def instalment_table(self) -> None:
        """Print the instalment plan with what each has paid and still owes, and the sums."""
        pdf, doc = self.pdf, self.doc
        if pdf.will_page_break(30):
            pdf.add_page()
        self.section(_("Payment plan"))
        total_style = FontFace(emphasis="BOLD", fill_color=LINE)
        plan: Sequence[PdfInstalment] = sorted(doc.instalments, key=lambda item: item.position)
        with self.table(col_widths=(40, 45, 31.67, 31.67, 31.66)) as table:
            heading = table.row()
            heading.cell(_("Instalment"))
            heading.cell(_("Due date"))
            for name in (_("Amount"), _("Paid"), _("Balance")):
                heading.cell(name, align=Align.R)
            for item in plan:
                row = table.row()
                if item.position == 0:
                    row.cell(_("Down payment"))
                else:
                    row.cell(_("Instalment %(number)s") % {"number": item.position})
                row.cell(self.date(item.due_on))
                row.cell(self.money(item.amount), align=Align.R)
                row.cell(self.money(item.paid), align=Align.R)
                row.cell(self.money(item.amount - item.paid), align=Align.R)
            amount = sum((item.amount for item in plan), Decimal(0))
            paid = sum((item.paid for item in plan), Decimal(0))
            row = table.row(style=total_style)
            row.cell(_("Total"), colspan=2)
            row.cell(self.money(amount), align=Align.R)
            row.cell(self.money(paid), align=Align.R)
            row.cell(self.money(amount - paid), align=Align.R)
        pdf.ln(5)

    def terms(self) -> None:
        """Print the terms and conditions as written, wrapped, across pages if long."""
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        self.section(_("Terms and conditions"))
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 4.3, self.text(self.doc.terms.strip(), multiline=True))

    def section(self, title: str) -> None:
        """Print a section heading in the brand colour with a hairline under it."""
        pdf = self.pdf
        pdf.set_x(MARGIN)
        pdf.set_font(FAMILY, "B", 10)
        pdf.set_text_color(*BRAND)
        pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(2)
