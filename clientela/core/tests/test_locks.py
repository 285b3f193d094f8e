"""Name locks (core.locks): what another connection may take while a transaction holds them.

PostgreSQL only: SQLite has no advisory locks (its writers are serialised by BEGIN IMMEDIATE).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from clientela.core import locks


def other_connection_may_lock(name: str, *, shared: bool = False) -> bool:
    """Whether another connection gets `name`'s lock right now (try, never wait)."""
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            with connections["default"].cursor() as cursor:
                function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
                cursor.execute(f"SELECT {function}(hashtextextended(%s, 0))", [name])
                got = bool(cursor.fetchone()[0])
                if got:
                    cursor.execute("SELECT pg_advisory_unlock_all()")
                outcome.append(got)
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.django_db(transaction=True)
def test_it_locks_each_name_as_lock_name_does_until_the_transaction_ends(monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("advisory locks are PostgreSQL's (CLIENTELA_TEST_DATABASE_URL)")
    with transaction.atomic():
        locks.lock_names(
            ["contacts.email:b@e.co", "contacts.email:a@e.co", "contacts.email:a@e.co"]
        )
        assert not other_connection_may_lock("contacts.email:a@e.co")
        assert not other_connection_may_lock("contacts.email:b@e.co")
        assert other_connection_may_lock("contacts.email:c@e.co")
        # The gate is held shared: other names of the namespace go on, a batch holding the
        # whole namespace waits.
        assert other_connection_may_lock("contacts.email:*", shared=True)
        assert not other_connection_may_lock("contacts.email:*")
    assert other_connection_may_lock("contacts.email:a@e.co")

    monkeypatch.setattr(locks, "MAX_NAME_LOCKS", 1)
    with transaction.atomic():
        locks.lock_names(["contacts.email:b@e.co", "contacts.email:a@e.co"])
        # Past the limit the namespace's gate is held exclusively: no lock_name gets through.
        assert not other_connection_may_lock("contacts.email:*", shared=True)
        assert other_connection_may_lock("webforms.form:*", shared=True)
    assert other_connection_may_lock("contacts.email:*", shared=True)
