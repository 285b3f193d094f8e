"""campaign-100k: a personalised campaign from snapshot to last message sent, against smtplib.

Data: `size` contacts (seeded names, cities, es/en) with marketing e-mail consent in a static
list, and the newsletter starter template (blocks, Spanish and English, personalised subject
and body). The campaign goes through its real path: `campaigns.services.sending.advance` takes
the snapshot and hands the recipients to delivery with `queue_bulk` (no bodies stored), then
delivery's `send_due` claims batches, asks the campaign's renderer for each batch's content and
sends them to a local aiosmtpd sink running in its own process.

The sending runs in **the default set-up** of docs/operations.md, the processes
`clientela.demo.processes.sending_commands()` returns — the very function `clientela serve`
starts them from: one real `clientela worker` process (django-tasks' database worker,
`CLIENTELA_DELIVERY_THREADS` sending threads — 4 by default), started and warmed up (it has run
one empty `delivery.send_due` job) before the clock starts and woken by the snapshot's queueing
as in production, and beside it the default number of `clientela sender` processes (one per
CPU core but the worker's, at least one; `CLIENTELA_SENDERS`), started and idle before the
clock starts. The snapshot itself runs in this process (in production it is the scheduler's
`campaigns.due` job in the worker), so the scheduler is not started. For experiments,
``BENCH_SENDERS=n`` runs n senders instead of the default.

Figures (one JSON line each):
1. ``snapshot_per_s``: snapshot + queueing of every recipient; baseline: ``bulk_create`` of
   the same number of bodiless message rows (the database's floor), made before the worker
   starts;
2. ``end_to_end_per_s``: snapshot start to last message sent; baseline: raw ``smtplib``
   sending the same rendered messages (their bytes, made after the run and streamed from a
   temporary file) over one connection to the same sink. Beside it: ``send_only_per_s`` (first
   to last ``sent_at``), the worker process's CPU time per message (user + system: the
   figure a shared machine's load does not distort much) and its resident memory — at start (warm, idle), the
   highest sampled during the run, at the end, and its peak (``VmHWM``) — so "flat" is
   visible; nothing of the baseline is in that process.

Run: ``python -m bench campaign-100k [--size N] [--database sqlite|postgresql]``.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
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


def _rss_mb(pid: int) -> dict[str, float]:
    """Return a process's resident memory now (VmRSS) and at its peak (VmHWM), in MB."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _sep, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = round(int(rest.split()[0]) / 1024, 1)
    return values


def _cpu_s(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bulk_baseline(size: int) -> float:
    """Time bulk_create of `size` bodiless message rows shaped like `queue_bulk`'s; drop them."""
    from email.utils import make_msgid

    from django.db import transaction

    from clientela.contacts.models import Contact
    from clientela.delivery.choices import MessageState
    from clientela.delivery.models import Message

    rows = [
        Message(
            kind="campaigns.campaign", contact_id=pk, to_address=email, language=language,
            from_address="Tienda <hola@bench.example.co>", group="bench-copy", ref=f"A:{pk}",
            message_id=make_msgid(domain="bench.example.co"), state=MessageState.HELD,
        )
        for pk, email, language in Contact.objects.values_list("pk", "email", "language")
    ][:size]  # fmt: skip
    started = time.perf_counter()
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=2000)
    seconds = time.perf_counter() - started
    Message.objects.filter(group="bench-copy").delete()
    return seconds


def _tail(path: str) -> str:
    """Return the end of a log file."""
    with open(path, encoding="utf-8", errors="replace") as log:
        return log.read()[-2000:]


def sending_set_up() -> list[list[str]]:
    """Return the sending processes to start: `clientela serve`'s (`sending_commands`).

    ``BENCH_SENDERS=n`` (an experiment) asks for n senders beside the worker instead of the
    default count; `CLIENTELA_SENDERS` is followed as `clientela serve` follows it.
    """
    from clientela.demo.processes import sending_commands

    override = os.environ.get("BENCH_SENDERS", "").strip()
    return sending_commands(int(override) if override else None)


def _start_worker(command: list[str], log_path: str) -> subprocess.Popen[bytes]:
    """Start `clientela worker` and return once it has run one (empty) send job."""
    from django_tasks import TaskResultStatus

    from clientela.core.tasks import run_scheduled
    from clientela.delivery.services import SEND_SCHEDULE

    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, stdout=log, stderr=log)
    probe = run_scheduled.enqueue(SEND_SCHEDULE)
    deadline = time.monotonic() + 120
    while probe.status != TaskResultStatus.SUCCESSFUL:
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the worker did not start: {_tail(log_path)}")
        time.sleep(0.1)
        probe.refresh()
    return worker


