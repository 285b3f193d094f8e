"""Rows and line numbers: every good row kept, every bad one reported on the line a user sees."""

from __future__ import annotations

import io
import tracemalloc

from clientela.core.tabular import open_table


def read(data: bytes | str, **kwargs):
    table = open_table(data.encode() if isinstance(data, str) else data, **kwargs)
    return table, list(table)


def test_it_counts_a_quoted_multiline_value_as_one_row():
    data = (
        "Nombre;Dirección;Ciudad\r\n"
        'Ana;"Calle 1\r\nApto 2\r\nTorre 3";Cali\r\n'
        'Luis;"dice ""hola""";Pasto\r\n'
        "Eva;Cra 7;Tunja\r\n"
    )

    _table, records = read(data)

    assert [r.line for r in records] == [2, 3, 4]
    assert records[0].values["Dirección"] == "Calle 1\r\nApto 2\r\nTorre 3"
    assert records[1].values["Dirección"] == 'dice "hola"'
    assert records[2].values == {"Nombre": "Eva", "Dirección": "Cra 7", "Ciudad": "Tunja"}


def test_it_skips_empty_rows_but_keeps_their_numbers():
    data = "a;b\n1;2\n\n;\n  ;  \n3;4\n\n\n"

    _table, records = read(data)

    assert [(r.line, r.values["a"]) for r in records] == [(2, "1"), (6, "3")]


def test_it_reports_short_and_long_rows_with_their_line():
    data = "a;b;c\n1;2;3\n4;5\n6;7;8;9\n10;11;12;;\n"

    _table, records = read(data)

    assert [r.line for r in records] == [2, 3, 4, 5]
    assert records[0].problems == ()
    assert records[1].values == {"a": "4", "b": "5", "c": ""}
    assert "fewer values (2)" in records[1].problems[0]
    assert "(3)" in records[1].problems[0]
    assert records[2].values == {"a": "6", "b": "7", "c": "8"}
    assert "more values (4)" in records[2].problems[0]
    assert "“9”" in records[2].problems[0]
    # Trailing empty cells are Excel's padding, not a problem.
    assert records[3].problems == ()


def test_it_trims_headers_and_renames_blank_and_duplicate_ones():
    data = ' Nombre ;;Correo;Correo;"\tFecha de\nnac. ";;;\n1;2;3;4;5\n'

    table, records = read(data)

    assert table.headers == ["Nombre", "Columna B", "Correo", "Correo (2)", "Fecha de nac."]
    assert records[0].values == {
        "Nombre": "1",
        "Columna B": "2",
        "Correo": "3",
        "Correo (2)": "4",
        "Fecha de nac.": "5",
    }
    assert len(table.warnings) == 2
    assert "Column B has no name" in table.warnings[0]
    assert "“Correo (2)”" in table.warnings[1]


def test_it_reads_an_unclosed_quote_literally_and_keeps_the_rows_after_it():
    data = 'Producto;Medida;Precio\n1;"12 pulgadas;500\n2;10 cm;300\n3;"5 pies;200\n4;1 m;100\n'

    table, records = read(data)

    assert [r.line for r in records] == [2, 3, 4, 5]
    assert [r.values["Medida"] for r in records] == ['"12 pulgadas', "10 cm", '"5 pies', "1 m"]
    assert [r.values["Precio"] for r in records] == ["500", "300", "200", "100"]
    assert all(r.problems == () for r in records)
    assert len(table.warnings) == 1
    assert "2, 4" in table.warnings[0]


def test_it_keeps_rows_after_an_unclosed_quote_that_runs_to_the_end():
    data = 'a;b;c\n1;"x;y\n2;3;4\n5;6;7\n'

    _table, records = read(data)

    assert [(r.line, list(r.values.values())) for r in records] == [
        (2, ["1", '"x', "y"]),
        (3, ["2", "3", "4"]),
        (4, ["5", "6", "7"]),
    ]


def test_it_keeps_a_short_multiline_row_whole():
    # Balanced quotes: the row is only short, so it stays one row with a problem.
    data = 'a;b;c\n1;"line 1\nline 2"\n3;4;5\n'

    _table, records = read(data)

    assert [r.line for r in records] == [2, 3]
    assert records[0].values == {"a": "1", "b": "line 1\nline 2", "c": ""}
    assert "fewer values" in records[0].problems[0]


def test_it_recovers_when_a_value_exceeds_the_csv_field_limit():
    data = 'a;b\n1;"' + "x" * 200_000 + "\n2;ok\n"

    _table, records = read(data)

    assert records[-1].values == {"a": "2", "b": "ok"}
    assert records[-1].line == 3


