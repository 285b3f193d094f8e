"""The file layer of import and export: read CSV/XLSX uploads, parse cell values, write exports.

Pure code with no database access; the contacts import and the list exports build on it.
"""

from clientela.core.tabular.reading import Record, Table, TableError, open_table
from clientela.core.tabular.values import (
    guess_decimal_comma,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
)
from clientela.core.tabular.writing import iter_csv, neutralise, write_csv, write_xlsx

__all__ = [
    "Record",
    "Table",
    "TableError",
    "guess_decimal_comma",
    "iter_csv",
    "neutralise",
    "open_table",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "write_csv",
    "write_xlsx",
]
