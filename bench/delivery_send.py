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
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench.common import mail_figures

SCENARIO = "delivery-send"


def pg_name(size: int) -> str:
    """Name the scratch PostgreSQL database of a run."""
    return f"clientela_bench_delivery_{size}"


def run(size: int = 5000, seed: int = 42, database: str = "sqlite") -> Iterator[dict[str, Any]]:
    """Prepare a scratch database and an SMTP sink, then time both paths in a child process."""
    yield from mail_figures(
        "bench.delivery_send",
        scenario=SCENARIO,
        size=size,
        seed=seed,
        database=database,
        database_name=pg_name(size),
        from_email="Clientela <hola@bench.example.co>",
        timeout=3600,
    )


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