def _payload_file(campaign_id: int, handle: Any) -> int:
    """Render every message of the campaign as smtplib would send it into `handle`; count them."""
    from clientela.campaigns.reports import group_of
    from clientela.campaigns.services.sending import render_campaign_batch
    from clientela.delivery.models import Message
    from clientela.delivery.services.sending import build_email

    count = 0
    batch: list[Any] = []
    rows = Message.objects.filter(group=group_of(campaign_id)).order_by("id")
    for row in [*rows.iterator(chunk_size=500), None]:
        if row is not None:
            batch.append(row)
        if batch and (row is None or len(batch) == 500):
            made = render_campaign_batch(batch)
            for message in batch:
                content = made[message.pk]
                message.subject, message.html_body = content.subject, content.html
                message.text_body = content.text
                payload = build_email(message).message().as_bytes(linesep="\r\n")
                address = message.to_address.encode()
                handle.write(struct.pack(">II", len(address), len(payload)) + address + payload)
                count += 1
            batch = []
    return count


def _child(size: int, seed: int) -> None:
    import smtplib
    import tempfile

    import django

    django.setup()
    from django.conf import settings
    from django.db.models import Max, Min

    from clientela.campaigns.reports import group_of
    from clientela.campaigns.services.sending import advance
    from clientela.delivery.choices import MessageState
    from clientela.delivery.models import Message

    if os.environ.get("BENCH_DELIVERY_THREADS"):
        # An experiment: another thread count in the worker (and senders) than the default.
        os.environ["CLIENTELA_DELIVERY_THREADS"] = os.environ["BENCH_DELIVERY_THREADS"]
    campaign_id = _world(size, seed)
    bulk_s = _bulk_baseline(size)
    work = tempfile.mkdtemp(prefix="campaign-100k-")
    worker_cmd, *sender_cmds = sending_set_up()
    override = os.environ.get("BENCH_SENDERS", "").strip()
    worker = _start_worker(worker_cmd, f"{work}/worker.log")
    senders = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in sender_cmds
    ]
    if senders:
        time.sleep(5)  # their start-up (Django's imports) is not part of the figure
    senders_cpu_start = sum(_cpu_s(sender.pid) for sender in senders)
    try:
        at_start = _rss_mb(worker.pid)
        cpu_start = _cpu_s(worker.pid)
        highest = at_start["VmRSS"]
        messages = Message.objects.filter(group=group_of(campaign_id))
        waiting = messages.filter(state__in=[MessageState.QUEUED, MessageState.SENDING])

        # 1. Snapshot + queueing (the worker starts sending as soon as the first batch commits).
        started = time.perf_counter()
        advance(campaign_id)
        snapshot_s = time.perf_counter() - started
        assert messages.count() == size, messages.count()
        print(json.dumps(_figure("snapshot_per_s", size, snapshot_s, bulk_s,
                                 "bulk_create of as many bodiless rows")))  # fmt: skip

        # 2. Until the last message is sent by the worker process.
        while waiting.exists():
            if worker.poll() is not None:
                raise RuntimeError(f"the worker died: {_tail(f'{work}/worker.log')}")
            highest = max(highest, _rss_mb(worker.pid)["VmRSS"])
            time.sleep(0.2)
        end_s = time.perf_counter() - started
        at_end = _rss_mb(worker.pid)
        worker_cpu_s = _cpu_s(worker.pid) - cpu_start
        senders_cpu_s = sum(_cpu_s(sender.pid) for sender in senders) - senders_cpu_start
    finally:
        for process in [worker, *senders]:
            process.terminate()
            process.wait(timeout=60)
    sent = messages.filter(state=MessageState.SENT)
    assert sent.count() == size, sent.count()
    span = sent.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    send_s = max((span["last"] - span["first"]).total_seconds(), 1e-6)

    # The baseline: the same messages rendered afterwards, streamed from a file to smtplib.
    with tempfile.TemporaryFile(dir=work) as handle:
        assert _payload_file(campaign_id, handle) == size
        handle.seek(0)
        started = time.perf_counter()
        with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
            while header := handle.read(8):
                to_length, length = struct.unpack(">II", header)
                to = handle.read(to_length).decode()
                smtp.sendmail("hola@bench.example.co", [to], handle.read(length))
        raw_s = time.perf_counter() - started
    figure = _figure("end_to_end_per_s", size, end_s, raw_s,
                     "raw smtplib, one connection, same sink, messages rendered beforehand")  # fmt: skip
    figure["send_only_per_s"] = round(size / send_s, 1)
    figure["worker"] = "one `clientela worker` process"
    figure["senders"] = len(senders)
    figure["set_up"] = "BENCH_SENDERS" if override else "default (clientela serve's)"
    figure["threads"] = int(
        os.environ.get("CLIENTELA_DELIVERY_THREADS")
        or str(settings.CLIENTELA.get("DELIVERY_THREADS", 2))
    )
    figure["worker_cpu_ms_per_message"] = round(worker_cpu_s * 1000 / size, 3)
    if senders:
        figure["senders_cpu_ms_per_message"] = round(senders_cpu_s * 1000 / size, 3)
    figure["cpu_ms_per_message"] = round((worker_cpu_s + senders_cpu_s) * 1000 / size, 3)
    figure["worker_rss_start_mb"] = at_start["VmRSS"]
    figure["worker_rss_highest_mb"] = highest
    figure["worker_rss_end_mb"] = at_end["VmRSS"]
    figure["peak_rss_mb"] = at_end["VmHWM"]
    figure["load"] = [round(x, 2) for x in os.getloadavg()]
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
