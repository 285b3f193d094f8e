"""`import-1m`: a deterministic contacts CSV through the real import path vs the database's bulk load.

Both sides run in the same child process against one fresh database (a temporary SQLite file,
or a PostgreSQL database created for the run and dropped after):

(a) the real import path: `start_import` (store the upload, detect format and preset) and the
    resumable runner with its default batch size, validation and dedupe included;
(b) the baseline: the rows the import produced, already in their final column form (contacts
    and their tag links), loaded back into the same tables with the same indexes after a
    TRUNCATE, with the database's own bulk path: PostgreSQL `COPY`, SQLite `executemany`
    in one transaction.

`run()` returns one figure: import seconds, baseline seconds and their ratio (target ≤ 3).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCENARIO = "import-1m"
POSTGRES_URL = os.environ.get("CLIENTELA_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parent.parent

FIRST_NAMES = (
    "María", "José", "Juan", "Ana", "Luis", "Carlos", "Andrés", "Camila", "Valentina", "Santiago",
    "Sofía", "Daniela", "Alejandro", "Laura", "Diego", "Natalia", "Felipe", "Paula", "Sebastián",
    "Mariana", "Julián", "Catalina", "Jorge", "Gabriela", "Ricardo", "Isabella", "Manuel",
    "Carolina", "Óscar", "Lucía", "Miguel Ángel", "Juan Pablo", "Ángela", "Héctor", "Mónica",
    "Iván", "Luz Marina", "Esteban", "Adriana", "Nicolás",
)  # fmt: skip
LAST_NAMES = (
    "Gómez", "Rodríguez", "Martínez", "López", "García", "Hernández", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Díaz", "Vargas", "Moreno", "Rojas", "Jiménez", "Muñoz", "Castro",
    "Ortiz", "Restrepo", "Ospina", "Zapata", "Cárdenas", "Quintero", "Londoño", "Peña",
    "Gutiérrez", "Ruiz", "Álvarez", "Mejía", "Salazar", "Valencia", "Arango", "Montoya", "Suárez",
    "Herrera", "Castaño", "Giraldo", "Aguirre", "Ríos", "Ibáñez",
)  # fmt: skip
CITIES = (
    "Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Bucaramanga", "Pereira",
    "Manizales", "Cúcuta", "Santa Marta", "Ibagué", "Villavicencio", "Pasto", "Montería", "Neiva",
)  # fmt: skip
TAGS = (
    "VIP", "Feria 2025", "Webinar Florida", "Lote Florida", "Inversionista", "Referido",
    "Newsletter", "Cliente recurrente", "Interesado USD", "Visita oficina",
)  # fmt: skip
SOURCES = (
    "Facebook", "Instagram", "Google Ads", "Sitio web", "Referido", "WhatsApp", "Feria",
    "Llamada", "Formulario web",
)  # fmt: skip
DOMAINS = ("gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "empresa.com.co", "correo.co")
# Colombian mobile prefixes (operators' 3xx ranges) that libphonenumber accepts.
MOBILE_PREFIXES = ("300", "301", "302", "304", "310", "311", "312", "313", "314", "315", "316",
                   "317", "318", "319", "320", "321", "322", "323", "350", "351")  # fmt: skip
COMPANY_WORDS = (
    "Inmobiliaria", "Constructora", "Inversiones", "Comercializadora", "Distribuidora",
    "Grupo", "Servicios", "Consultores", "Agencia", "Tienda",
)  # fmt: skip
HEADER = (
    "nombre", "apellidos", "correo", "celular", "empresa", "ciudad", "etiquetas", "fuente",
    "cumpleaños",
)  # fmt: skip


def _ascii(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def write_csv(path: Path, size: int, seed: int) -> None:
    """Write the deterministic contacts file (UTF-8, `;`, dd/mm/aaaa birthdays)."""
    rng = random.Random(seed)
    companies = [
        f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST_NAMES)} {n} S.A.S." for n in range(2000)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(size):
            first = rng.choice(FIRST_NAMES)
            last = f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = f"{_ascii(first)}.{_ascii(last)}{i}@{rng.choice(DOMAINS)}"
            digits = f"{rng.choice(MOBILE_PREFIXES)}{i % 10_000_000:07d}"
            style = i % 3
            phone = (
                f"{digits[:3]} {digits[3:6]} {digits[6:]}"
                if style == 0
                else f"+57 {digits}"
                if style == 1
                else f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            )
            company = rng.choice(companies) if rng.random() < 0.3 else ""
            tags = ", ".join(rng.sample(TAGS, rng.choice((0, 1, 1, 2))))
            birthday = (
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}"
                if rng.random() < 0.5
                else ""
            )
            writer.writerow(
                (first, last, email, phone, company, rng.choice(CITIES), tags,
                 rng.choice(SOURCES), birthday)
            )  # fmt: skip


# -- child process: one fresh database, Django configured for it ---------------------------


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _child(size: int, seed: int, database: str) -> list[dict[str, Any]]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from clientela.accounts.models import Role, User
    from clientela.contacts.importing.bulk import SQLITE_CACHE_KIB
    from clientela.contacts.importing.jobs import start_import
    from clientela.contacts.importing.runner import run_import
    from clientela.contacts.models import Contact

    call_command("migrate", verbosity=0)
    admin = User.objects.create_user(
        username="bench", email="bench@example.co", role=Role.objects.get(code="administrador")
    )
    work = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    source = work / "contactos.csv"
    write_csv(source, size, seed)

    started, cpu = time.perf_counter(), _cpu()
    job = start_import(actor=admin, upload=source, filename="contactos.csv", via="cli")
    result = run_import(job.pk)
    import_seconds = time.perf_counter() - started
    import_cpu = _cpu() - cpu
    assert result is not None and result.finished
    created = Contact.objects.count()

    through = Contact.tags.through._meta.db_table
    contacts = Contact._meta.db_table
    tables = [contacts, through]
    if connection.vendor == "postgresql":
        dumps: dict[str, bytes] = {}
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for table in tables:
                buffer = io.BytesIO()
                with raw.copy(f"COPY {table} TO STDOUT") as copy:
                    for chunk in copy:
                        buffer.write(chunk)
                dumps[table] = buffer.getvalue()
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
            cursor.execute("CHECKPOINT")
        started, cpu = time.perf_counter(), _cpu()
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            for table in tables:
                with raw.copy(f"COPY {table} FROM STDIN") as copy:
                    data = dumps[table]
                    for offset in range(0, len(data), 1 << 20):
                        copy.write(data[offset : offset + (1 << 20)])
        baseline_seconds = time.perf_counter() - started
        baseline_cpu = _cpu() - cpu
        baseline = "PostgreSQL COPY"
    else:
        rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT * FROM {table}")
                columns = [c[0] for c in cursor.description]
                rows[table] = (columns, cursor.fetchall())
            for table in reversed(tables):
                cursor.execute(f"DELETE FROM {table}")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            # The same page cache the import runs with (see importing.bulk.bulk_session).
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        started, cpu = time.perf_counter(), _cpu()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in tables:
                columns, values = rows[table]
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    values,
                )
        baseline_seconds = time.perf_counter() - started
        baseline_cpu = _cpu() - cpu
        baseline = "SQLite executemany"
    reloaded = Contact.objects.count()
    assert reloaded == created, (reloaded, created)
    return [
        {
            "scenario": SCENARIO,
            "figure": "import_seconds",
            "value": round(import_seconds, 6),
            "unit": "s",
            "baseline": baseline,
            "baseline_value": round(baseline_seconds, 6),
            "ratio": round(import_seconds / baseline_seconds, 3),
            "size": size,
            "database": database,
            "created": created,
            "rejected": result.rejected,
            # CPU seconds of this process and its cleaning workers (the database server's own
            # CPU is not included for PostgreSQL); a load-independent view of the same work.
            "cpu_seconds": round(import_cpu, 3),
            "baseline_cpu_seconds": round(baseline_cpu, 3),
        }
    ]


# -- parent: make the database, run the child, clean up ------------------------------------


def _admin_connection() -> Any:
    import psycopg

    return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True)


def run(size: int, seed: int = 42, database: str = "sqlite") -> list[dict[str, Any]]:
    """Run the scenario at `size` rows on "sqlite" or "postgresql"; returns the figures."""
    if database not in {"sqlite", "postgresql"}:
        raise ValueError(f"unknown database {database!r}")
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-data-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
        **os.environ,
        "CLIENTELA_TESTING": "0",
        "CLIENTELA_DATA_DIR": str(data_dir),
        "CLIENTELA_SECRET_KEY": "bench-only-not-secret",
    }
    env.pop("CLIENTELA_TEST_DATABASE_URL", None)
    name = f"clientela_bench_import_{os.getpid()}"
    if database == "postgresql":
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["CLIENTELA_DATABASE_URL"] = f"{POSTGRES_URL}/{name}"
    else:
        env["CLIENTELA_DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.import_1m", "--child", str(size), str(seed), database],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"import-1m child failed:\n{completed.stderr[-4000:]}")
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        return [json.loads(line) for line in lines]
    finally:
        if database == "postgresql":
            with _admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str]) -> None:
    """`python -m bench.import_1m [SIZE [SEED [DATABASE]]]` prints one JSON line per figure."""
    if argv and argv[0] == "--child":
        size, seed, database = int(argv[1]), int(argv[2]), argv[3]
        for figure in _child(size, seed, database):
            print(json.dumps(figure), flush=True)
        return
    size = int(argv[0]) if argv else 1_000_000
    seed = int(argv[1]) if len(argv) > 1 else 42
    databases = [argv[2]] if len(argv) > 2 else ["sqlite", "postgresql"]
    for database in databases:
        for figure in run(size, seed, database):
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
