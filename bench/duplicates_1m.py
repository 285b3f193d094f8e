"""duplicates-1m: the duplicates page, the list sorted by update and the trash at 1M contacts.

PostgreSQL only. Reuses (or makes) a database of `size` seeded contacts, then adds deterministic
duplicates the seed does not make — 2 % e-mail twins, 1 % phone twins, 0.5 % name twins at the
same company — and trashes 0.2 % of the contacts. In a child process on that database it times,
in-process through Django's test client (median of a few runs, warm cache):

* the duplicates page for a manager (sees all) and a rep (sees own), reading the precomputed
  groups; the baseline is the old page's query, grouping every visible contact by e-mail and by
  phone on each request (run in the same process on the same data);
* the full rebuild of the groups, and the page right after a contact was created (catch-up);
* the contacts list sorted by update and the trash, for the manager, the rep and a department
  user (owner_id IN (...)); baseline: the same pages with the new indexes dropped inside a
  transaction that is rolled back.

Run: `python -m bench.duplicates_1m [--size N]` (CLIENTELA_BENCH_PG to point elsewhere).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.api_read import database_name

if TYPE_CHECKING:  # the child process imports this module before django.setup()
    from clientela.accounts.models import User

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MARK = "bench-dup"
NEW_INDEXES = ("contact_updated_idx", "contact_trash_idx", "company_trash_idx")


def _env(database: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({
        "CLIENTELA_DATABASE_URL": f"{PG}/{database}", "CLIENTELA_DATA_DIR": data_dir,
        "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40, "CLIENTELA_ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
    })  # fmt: skip
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "clientela", *args], env=env, check=True, capture_output=True,
        timeout=7200,
    )  # fmt: skip


def _count(database: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(f"{PG}/{database}") as db:
            row = db.execute("SELECT count(*) FROM contacts_contact").fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row else None


def _ensure_database(name: str, size: int, seed: int, env: dict[str, str]) -> None:
    """Make the database once: a copy of api-read's seeded one when it exists, else seed."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and (_count(name) or 0) >= size:
            _manage(env, "migrate", "-v0")
            _add_duplicates(name)
            return
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        template = database_name(size)
        if _count(template) == size:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            _manage(env, "migrate", "-v0")
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
            _manage(env, "migrate", "-v0")
            _manage(env, "seed", "--contacts", str(size), "--seed", str(seed))
    _add_duplicates(name)


def _add_duplicates(name: str) -> None:
    """Deterministic twins and trashed contacts (idempotent: marked by created_via)."""
    import psycopg

    columns = (
        "owner_id, city, country, custom, search_text, created_at, updated_at, created_by_id, "
        "created_via, import_job_id, external_id, deleted_at, version, first_name, last_name, "
        "email, phone, job_title, company_id, birthday, language, lifecycle_stage, lead_status, "
        "source, first_utm_source, first_utm_medium, first_utm_campaign, first_utm_term, "
        "first_utm_content, first_touch_at, last_utm_source, last_utm_medium, "
        "last_utm_campaign, last_utm_term, last_utm_content, last_touch_at, merged_into_id"
    )
    copy = columns.replace("created_via,", "%s,")
    twins = (
        # e-mail twins: same e-mail, no phone
        ("id %% 50 = 1 AND email <> ''", "phone", "''"),
        # phone twins: same phone, no e-mail
        ("id %% 100 = 7 AND phone <> ''", "email", "''"),
        # name twins at the same company: the same person typed again, without e-mail or phone
        ("id %% 70 = 3 AND company_id IS NOT NULL", "email", "''"),
    )
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as db:
        if db.execute(
            "SELECT 1 FROM contacts_contact WHERE created_via = %s LIMIT 1", [MARK]
        ).fetchone():
            return
        for where, blank, value in twins:
            select = copy.replace(f" {blank},", f" {value} AS {blank},")
            if "company_id IS NOT NULL" in where:
                select = select.replace(" phone,", " '' AS phone,")
            db.execute(
                f"INSERT INTO contacts_contact ({columns}) SELECT {select} FROM contacts_contact "
                f"WHERE deleted_at IS NULL AND created_via <> %s AND {where}",
                [MARK, MARK],
            )
        for table in ("contacts_contact", "contacts_company"):
            db.execute(
                f"UPDATE {table} SET deleted_at = created_at + interval '1 day' "
                "WHERE id %% 500 = 11 AND created_via <> %s",
                [MARK],
            )
        db.execute("VACUUM ANALYZE")


