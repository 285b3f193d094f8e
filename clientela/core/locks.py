"""Transaction-scoped locks on a name, for rules no unique index can hold."""

from __future__ import annotations

from django.db import connection


def lock_name(name: str) -> None:
    """Hold a lock on `name` until the current transaction ends (call inside atomic()).

    PostgreSQL: a transaction-level advisory lock on a 64-bit hash of the name, so two
    transactions checking then writing the same value run one after the other. SQLite needs
    nothing: Clientela opens its write transactions IMMEDIATE, so writers are serialised anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
