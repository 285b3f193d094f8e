"""ORM queries compiled to SQL once per process and run again with new parameter values.

Django compiles a queryset to SQL on every evaluation. For the few queries on the hottest
paths (the API's token lookup and contact detail, run thousands of times a second) the
compilation costs several times more than the database's own work. A `CompiledQuery` builds
its queryset once with placeholder values, keeps the SQL and the positions of the
placeholders among the parameters, and afterwards only binds the new values: the SQL still
comes from the ORM, the values are still bound parameters, never text in the SQL.

Only values_list() querysets are supported: rows come back as tuples, without model
instances, each value passed through the same converters the ORM applies (dates on SQLite,
JSON, decimals).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet


class Placeholder:
    """A stand-in value for one parameter while the query is compiled."""

    # Chosen so that no real value collides with them: ids are positive, hashes are hex.
    INT_BASE = -7_391_000_000

    def __init__(self, index: int, kind: type) -> None:
        self.index = index
        self.kind = kind

    def value(self) -> Any:
        """Return the literal the ORM will see (and put among the SQL parameters)."""
        if self.kind is int:
            return self.INT_BASE - self.index
        return f"\x00compiled-placeholder-{self.index}\x00"


def _cursor(connection: BaseDatabaseWrapper) -> Any:
    """Return a cursor running prepared statements on PostgreSQL, else the usual one.

    Django's PostgreSQL cursors bind parameters in the client and prepare nothing (the ORM's
    SQL is not always preparable, Django ticket #20516; poolers in transaction mode lose
    prepared statements), so the server parses and plans every query again. A compiled
    query's SQL never changes and binds every value, so it can be prepared once per
    connection and only executed afterwards. The cursor is wrapped exactly as
    connection.cursor() wraps its own (query logging, error mapping).
    """
    if connection.vendor != "postgresql" or connection.queries_logged:
        # Logged queries (DEBUG, tests counting queries) go through Django's own cursor, so
        # the log shows each statement with its values.
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # _prepare_cursor wraps a cursor the way connection.cursor() does; django-stubs omits it.
        cursor = _preparing_cursor_class()(connection.connection)
        return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]


def prepared_cursor(connection: BaseDatabaseWrapper) -> Any:
    """Return a cursor that prepares its statements on PostgreSQL (server-side binding).

    For a hot statement whose SQL never changes (the tracking ingest); on SQLite, and when
    queries are logged, Django's usual cursor. Use it as a context manager.
    """
    return _cursor(connection)


@functools.cache
def _preparing_cursor_class() -> type:
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,  # defined when psycopg 3 is installed, as it is here
    )

    # django-stubs does not declare ServerBindingCursor, so mypy sees an Any base.
    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc]
        """Server-side binding, and every statement prepared (psycopg caches them)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)

    return PreparingCursor


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, placeholder index)
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    def bind(self, values: Sequence[Any]) -> list[Any]:
        """Return the parameters with each placeholder replaced by its value."""
        params = list(self.params)
        for position, index in self.slots:
            params[position] = values[index]
        return params

    def convert(
        self, fetched: Sequence[Sequence[Any]], connection: BaseDatabaseWrapper
    ) -> list[tuple[Any, ...]]:
        """Return fetched rows as tuples of Python values, as the ORM converts them."""
        if not self.converters:
            return [tuple(row) for row in fetched]
        out = []
        for row in fetched:
            items = list(row)
            for position, functions, expression in self.converters:
                value = items[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                items[position] = value
            out.append(tuple(items))
        return out


def _compile(qs: QuerySet[Any], holders: Sequence[Placeholder], using: str) -> _Plan:
    """Compile a values_list() queryset built with `holders`' values into a reusable plan."""
    compiler = qs.using(using).query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    by_value = {h.value(): h.index for h in holders}
    slots = tuple(
        (position, by_value[param])
        for position, param in enumerate(params)
        if isinstance(param, int | str) and param in by_value
    )
    if sorted(index for _, index in slots) != list(range(len(holders))):
        raise ValueError("each placeholder must appear exactly once among the parameters")
    selected = [col for col, _sql, _alias in compiler.select]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(selected).items()
    )
    return _Plan(sql, tuple(params), slots, converters)


def rows_for_each(
    build: Callable[[int], QuerySet[Any]], keys: Sequence[int], *, using: str = "default"
) -> list[tuple[Any, ...]]:
    """Return the rows of `build(key)` for every key, the queryset compiled once for all.

    `build` returns a values_list() queryset for one key (a board column's first cards: the
    key is the stage). Django would compile a union of N querysets N times over; here one
    branch is compiled with a placeholder and its SQL repeated with each key bound. Where the
    database takes a LIMIT in each branch of a UNION ALL (PostgreSQL) the branches go as one
    statement; elsewhere (SQLite) one statement per key, the SQL still compiled once.
    """
    if not keys:
        return []
    holder = Placeholder(0, int)
    plan = _compile(build(holder.value()), [holder], using)
    connection = connections[using]
    with connection.cursor() as cursor:
        if len(keys) > 1 and connection.features.supports_slicing_ordering_in_compound:
            sql = " UNION ALL ".join(f"({plan.sql})" for _key in keys)
            cursor.execute(sql, [param for key in keys for param in plan.bind([key])])
            fetched = list(cursor.fetchall())
        else:
            fetched = []
            for key in keys:
                cursor.execute(plan.sql, plan.bind([key]))
                fetched.extend(cursor.fetchall())
    return plan.convert(fetched, connection)


class CompiledQuery:
    """`build(*values)` → a values_list() queryset; compiled once per database alias."""

    def __init__(self, build: Callable[..., QuerySet[Any]], kinds: Sequence[type]) -> None:
        self.build = build
        self.kinds = tuple(kinds)
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, using: str) -> _Plan:
        plan = self._plans.get(using)
        if plan is not None:
            return plan
        with self._lock:
            holders = [Placeholder(i, kind) for i, kind in enumerate(self.kinds)]
            plan = _compile(self.build(*(h.value() for h in holders)), holders, using)
            self._plans[using] = plan
            return plan

    def rows(self, *values: Any, using: str = "default") -> list[tuple[Any, ...]]:
        """Return the rows of the query for these values."""
        plan = self._plan(using)
        connection = connections[using]
        with _cursor(connection) as cursor:
            cursor.execute(plan.sql, plan.bind(values))
            fetched = cursor.fetchall()
        return plan.convert(fetched, connection)

    def first(self, *values: Any, using: str = "default") -> tuple[Any, ...] | None:
        """Return the first row, or None."""
        found = self.rows(*values, using=using)
        return found[0] if found else None
