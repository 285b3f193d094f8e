"""Encodings and delimiters: what Excel, LibreOffice and other tools save must read the same."""

from __future__ import annotations

import codecs
import io

import pytest

from clientela.core.tabular import open_table
from clientela.core.tabular.tests.conftest import HEADER, ROWS, csv_text

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-sig": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),  # with BOM, as Excel's "Unicode text"
    "cp1252": lambda text: text.encode("cp1252"),
    "latin-1": lambda text: text.encode("latin-1"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_it_reads_every_encoding_with_every_delimiter(encoding, delimiter):
    data = ENCODINGS[encoding](csv_text([HEADER, *ROWS], delimiter))

    table = open_table(io.BytesIO(data), filename="contactos.csv")
    records = list(table)

    assert table.format == "csv"
    assert table.delimiter == delimiter
    assert table.headers == HEADER
    assert [r.line for r in records] == [2, 3, 4]
    assert [list(r.values.values()) for r in records] == ROWS
    assert all(r.problems == () for r in records)
    assert table.warnings == []


def test_it_names_the_detected_codec():
    text = csv_text([HEADER, *ROWS])
    assert open_table(text.encode("utf-8")).encoding == "utf-8"
    assert open_table(codecs.BOM_UTF8 + text.encode("utf-8")).encoding == "utf-8-sig"
    assert open_table(text.encode("utf-16")).encoding == "utf-16"
    assert open_table(text.encode("cp1252")).encoding == "cp1252"


def test_it_strips_the_bom_from_the_first_header():
    table = open_table(codecs.BOM_UTF8 + b"Correo;Nombre\r\na@b.co;Ana\r\n")

    assert table.headers == ["Correo", "Nombre"]
    assert next(iter(table)).values == {"Correo": "a@b.co", "Nombre": "Ana"}


def test_it_reads_utf16_without_a_bom():
    data = csv_text([HEADER, *ROWS], "\t").encode("utf-16-le")

    table = open_table(data)

    assert table.encoding == "utf-16-le"
    assert [r.values["Ciudad"] for r in table] == ["Bogotá", "Medellín", "Cúcuta"]


def test_it_reads_windows_1252_punctuation_that_latin1_lacks():
    text = csv_text([["Nombre", "Nota"], ["José", "“VIP” – paga en €"]])

    table = open_table(text.encode("cp1252"))

    assert [r.values["Nota"] for r in table] == ["“VIP” – paga en €"]


def test_it_detects_mac_roman_when_there_is_enough_text():
    names = ["José", "María", "Ángela", "Iñaki", "Begoña", "Raúl", "Sofía", "Andrés"]
    surnames = ["Núñez", "Peña", "Muñoz", "Jiménez", "Rodríguez", "Martínez", "García", "López"]
    notes = ["cliente desde el año pasado", "está interesado", "llamó el miércoles"]
    rows = [["Nombre", "Apellido", "Nota"]]
    rows += [[names[i % 8], surnames[i * 3 % 8], notes[i % 3]] for i in range(40)]

    table = open_table(csv_text(rows).encode("mac_roman"))

    assert table.encoding == "mac_roman"
    assert [r.values["Apellido"] for r in table][:3] == ["Núñez", "Jiménez", "García"]


def test_it_prefers_windows_1252_when_there_is_little_text_to_judge():
    table = open_table("Nombre;Ciudad\r\nJosé;Bogotá\r\n".encode("cp1252"))

    assert table.encoding == "cp1252"


def test_it_finds_accents_far_below_an_ascii_sample():
    # The first 64 KB are plain ASCII; the only accented row is near the end.
    rows = [HEADER] + [[f"Ana{i}", "Diaz", "Cali", f"a{i}@x.co"] for i in range(5000)]
    rows.append(["José", "Núñez", "Bogotá", "jose@x.co"])
    data = csv_text(rows).encode("cp1252")
    assert data[:65536].isascii()

    table = open_table(data)
    last = list(table)[-1]

    assert table.encoding == "cp1252"
    assert last.values["Apellido"] == "Núñez"
    assert last.line == 5002
    assert table.warnings == []


def test_it_keeps_a_utf8_character_cut_at_the_sample_boundary():
    # "é" straddles byte 65536: the sample ends in the middle of a valid character.
    prefix = "Nombre;Nota\r\nAna;"
    filler = "x" * (65535 - len(prefix.encode()))
    data = (prefix + filler + "é fin\r\n").encode("utf-8")
    assert data[65535:65537] == "é".encode()

    table = open_table(data)

    assert table.encoding == "utf-8"
    assert next(iter(table)).values["Nota"].endswith("xé fin")


def test_it_replaces_undecodable_bytes_and_warns_with_the_line():
    # Valid UTF-8 (with accents) at the top, then a stray Windows-1252 byte further down.
    rows = [HEADER] + [["José", "Núñez", "Bogotá", f"j{i}@x.co"] for i in range(3000)]
    data = csv_text(rows).encode("utf-8") + "Ana;Peña;Cali;ana@x.co\r\n".encode("cp1252")

    table = open_table(data)
    records = list(table)

    assert table.encoding == "utf-8"
    assert len(records) == 3001
    assert records[-1].values["Apellido"] == "Pe\ufffda"
    assert records[-1].line == 3002
    assert len(table.warnings) == 1
    assert table.warnings[0].startswith(
        "1 row has characters that are not valid UTF-8; they were replaced by “\ufffd” (line 3002)."
    )


def test_it_counts_replaced_rows_once_across_preview_and_full_read():
    # 70 KB of valid UTF-8 first, so the sample says UTF-8; three Windows-1252 rows after it.
    good = "Nombre;Ciudad\r\n" + "José;Bogotá\r\n" * 5000
    data = good.encode() + "Peña;Cali\r\n".encode("cp1252") * 3

    table = open_table(data)
    list(table.records(start_line=5001))  # a resumed pass sees the bad rows first
    table.preview(2)
    list(table)
    list(table)

    assert table.encoding == "utf-8"
    assert len(table.warnings) == 1
    assert table.warnings[0].startswith("3 rows have characters that are not valid UTF-8")
    assert "the first on line 5002" in table.warnings[0]
