"""Rows written without the ORM's per-call compilation.

Many rows updated in one statement; one row inserted with its SQL made once per model.

*update_rows.*
Django's `bulk_update` writes `SET f = CASE WHEN pk = 1 THEN … WHEN pk = 2 THEN … END` for
every field, resolving one `When` expression per row and field in Python: for a batch of 100
submissions and five fields that was ≈ 40 % of the worker's CPU for the whole batch (decision
126). `update_rows` joins the table to a VALUES list instead — one row of values per record —
so the values are only prepared for the database (`get_db_prep_save`, as `save()` does) and
bound as parameters:

    UPDATE t SET a = v.column2, b = v.column3
    FROM (VALUES (%s, %s, %s), …) AS v WHERE t.id = v.column1

Both PostgreSQL and SQLite (3.33 and later) run that; their VALUES columns are named
column1, column2, … On PostgreSQL the first row's values are cast to the columns' types, so
a column of NULLs or of untyped literals still has the column's type.

*insert_row.* `Model.objects.create()` compiles its INSERT for every call, ≈ 1/3 of a public
form post's CPU (decision 126). `insert_row` writes a new instance exactly as `save()` would
(every concrete field's `pre_save` and `get_db_prep_save`, the primary key read back), with
the statement's text made once per model and prepared on PostgreSQL. It sends no signals:
for models nothing listens to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

from clientela.core.compiled import prepared_cursor

# Rows per statement: 500 rows of a few values stay far below SQLite's 32,766 parameters.
CHUNK = 500


def update_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    using: str = "default",
) -> int:
    """Set `fields` of each row's record to that row's values; return how many were updated.

    Each row is (primary key, one value per field), values as the model holds them (a model
    instance or its id for a foreign key, aware datetimes, …). Values are bound parameters,
    never SQL text; the field names must be the model's own (they are looked up on it).
    """
    if not rows:
        return 0
    connection = connections[using]
    meta = model._meta
    targets: list[Any] = [meta.get_field(name) for name in fields]
    key = meta.pk
    assert key is not None
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    sets = ", ".join(
        f"{quote(field.column)} = v.column{n}" for n, field in enumerate(targets, start=2)
    )
    everything: list[Any] = [key, *targets]
    typed = connection.vendor == "postgresql"
    first = "(" + ", ".join(
        f"CAST(%s AS {field.db_type(connection)})" if typed else "%s" for field in everything
    ) + ")"  # fmt: skip
    other = "(" + ", ".join(["%s"] * len(everything)) + ")"
    done = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list[Any] = []
            for row in chunk:
                if len(row) != len(everything):
                    raise ValueError(f"each row needs a key and {len(targets)} values")
                params += [
                    field.get_db_prep_save(_plain(field, value), connection)
                    for field, value in zip(everything, row, strict=True)
                ]
            values = ", ".join([first, *[other] * (len(chunk) - 1)])
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v"  # noqa: S608 - names from the model
                f" WHERE {table}.{quote(key.column)} = v.column1"
            )
            cursor.execute(sql, params)
            done += cursor.rowcount
    return done


def update_objects(
    objects: Sequence[Model], fields: Sequence[str], *, using: str = "default"
) -> int:
    """Write `fields` of each instance as it holds them (`bulk_update`'s arguments), in chunks."""
    if not objects:
        return 0
    meta = type(objects[0])._meta
    names = [meta.get_field(name).attname for name in fields]  # type: ignore[union-attr]
    rows = [(obj.pk, *(getattr(obj, name) for name in names)) for obj in objects]
    return update_rows(type(objects[0]), fields, rows, using=using)


def _plain(field: Any, value: Any) -> Any:
    """Return a foreign key's id for a model instance; any other value as it is."""
    if field.is_relation and isinstance(value, Model):
        return value.pk
    return value


def insert_row(instance: Model, *, using: str = "default") -> None:
    """INSERT a new instance as `save()` would, without signals; set its primary key."""
    connection = connections[using]
    model = type(instance)
    key = (model, connection.vendor)
    made = _INSERTS.get(key)
    if made is None:
        made = _INSERTS[key] = _insert_sql(model, connection.ops.quote_name)
    sql, fields = made
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = using


# insert_row's SQL and fields per (model, database vendor).
_INSERTS: dict[tuple[type[Model], str], tuple[str, tuple[Any, ...]]] = {}


def _insert_sql(model: type[Model], quote: Any) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    assert meta.pk is not None
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608 - names from the model
        f" RETURNING {quote(meta.pk.column)}"
    )
    return sql, fields