def run(size: int = 1_000_000, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Prepare the database, then time the pages in a child process."""
    name = f"clientela_bench_dup_{size}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = _env(name, data_dir)
        started = time.monotonic()
        _ensure_database(name, size, seed, env)
        yield {
            "scenario": "duplicates-1m", "figure": "prepare_s",
            "value": round(time.monotonic() - started, 1), "unit": "s", "size": size,
        }  # fmt: skip
        child = subprocess.run(
            [sys.executable, "-m", "bench.duplicates_1m", "--child", str(size)],
            env=env, check=True, capture_output=True, text=True, timeout=7200,
        )  # fmt: skip
        for line in child.stdout.splitlines():
            if line.startswith("{"):
                yield {"scenario": "duplicates-1m", **json.loads(line)}


# -- the child: in-process timings -------------------------------------------------------------
def _median_ms(action: Callable[[], Any], runs: int = 5) -> float:
    action()  # warm-up
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    return round(statistics.median(times), 1)


def _old_duplicate_groups(user: User, limit: int = 50) -> list[dict[str, Any]]:
    """Return the duplicates page's query before the precomputed groups (kept as the baseline)."""
    from django.db.models import Count, Q

    from clientela.contacts.queries import contacts_visible_to

    groups: list[dict[str, Any]] = []
    visible = contacts_visible_to(user)
    for field_name in ("email", "phone"):
        rows = (
            visible.exclude(**{field_name: ""})
            .values(field_name)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n", field_name)[:limit]
        )
        groups.extend({"field": field_name, "value": r[field_name], "n": r["n"]} for r in rows)
    emails = [g["value"] for g in groups if g["field"] == "email"]
    phones = [g["value"] for g in groups if g["field"] == "phone"]
    list(
        visible.filter(Q(email__in=emails) | Q(phone__in=phones))
        .select_related("company", "owner")
        .order_by("created_at", "id")
    )
    return groups[:limit]


def _child(size: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client, override_settings
    from django.utils import timezone

    from clientela.accounts.models import Department, Role, User
    from clientela.contacts import duplicates, services
    from clientela.contacts.models import Contact, DuplicateMember

    # No collectstatic here: plain static URLs (the pages render the same).
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()

    def emit(figure: str, value: Any, **extra: Any) -> None:
        print(json.dumps({"figure": figure, "value": value, "size": size, **extra}), flush=True)

    manager = User.objects.get(username="gerente")
    rep = User.objects.get(username="ana")
    colleague, _new = User.objects.get_or_create(
        username="bench-colega", defaults={"role": Role.objects.get(code="solo_lectura")}
    )
    colleague.departments.set([Department.objects.get(name="Comercial")])
    people = {"manager": manager, "rep": rep, "department": colleague}
    clients = {}
    for who, user in people.items():
        clients[who] = Client()
        clients[who].force_login(user)

    def get(who: str, url: str) -> Callable[[], Any]:
        def action() -> Any:
            response = clients[who].get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return action

    # Duplicates: before (group every visible contact per request) and after (precomputed).
    for who in ("manager", "rep"):
        emit(
            f"duplicates_old_query_{who}_ms",
            _median_ms(partial(_old_duplicate_groups, people[who]), 3),
        )
    begin = time.perf_counter()
    duplicates.refresh_duplicate_groups()
    emit("duplicates_full_rebuild_s", round(time.perf_counter() - begin, 2))
    emit("duplicate_member_rows", DuplicateMember.objects.count())
    for who in ("manager", "rep", "department"):
        emit(f"duplicates_page_{who}_ms", _median_ms(get(who, "/contacts/duplicates/")))
    twin = (
        Contact.objects.filter(owner=rep, deleted_at__isnull=True)
        .exclude(email="")
        .order_by("id")
        .first()
    )
    assert twin is not None

    def create_and_view() -> None:
        # A live e-mail twin cannot be created any more (one live contact per e-mail): it is
        # made the way legacy data, restores and undone merges leave one.
        created = services.create_contact(actor=rep, data={"first_name": "Gemela"})
        Contact.objects.filter(pk=created.pk).update(email=twin.email, updated_at=timezone.now())
        body = clients["rep"].get("/contacts/duplicates/").content.decode()
        assert "Gemela" in body or twin.email in body

    emit("duplicates_page_after_a_create_rep_ms", _median_ms(create_and_view, 3))
    begin = time.perf_counter()
    looked_at = duplicates.catch_up_duplicates()
    emit(
        "duplicates_scheduled_catch_up_ms",
        round((time.perf_counter() - begin) * 1000, 1),
        changed=looked_at,
    )

    # Lists and trash, with and without the new indexes.
    pages = {
        "list_sorted_by_updated": "/contacts/?sort=-updated",
        "list_sorted_by_updated_oldest": "/contacts/?sort=updated",
        "list_sorted_by_created": "/contacts/?sort=-created",
        "list_sorted_by_name": "/contacts/?sort=name",
        "trash_contacts": "/contacts/trash/",
        "trash_companies": "/contacts/trash/?kind=companies",
    }
    for label, url in pages.items():
        for who in ("manager", "rep", "department"):
            after = _median_ms(get(who, url))
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for index in NEW_INDEXES:
                        cursor.execute(f'DROP INDEX IF EXISTS "{index}"')
                before = _median_ms(get(who, url), 3)
                transaction.set_rollback(True)
            emit(
                f"{label}_{who}_ms", after, baseline_without_new_indexes_ms=before,
                ratio=round(after / before, 3),
            )  # fmt: skip
    # Leave the database as it was found for the next run.
    Contact.objects.filter(first_name="Gemela", owner=rep).delete()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]))
    else:
        for figure in run(
            **({"size": int(sys.argv[2])} if len(sys.argv) > 2 and sys.argv[1] == "--size" else {})
        ):
            print(json.dumps(figure), flush=True)
