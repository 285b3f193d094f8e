"""Transaction-scoped locks on a name, for rules no unique index can hold.

PostgreSQL: transaction-level advisory locks on 64-bit hashes of names, so two transactions
checking then writing the same value run one after the other. SQLite needs nothing: Clientela
opens its write transactions IMMEDIATE, so writers are serialised anyway.

A name's namespace is what comes before its first ":" ("contacts.email" for
"contacts.email:ana@example.co"). Every name is locked under its namespace's gate, held shared:
`lock_name` takes the gate shared and the name exclusively. The gate lets a writer of many names
at once (an import batch of thousands of e-mails) take one exclusive lock instead of one per
name: advisory locks live in PostgreSQL's shared lock table (max_locks_per_transaction ×
max_connections, 6,400 slots by default, for the whole server), which 10,000 names of one batch
would fill, failing that batch and every other transaction on the server that needs a lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# Above this many names `lock_names` takes their namespaces' gates exclusively instead.
MAX_NAME_LOCKS = 256


def _gate(name: str) -> str:
    return f"{name.partition(':')[0]}:*"


def lock_name(name: str) -> None:
    """Hold a lock on `name` until the current transaction ends (call inside atomic())."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Evaluated left to right: the gate (shared) first, as in lock_names.
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0)),"
                " pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [_gate(name), name],
            )


def lock_names(names: Iterable[str]) -> None:
    """Hold a lock on every one of `names` until the transaction ends, as `lock_name` would.

    The gates, then the names, each set in the order of its hashes, so two writers of
    overlapping sets cannot deadlock. Up to MAX_NAME_LOCKS names are locked one by one in one
    statement (a concurrent `lock_name` of another name goes on); more take their namespaces'
    gates exclusively, which waits for every `lock_name` in those namespaces to commit and
    holds new ones until this transaction ends.
    """
    if connection.vendor != "postgresql":
        return
    distinct = sorted(set(names))
    if not distinct:
        return
    gates = sorted({_gate(name) for name in distinct})
    with connection.cursor() as cursor:
        if len(distinct) > MAX_NAME_LOCKS:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(n, 0) AS h"
                " FROM unnest(%s::text[]) AS n ORDER BY 1) AS s",
                [gates],
            )
            return
        # One statement: the rows come gates first (shared), then names (exclusive), each
        # part in hash order, and each row takes its lock as it is read.
        cursor.execute(
            "SELECT CASE WHEN s.gate THEN pg_advisory_xact_lock_shared(s.h)::text"
            " ELSE pg_advisory_xact_lock(s.h)::text END FROM ("
            "SELECT DISTINCT k.gate, hashtextextended(k.n, 0) AS h FROM ("
            "SELECT true AS gate, unnest(%s::text[]) AS n"
            " UNION ALL SELECT false, unnest(%s::text[])) AS k ORDER BY 1 DESC, 2) AS s",
            [gates, distinct],
        )
