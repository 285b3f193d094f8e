"""An import and concurrent creates of the same e-mails leave one live contact per e-mail.

The import locks the e-mails each batch creates with the lock the API, the screens and public
forms take (core.locks), then matches the contacts created meanwhile instead of adding a
second one. PostgreSQL only: SQLite's writers are serialised by BEGIN IMMEDIATE, and its
in-memory test database is one connection's.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from clientela.contacts import services
from clientela.contacts.importing.runner import run_import
from clientela.contacts.models import Contact
from clientela.contacts.tests.import_helpers import csv_bytes, start
from clientela.core import locks
from clientela.core.exceptions import DuplicateRecord

ROWS = 240


def skip_on_sqlite() -> None:
    """Skip a test that needs concurrent writers."""
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locking", ["one lock per e-mail", "the namespace's gate"])
def test_it_leaves_one_live_contact_per_email_when_creates_race_an_import(
    personas, monkeypatch, locking
):
    skip_on_sqlite()
    if locking == "the namespace's gate":
        # Batches of 20 new e-mails take the gate instead of 20 locks.
        monkeypatch.setattr(locks, "MAX_NAME_LOCKS", 10)
    emails = [f"race{n:03d}@example.co" for n in range(ROWS)]
    job = start(
        personas.admin,
        csv_bytes("nombre;correo", *(f"Ana {n};{email}" for n, email in enumerate(emails))),
    )
    creators = 3
    barrier = threading.Barrier(creators + 1)
    api_created: list[str] = []
    refused: list[str] = []
    results: list[Any] = []
    failures: list[BaseException] = []

    def run_the_import() -> None:
        try:
            barrier.wait()
            results.append(run_import(job.pk, batch_size=20))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    def create(k: int) -> None:
        # Each creator walks the file from another place, so creates meet the import's
        # batches at every stage: before, during and after their commit.
        order = emails[k::creators] if k % 2 else list(reversed(emails[k::creators]))
        try:
            barrier.wait()
            for email in order:
                try:
                    services.create_contact(
                        actor=personas.rep, data={"first_name": "Eva", "email": email}
                    )
                    api_created.append(email)
                except DuplicateRecord:
                    refused.append(email)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_the_import)]
    threads += [threading.Thread(target=create, args=(k,)) for k in range(creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    (result,) = results
    live = list(
        Contact.objects.filter(deleted_at__isnull=True, email__in=emails).values_list(
            "email", flat=True
        )
    )
    # Exactly one live contact per e-mail …
    assert sorted(live) == emails
    # … and nothing lost: every row of the file was imported or matched, every create made
    # a contact or was refused because one existed.
    assert (result.rows, result.rejected) == (ROWS, 0)
    assert result.created + result.unchanged == ROWS
    assert result.created + len(api_created) == ROWS
    assert len(api_created) + len(refused) == ROWS
    # The race happened: both sides created some of the contacts.
    assert api_created
    assert result.created
