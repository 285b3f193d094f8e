"""delivery-send: e-mails through the real worker path against raw smtplib, same SMTP sink.

Data: `size` personalised e-mails (es/en welcome template rendered per contact values with
`rendering.render_email`) queued with `delivery.services.queue_email` in one transaction, then
sent by `services.sending.send_due` (claim a batch under a lease, one SMTP connection per
batch, one recorded answer and timeline event per message) to a local aiosmtpd sink running
in its own process.

Figures (one JSON line each):
1. ``queued_per_s``: rendering + queue_email for every message; baseline: ``bulk_create`` of
   the same rows (the database's floor for storing them);
2. ``sent_per_s``: send_due until the queue is empty; baseline: raw ``smtplib`` sending the
   same rendered messages (their bytes) over one connection to the same sink.

Run: ``python -m bench delivery-send [--size N] [--database sqlite|postgresql]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SCENARIO = "delivery-send"


def pg_name(size: int) -> str:
    """Name the scratch PostgreSQL database of a run."""
    return f"clientela_bench_delivery_{size}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, timeout: float = 15.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the SMTP sink did not start on port {port}")


def run(size: int = 5000, seed: int = 42, database: str = "sqlite") -> Iterator[dict[str, Any]]:
    """Prepare a scratch database and an SMTP sink, then time both paths in a child process."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
        env.update({
            "CLIENTELA_DATA_DIR": data_dir, "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "clientela.settings",
        })  # fmt: skip
        if database == "postgresql":
            import psycopg

            name = pg_name(size)
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            env["CLIENTELA_DATABASE_URL"] = f"{PG}/{name}"
        subprocess.run(
            [sys.executable, "-m", "clientela", "migrate", "-v0"], env=env, check=True,
            capture_output=True, timeout=900,
        )  # fmt: skip
        port = _free_port()
        sink = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
             "-c", "aiosmtpd.handlers.Sink"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for(port)
            env.update({
                "CLIENTELA_EMAIL_HOST": "127.0.0.1", "CLIENTELA_EMAIL_PORT": str(port),
                "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "CLIENTELA_DEFAULT_FROM_EMAIL": "Clientela <hola@bench.example.co>",
            })  # fmt: skip
            child = subprocess.run(
                [sys.executable, "-m", "bench.delivery_send", "--child", str(size), str(seed)],
                env=env, check=True, capture_output=True, text=True, timeout=3600,
                cwd=Path(__file__).resolve().parent.parent,
            )  # fmt: skip
        finally:
            sink.terminate()
            sink.wait(timeout=10)
            if database == "postgresql":
                import psycopg

                with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{pg_name(size)}" WITH (FORCE)')
        for line in child.stdout.splitlines():
            if line.startswith("{"):
                yield {"scenario": SCENARIO, "database": database, "size": size, **json.loads(line)}


# -- the child: in-process timings -------------------------------------------------------------
SUBJECT = {"es": "Bienvenida, {{ contacto.nombre|default:'amigo' }}", "en": "Welcome, {{ contact.first_name|default('friend') }}"}  # fmt: skip
HTML = {
    "es": "<h1>Hola {{ contacto.nombre|default:'amigo' }}</h1><p>Gracias por inscribirte al "
    "webinar desde {{ contacto.ciudad|default:'tu ciudad' }}.</p><p><a href='https://example.co/c'>"
    "Confirma tu correo</a></p>",
    "en": "<h1>Hello {{ contact.first_name|default('friend') }}</h1><p>Thanks for joining the "
    "webinar from {{ contact.city|default('your city') }}.</p><p><a href='https://example.co/c'>"
    "Confirm your e-mail</a></p>",
}


def _child(size: int, seed: int) -> None:
    import random
    import smtplib

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from clientela.delivery.models import Message, new_token
    from clientela.delivery.rendering import render_email
    from clientela.delivery.services import queue_email
    from clientela.delivery.services.sending import build_email, send_due

    rng = random.Random(seed)
    names = ["Ana", "Beto", "", "Carla", "Diego", "<b>Eva</b>", "Fabián", "Gloria"]
    cities = ["Bogotá", "Medellín", "Cali", "", "Barranquilla"]
    people: list[dict[str, Any]] = [
        {
            "language": rng.choice(["es", "es", "en"]),
            "values": {
                "contacto": {
                    "nombre": (n := rng.choice(names)),
                    "ciudad": (c := rng.choice(cities)),
                },
                "contact": {"first_name": n, "city": c},
            },
            "to": f"persona{i}@example.co",
        }
        for i in range(size)
    ]

    def rendered(person: dict[str, Any]) -> Any:
        lang = person["language"]
        return render_email(subject=SUBJECT[lang], html=HTML[lang], values=person["values"])

    # 1. Queueing (render + validate + store + event) against bulk_create of the same rows.
    started = time.perf_counter()
    with transaction.atomic():
        for person in people:
            mail = rendered(person)
            queue_email(
                to=person["to"], subject=mail.subject, html=mail.html, text=mail.text,
                kind="delivery.test", language=person["language"], source="bench",
            )  # fmt: skip
    queue_s = time.perf_counter() - started
    rows = list(Message.objects.order_by("id"))
    copies = []
    for row in rows:
        row.pk = None
        row.message_id = row.message_id.replace("@", ".copy@")
        row.token = new_token()
        copies.append(row)
    started = time.perf_counter()
    with transaction.atomic():
        Message.objects.bulk_create(copies, batch_size=1000)
    bulk_s = time.perf_counter() - started
    Message.objects.filter(message_id__contains=".copy@").delete()
    print(
        json.dumps(_figure("queued_per_s", size, queue_s, bulk_s, "bulk_create of the same rows"))
    )

    # 2. Sending: the worker path against raw smtplib on one connection.
    payloads = [
        (row.to_address, build_email(row).message().as_bytes(linesep="\r\n")) for row in rows
    ]
    started = time.perf_counter()
    result = send_due(owner="bench", budget_s=3600)
    send_s = time.perf_counter() - started
    assert result["sent"] == size, result
    started = time.perf_counter()
    with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
        for to, payload in payloads:
            smtp.sendmail("hola@bench.example.co", [to], payload)
    raw_s = time.perf_counter() - started
    figure = _figure("sent_per_s", size, send_s, raw_s, "raw smtplib, one connection, same sink")
    figure["batch"] = settings.CLIENTELA["DELIVERY_BATCH"]
    print(json.dumps(figure))


def _figure(
    name: str, size: int, seconds: float, baseline_s: float, baseline: str
) -> dict[str, Any]:
    value = size / seconds
    base = size / baseline_s
    return {
        "figure": name, "unit": "messages/s", "value": round(value, 1),
        "baseline": baseline, "baseline_value": round(base, 1), "ratio": round(value / base, 3),
    }  # fmt: skip


if __name__ == "__main__" and len(sys.argv) >= 4 and sys.argv[1] == "--child":
    _child(int(sys.argv[2]), int(sys.argv[3]))
