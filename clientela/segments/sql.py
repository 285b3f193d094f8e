"""SQL building blocks segments compile to.

``Fold`` is the SQL half of :func:`clientela.segments.registry.fold`. PostgreSQL's ``LOWER``
follows Unicode in a UTF-8 database; SQLite's built-in one folds ASCII only ("Á" stays "Á"), so
on SQLite it calls a deterministic Python function registered on every connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, DecimalField, Func, Value

SQLITE_FOLD = "clientela_fold"


class Fold(Func):
    """Lower-case text the same way in SQL as segments do in Python."""

    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        """Use the registered Python fold: SQLite's LOWER leaves non-ASCII letters alone."""
        return super().as_sql(compiler, connection, function=SQLITE_FOLD.upper(), **extra)


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: give each SQLite connection the fold function."""
    if connection.vendor == "sqlite":
        raw: sqlite3.Connection = connection.connection
        raw.create_function(SQLITE_FOLD, 1, _fold, deterministic=True)


class Number(Value):
    """A numeric operand compared as a number whatever the column's type.

    Passing the operand bare would let the ORM convert it to the column's type first (an
    integer count compared with 1.5 becomes 1); SQLite binds Decimals as text, which compares
    greater than every number. PostgreSQL gets an exact numeric, SQLite a REAL — its own
    arithmetic for decimals, so money sums are rounded to cents before they are compared.
    """

    def __init__(self, value: Decimal | float | int) -> None:
        super().__init__(
            Decimal(str(value)), output_field=DecimalField(max_digits=40, decimal_places=15)
        )

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        """Return an exact numeric literal parameter."""
        return "%s", [self.value]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        """Return a REAL parameter: SQLite stores and sums decimals as binary floats."""
        return "CAST(%s AS REAL)", [float(self.value)]


@contextmanager
def without_jit() -> Iterator[None]:
    """Run the block with PostgreSQL's JIT compiler off (inside the current transaction).

    A query that probes indexes for a thousand contacts across every segment is estimated
    costly enough for JIT, whose compilation then takes longer than the whole query
    (segment-1m: 600 ms with JIT, 250 ms without). The previous setting is put back after.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        previous = cursor.fetchone()[0]
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('jit', %s, true)", [previous])
