"""Fast inserts for imports: pre-allocated ids, then COPY (PostgreSQL) or executemany (SQLite).

Django's bulk_create builds a model instance per row and, on PostgreSQL, a multi-row INSERT
with RETURNING; for hundreds of thousands of rows the database's own bulk paths are several
times faster. Ids are allocated first so tags and notes can point at the new rows without
reading them back. Other databases fall back to bulk_create.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models


def _json(value: Any) -> str:
    if value == {}:
        return "{}"
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


class BulkTable:
    """The columns of one model's table and how to write rows of plain values into it."""

    def __init__(self, model: type[models.Model], *, with_pk: bool = True) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults: list[Any] = []
        self.kinds: list[str] = []
        for f in self.fields:
            if isinstance(f, models.JSONField):
                kind = "json"
            elif isinstance(f, models.DateTimeField):
                kind = "datetime"
            elif isinstance(f, models.DateField):
                kind = "date"
            else:
                kind = ""
            self.kinds.append(kind)
            # Callable defaults (timezone.now, dict) are evaluated per insert by the caller.
            callable_default = f.has_default() and callable(f.default)
            self.defaults.append(None if f.primary_key or callable_default else f.get_default())

        self.index = {name: i for i, name in enumerate(self.attnames)}

    def row(self, values: dict[str, Any]) -> list[Any]:
        """Return a full row in column order; missing values take the field's default."""
        out = self.defaults.copy()
        index = self.index
        for name, value in values.items():
            out[index[name]] = value
        return out

    def insert(self, rows: Sequence[Sequence[Any]], *, adapted: bool = False) -> None:
        """Insert full rows (column order) with the fastest path the database has.

        `adapted` rows already hold what the database takes (see `adapter`): JSON as text
        and, on SQLite, dates and timestamps as text.
        """
        if not rows:
            return
        vendor = connection.vendor
        if vendor == "postgresql":
            self._copy(rows, adapted)
        elif vendor == "sqlite":
            self._executemany(rows, adapted)
        else:
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(self.attnames, r, strict=True))) for r in rows],
                batch_size=1000,
            )

    def adapter(self, attname: str) -> Any:
        """Return the function that turns a Python value of this column into what `insert` sends."""
        kind = self.kinds[self.index[attname]]
        if kind == "json":
            return _json
        if connection.vendor == "sqlite" and kind == "datetime":
            return connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and kind == "date":
            return connection.ops.adapt_datefield_value
        return None

    def _copy(self, rows: Sequence[Sequence[Any]], adapted: bool) -> None:
        json_at = [] if adapted else [i for i, k in enumerate(self.kinds) if k == "json"]
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        sql = f"COPY {connection.ops.quote_name(self.table)} ({cols}) FROM STDIN"
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(sql) as copy:
                write = copy.write_row
                if json_at:
                    for r in rows:
                        out = list(r)
                        for i in json_at:
                            if out[i] is not None:
                                out[i] = _json(out[i])
                        write(out)
                else:
                    for r in rows:
                        write(r)

    def _executemany(self, rows: Sequence[Sequence[Any]], adapted: bool) -> None:
        ops = connection.ops
        converters: list[tuple[int, Any]] = []
        for i, kind in enumerate([] if adapted else self.kinds):
            if kind == "json":
                converters.append((i, _json))
            elif kind == "datetime":
                converters.append((i, ops.adapt_datetimefield_value))
            elif kind == "date":
                converters.append((i, ops.adapt_datefield_value))
        prepared: Sequence[Any] = [_convert(r, converters) for r in rows] if converters else rows
        cols = ", ".join(ops.quote_name(c) for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f"INSERT INTO {ops.quote_name(self.table)} ({cols}) VALUES ({marks})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)


def _convert(row: Sequence[Any], converters: list[tuple[int, Any]]) -> list[Any]:
    out = list(row)
    for i, convert in converters:
        value = out[i]
        # Strings were adapted by the caller already (one timestamp shared by a batch).
        if value is not None and (convert is _json or isinstance(value, date | datetime)):
            out[i] = convert(value)
    return out


# SQLite's default page cache is 2 MB: a batch touching thousands of random index pages
# (e-mail, phone, name) would read most of them back from disk. 128 MB keeps them warm.
SQLITE_CACHE_KIB = 131072
# By default the WAL is copied into the database (and synced) every 1,000 pages, i.e. after
# nearly every batch, writing the same index pages again and again; every 16,384 pages
# (64 MB) copies each page once per several batches. Durability is unchanged.
SQLITE_WAL_PAGES = 16384


@contextmanager
def bulk_session() -> Iterator[None]:
    """Apply connection settings for a long run of batches (restored afterwards)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint")
        wal = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {wal}")


def adapt_now(moment: datetime) -> Any:
    """Return a timestamp in the form the fast insert sends it (adapted once for a whole batch)."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(moment)
    return moment


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys for rows inserted with explicit ids in this transaction."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            # The caller holds SQLite's write lock (it wrote first in this transaction), so
            # nobody else can take these ids; AUTOINCREMENT's high-water mark is respected.
            quoted, column = connection.ops.quote_name(table), connection.ops.quote_name(pk.column)
            cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {quoted}")  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            start = max(top, seq[0] if seq else 0) + 1
            return list(range(start, start + count))
    # Clientela supports SQLite and PostgreSQL only (settings and docs say so).
    raise RuntimeError(f"cannot reserve ids on a {connection.vendor} database")


def supports_fast_insert() -> bool:
    """Whether allocate_ids/BulkTable.insert work on this database."""
    return connection.vendor in {"postgresql", "sqlite"}
