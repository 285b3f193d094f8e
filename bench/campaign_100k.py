"""campaign-100k: a personalised campaign from snapshot to last message sent, against smtplib.

Data: `size` contacts (seeded names, cities, es/en) with marketing e-mail consent in a static
list, and the newsletter starter template (blocks, Spanish and English, personalised subject
and body). The campaign goes through its real path: `campaigns.services.sending.advance` takes
the snapshot and hands the recipients to delivery with `queue_bulk` (no bodies stored), then
delivery's `send_due` claims batches, asks the campaign's renderer for each batch's content and
sends them to a local aiosmtpd sink running in its own process.

Figures (one JSON line each):
1. ``snapshot_per_s``: snapshot + queueing of every recipient; baseline: ``bulk_create`` of
   the same number of bodiless message rows (the database's floor);
2. ``end_to_end_per_s``: snapshot to last message sent; baseline: raw ``smtplib`` sending the
   same rendered messages (their bytes, made beforehand) over one connection to the same sink.
   The peak resident memory of the process is reported beside it.

Run: ``python -m bench campaign-100k [--size N] [--database sqlite|postgresql]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench.common import mail_figures

SCENARIO = "campaign-100k"


def pg_name(size: int) -> str:
    """Name the scratch PostgreSQL database of a run."""
    return f"clientela_bench_campaign_{size}"


def run(size: int = 100_000, seed: int = 42, database: str = "sqlite") -> Iterator[dict[str, Any]]:
    """Prepare a scratch database and an SMTP sink, then time the campaign in a child process."""
    yield from mail_figures(
        "bench.campaign_100k",
        scenario=SCENARIO,
        size=size,
        seed=seed,
        database=database,
        database_name=pg_name(size),
        from_email="Tienda <hola@bench.example.co>",
        timeout=7200,
    )


# -- the child: in-process timings -------------------------------------------------------------


def _world(size: int, seed: int) -> int:
    """Create the contacts, their consents, the list and a sending campaign; return its id."""
    import random

    from django.db import transaction

    from clientela.campaigns.choices import CampaignState
    from clientela.campaigns.models import Campaign, EmailTemplate, Variant
    from clientela.campaigns.starters import STARTERS
    from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
    from clientela.contacts.models import Consent, Contact
    from clientela.segments.choices import SegmentKind
    from clientela.segments.models import Membership, Segment

    rng = random.Random(seed)
    names = ["Ana", "Beto", "", "Carla", "Diego", "Eva", "Fabián", "Gloria", "Héctor"]
    cities = ["Bogotá", "Medellín", "Cali", "", "Barranquilla"]
    domains = ["example.co", "correo.example", "mail.example.com", "empresa.example.org"]
    with transaction.atomic():
        Contact.objects.bulk_create(
            (
                Contact(
                    first_name=rng.choice(names),
                    last_name="Gómez",
                    city=rng.choice(cities),
                    email=f"persona{i}@{rng.choice(domains)}",
                    language=rng.choice(["es", "es", "en"]),
                )
                for i in range(size)
            ),
            batch_size=2000,
        )
        ids = list(Contact.objects.order_by("id").values_list("pk", flat=True))
        Consent.objects.bulk_create(
            (
                Consent(
                    contact_id=pk,
                    channel=ConsentChannel.EMAIL,
                    purpose=ConsentPurpose.MARKETING,
                    status=ConsentStatus.GRANTED,
                )
                for pk in ids
            ),
            batch_size=2000,
        )
        segment = Segment.objects.create(name="Boletín", kind=SegmentKind.STATIC)
        Membership.objects.bulk_create(
            (Membership(segment=segment, contact_id=pk) for pk in ids), batch_size=2000
        )
        newsletter = next(s for s in STARTERS if s.code == "newsletter")
        template = EmailTemplate.objects.create(
            name="Boletín", subject_es=newsletter.subject_es, subject_en=newsletter.subject_en,
            blocks_es=newsletter.blocks_es, blocks_en=newsletter.blocks_en,
        )  # fmt: skip
        campaign = Campaign.objects.create(
            name="Boletín", template=template, from_name="Tienda", state=CampaignState.SENDING
        )
        campaign.segments.set([segment])
        Variant.objects.create(campaign=campaign, label="A")
    return int(campaign.pk)


def _child(size: int, seed: int) -> None:
    import resource
    import smtplib

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from clientela.campaigns.reports import group_of
    from clientela.campaigns.services.sending import advance, render_campaign_batch
    from clientela.delivery.choices import MessageState
    from clientela.delivery.models import Message
    from clientela.delivery.services.sending import build_email, send_due

    campaign_id = _world(size, seed)

    # 1. Snapshot + queueing, against bulk_create of as many bodiless rows.
    started = time.perf_counter()
    advance(campaign_id)
    snapshot_s = time.perf_counter() - started
    messages = Message.objects.filter(group=group_of(campaign_id))
    assert messages.count() == size, messages.count()
    copies = []
    for row in messages.order_by("id").iterator(chunk_size=2000):
        row.pk = None
        row.group = "bench-copy"
        row.message_id = row.message_id.replace("@", ".copy@")
        token = next((f for f in Message._meta.fields if f.name == "token"), None)
        if token is not None:  # delivery's per-message token is unique too
            setattr(row, "token", token.get_default())  # noqa: B010 - not on every installation
        copies.append(row)
    started = time.perf_counter()
    with transaction.atomic():
        Message.objects.bulk_create(copies, batch_size=2000)
    bulk_s = time.perf_counter() - started
    Message.objects.filter(group="bench-copy").delete()
    print(json.dumps(_figure("snapshot_per_s", size, snapshot_s, bulk_s,
                             "bulk_create of the same bodiless rows")))  # fmt: skip
    del copies

    # The baseline's payloads: the same messages rendered by the campaign's renderer beforehand.
    payloads: list[tuple[str, bytes]] = []
    rows = list(messages.order_by("id"))
    for start in range(0, len(rows), 500):
        batch = rows[start : start + 500]
        made = render_campaign_batch(batch)
        for row in batch:
            content = made[row.pk]
            row.subject, row.html_body, row.text_body = content.subject, content.html, content.text
            payloads.append((row.to_address, build_email(row).message().as_bytes(linesep="\r\n")))
    del rows

    # 2. Sending through the worker path (rendering at send time included).
    started = time.perf_counter()
    sent = 0
    while True:
        result = send_due(owner="bench", budget_s=3600)
        sent += result["sent"]
        if not Message.objects.filter(
            group=group_of(campaign_id), state=MessageState.QUEUED
        ).exists():
            break
    send_s = time.perf_counter() - started
    assert sent == size, sent
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
        for to, payload in payloads:
            smtp.sendmail("hola@bench.example.co", [to], payload)
    raw_s = time.perf_counter() - started
    figure = _figure("end_to_end_per_s", size, snapshot_s + send_s, raw_s,
                     "raw smtplib, one connection, same sink, messages rendered beforehand")  # fmt: skip
    figure["send_only_per_s"] = round(size / send_s, 1)
    figure["peak_rss_mb"] = round(peak_kb / 1024, 1)
    figure["threads"] = settings.CLIENTELA.get("DELIVERY_THREADS")
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
