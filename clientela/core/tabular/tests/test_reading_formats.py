"""Formats: XLSX through calamine, detection by content, and clear errors for what we cannot read."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from clientela.core.tabular import TableError, open_table, parse_date


def workbook_bytes(build) -> bytes:
    workbook = Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def contacts_sheet(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet.title = "Contactos"
    sheet.append(["Nombre", "Nacimiento", "Alta", "Cédula", "Saldo", "Activo", "Hora"])
    sheet.append(
        ["José", date(1985, 3, 12), datetime(2024, 1, 2, 10, 30), 1012345678, 1234.5, True, time(9)]
    )
    sheet.append(["Ana", date(1990, 12, 31), datetime(2024, 1, 3), 52000111, -3.25, False, None])
    sheet["B3"].number_format = "dd/mm/yyyy"
    sheet.append([])
    sheet.append(["Luis"])


def test_it_reads_an_xlsx_with_dates_numbers_and_booleans():
    table = open_table(workbook_bytes(contacts_sheet), filename="contactos.xlsx")
    records = list(table)

    assert table.format == "xlsx"
    assert table.sheet == "Contactos"
    assert table.encoding is None and table.delimiter is None
    assert table.headers == ["Nombre", "Nacimiento", "Alta", "Cédula", "Saldo", "Activo", "Hora"]
    assert [r.line for r in records] == [2, 3, 5]
    assert records[0].values == {
        "Nombre": "José",
        "Nacimiento": "1985-03-12",
        "Alta": "2024-01-02 10:30:00",
        "Cédula": "1012345678",
        "Saldo": "1234.5",
        "Activo": "true",
        "Hora": "09:00:00",
    }
    assert records[1].values["Alta"] == "2024-01-03"
    assert records[1].values["Saldo"] == "-3.25"
    assert records[2].values["Nacimiento"] == ""
    assert parse_date(records[0].values["Nacimiento"]) == date(1985, 3, 12)


def test_it_numbers_xlsx_rows_like_excel_when_data_starts_lower():
    def build(workbook: Workbook) -> None:
        sheet = workbook.active
        sheet["B3"], sheet["C3"] = "Nombre", "Ciudad"
        sheet["B4"], sheet["C4"] = "Ana", "Cali"
        sheet["B6"], sheet["C6"] = "Luis", ""

    table = open_table(workbook_bytes(build))

    assert table.header_line == 3
    assert [(r.line, r.values) for r in table] == [
        (4, {"Nombre": "Ana", "Ciudad": "Cali"}),
        (6, {"Nombre": "Luis", "Ciudad": ""}),
    ]


def test_it_resumes_an_xlsx_from_a_line():
    def build(workbook: Workbook) -> None:
        workbook.active.append(["n"])
        for i in range(10):
            workbook.active.append([i])

    table = open_table(workbook_bytes(build))

    assert [r.line for r in table.records(start_line=9)] == [9, 10, 11]
    assert [r.values["n"] for r in table.preview(2)] == ["0", "1"]
    assert table.estimated_rows() == 10


def test_it_picks_a_sheet_by_name_and_skips_hidden_ones():
    def build(workbook: Workbook) -> None:
        workbook.active.title = "Oculta"
        workbook.active.append(["secreto"])
        workbook.active.sheet_state = "hidden"
        visible = workbook.create_sheet("Clientes")
        visible.append(["Nombre"])
        visible.append(["Ana"])
        other = workbook.create_sheet("Otra")
        other.append(["Ciudad"])
        other.append(["Cali"])

    data = workbook_bytes(build)

    assert open_table(data).sheet == "Clientes"
    assert [r.values for r in open_table(data, sheet="Otra")] == [{"Ciudad": "Cali"}]
    with pytest.raises(TableError) as error:
        open_table(data, sheet="Ventas")
    assert error.value.code == "sheet_not_found"
    assert "Ventas" in error.value.message and "Clientes" in error.value.message


def test_it_rejects_a_corrupt_xlsx():
    data = workbook_bytes(contacts_sheet)

    for broken in (data[: len(data) // 2], b"PK\x03\x04" + b"\x00" * 200):
        with pytest.raises(TableError) as error:
            open_table(broken, filename="contactos.xlsx")
        assert error.value.code == "corrupt"
        assert "damaged" in error.value.message


def test_it_rejects_binary_garbage_named_xlsx_as_corrupt():
    garbage = bytes(range(256)) * 40

    with pytest.raises(TableError) as error:
        open_table(garbage, filename="contactos.xlsx")

    assert error.value.code == "corrupt"


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\r\n", b";;;\r\n;;\r\n"],
    ids=["zero-bytes", "blank-lines", "bom-only", "bom-and-newline", "only-delimiters"],
)
def test_it_rejects_an_empty_file(data):
    with pytest.raises(TableError) as error:
        open_table(data, filename="vacio.csv")

    assert error.value.code == "empty"
    assert error.value.message == "The file is empty."


def test_it_rejects_an_empty_xlsx():
    with pytest.raises(TableError) as error:
        open_table(workbook_bytes(lambda workbook: None))

    assert error.value.code == "empty"


def test_it_rejects_a_file_whose_first_row_is_data():
    with pytest.raises(TableError) as error:
        open_table(b"ana@x.co;3001234567\r\nluis@x.co;3007654321\r\n")

    assert error.value.code == "no_header"
    assert "“ana@x.co”" in error.value.message


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "viejo.xls", "Excel 97-2003 (.xls)"),
        (zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "a.ods", ".ods"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "lista.pdf", "PDF"),
        (zipped({"word/document.xml": b"<w/>"}), "carta.docx", "Word"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "export.xls", "XML"),
        (bytes(range(256)) * 40, "datos.bin", None),
    ],
    ids=["xls", "ods", "pdf", "docx", "html-as-xls", "binary"],
)
def test_it_rejects_unsupported_formats_naming_the_supported_ones(data, name, kind):
    with pytest.raises(TableError) as error:
        open_table(data, filename=name)

    assert error.value.code == "unsupported_format"
    assert "CSV" in error.value.message and ".xlsx" in error.value.message
    if kind:
        assert kind in error.value.message


def test_it_reads_a_tab_separated_file_named_xls_as_csv():
    data = "Nombre\tCiudad\r\nJosé\tBogotá\r\n".encode("utf-16")

    table = open_table(data, filename="export.xls")

    assert table.format == "csv"
    assert [r.values for r in table] == [{"Nombre": "José", "Ciudad": "Bogotá"}]


def test_it_reads_an_xlsx_named_csv():
    table = open_table(workbook_bytes(contacts_sheet), filename="contactos.csv")

    assert table.format == "xlsx"


def test_it_calls_a_zip_without_a_workbook_corrupt_only_when_named_xlsx():
    archive = zipped({"notas.txt": b"hola"})

    with pytest.raises(TableError) as as_zip:
        open_table(archive, filename="fotos.zip")
    with pytest.raises(TableError) as as_xlsx:
        open_table(archive, filename="contactos.xlsx")

    assert as_zip.value.code == "unsupported_format"
    assert "ZIP" in as_zip.value.message
    assert as_xlsx.value.code == "corrupt"