def test_it_honours_excels_sep_line_without_numbering_it():
    table, records = read("sep=,\r\nNombre,Ciudad\r\nAna,Cali\r\n")

    assert table.delimiter == ","
    assert table.headers == ["Nombre", "Ciudad"]
    assert [(r.line, r.values["Ciudad"]) for r in records] == [(2, "Cali")]


def test_it_reads_commas_inside_values_of_a_semicolon_file():
    data = "Nombre;Correo;Ciudad\nPérez, Juan;j@x.co;Bogotá, D.C.\nRuiz, Ana;a@x.co;Cali, Valle\n"

    table, records = read(data)

    assert table.delimiter == ";"
    assert records[0].values["Ciudad"] == "Bogotá, D.C."


def test_it_reads_a_single_column_file():
    table, records = read("email\nana@x.co\nPérez, Juan\n")

    assert table.headers == ["email"]
    assert [r.values["email"] for r in records] == ["ana@x.co", "Pérez, Juan"]
    assert all(r.problems == () for r in records)


def test_it_numbers_from_the_real_header_row_after_leading_blank_lines():
    table, records = read("\n\nNombre;Ciudad\nAna;Cali\n")

    assert table.header_line == 3
    assert [r.line for r in records] == [4]


def test_it_reads_a_file_with_only_a_header():
    table, records = read("Nombre;Ciudad\n")

    assert table.headers == ["Nombre", "Ciudad"]
    assert records == []


def test_it_handles_classic_mac_line_endings():
    _table, records = read("a;b\r1;2\r3;4\r")

    assert [(r.line, r.values["b"]) for r in records] == [(2, "2"), (3, "4")]


def test_it_resumes_from_a_line_with_the_same_numbers():
    rows = "".join(f'{i};"nota\n{i}"\n' if i % 3 == 0 else f"{i};n{i}\n" for i in range(1, 50))
    table = open_table(("id;nota\n" + rows).encode())

    everything = list(table)
    resumed = list(table.records(start_line=30))

    assert resumed == [r for r in everything if r.line >= 30]
    assert resumed[0].line == 30
    assert resumed[0].values["id"] == "29"


def test_it_previews_without_disturbing_a_full_read():
    source = io.BytesIO(b"a;b\n1;2\n3;4\n5;6\n")
    table = open_table(source)

    preview = table.preview(2)
    records = list(table)

    assert [r.line for r in preview] == [2, 3]
    assert [r.line for r in records] == [2, 3, 4]
    assert not source.closed  # the caller's file stays open


def test_it_reads_paths_and_non_seekable_streams(tmp_file):
    path = tmp_file(b"a;b\n1;2\n")

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    from_path = open_table(path)
    from_pipe = open_table(io.BufferedReader(Pipe(b"a;b\n1;2\n")))

    assert from_path.filename == "contactos.csv"
    assert [r.values for r in from_path] == [{"a": "1", "b": "2"}]
    assert [r.values for r in from_pipe] == [{"a": "1", "b": "2"}]
    assert [r.values for r in from_pipe] == [{"a": "1", "b": "2"}]


def test_it_estimates_rows_for_a_progress_bar():
    table = open_table(b"a;b\n1;2\n3;4\n5;6")

    assert table.estimated_rows() == 3


class CountingFile(io.BytesIO):
    """A file that remembers the furthest byte it has handed out."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = super().seek(offset, whence)
        if whence == 0 and offset == 0:
            self.furthest = 0  # a new pass starts
        return position


def test_it_streams_a_large_file_instead_of_loading_it():
    header = "id;nombre;apellido;correo;telefono;ciudad;pais;fecha;valor;etapa;etiquetas;nota\n"
    row = "{0};José;Núñez;u{0}@example.com;+57300{0:07d};Bogotá;CO;12/03/1985;1.234,50;lead;a,b;x\n"
    data = (header + "".join(row.format(i) for i in range(100_000))).encode()
    source = CountingFile(data)
    table = open_table(source)

    tracemalloc.start()
    try:
        records = iter(table)
        first = next(records)
        read_at_first = source.furthest
        count = 1 + sum(1 for _ in records)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert first.line == 2
    assert count == 100_000
    assert read_at_first < len(data) // 20  # the first row came before most bytes were read
    assert peak < len(data) // 5  # memory stayed far below the file's size


def test_it_offers_plain_rows_that_match_the_records():
    data = 'a;b;c\n1;2;3\n4;5\n\n6;"x\ny";7\n8;"9;10\n11;12;13\n'
    table = open_table(data.encode())

    rows = list(table.rows())
    records = list(table)

    assert rows == [(r.line, list(r.values.values()), r.problems) for r in records]
    assert [len(values) for _line, values, _problems in rows] == [3] * len(rows)
    assert list(table.rows(start_line=5)) == [row for row in rows if row[0] >= 5]
