"""segment-1m: a 5-condition segment at 1,000,000 contacts (PostgreSQL) and 100,000 (SQLite).

Data, deterministic for (size, seed) and loaded with COPY (PostgreSQL) or executemany
(SQLite) after ``clientela migrate`` and ``clientela seed --contacts 0`` (the demo users and
tags): `size` contacts (0.5 % in the trash, 60 % with a birthday, owned a quarter each by
ana, carlos, luisa and gerente); five tags (VIP on ~5 %, Inversionista 20 %, Webinar Florida
10 %, Referido 8 %, Recontactar 3 %); an e-mail marketing consent history (60 % granted when
created, 15 % of those withdrawn later and a fifth of these granted again, 10 % denied, plus
WhatsApp decisions as noise); about three orders per contact over the three years before
AS_OF (60 % of the contacts are customers, ~5 orders each); and one customer-value snapshot
computed by the real service (``compute_customer_value_snapshot(with_clv=False)``: the RFM
segment of every customer; CLV is not asked for by any condition here).

The segment is the issue's five conditions with "visited a URL in the last 30 days" replaced by
"birthday in the next 30 days" (tracking events do not exist yet): tag has VIP, e-mail
marketing consent granted, at least one purchase in the last 365 days, RFM segment in
at_risk / cant_lose / hibernating, birthday in the next 30 days. "Purchased in the last 12
months" is written ``purchase_count gte 1 (days 365)``: it compiles to one EXISTS over the
(contact, day) index, where ``last_purchase in_last_days 365`` needs the latest order day.

Figures (the clock is AS_OF noon in-process; the server uses the real clock):

1. ``count_ms``: ``members(tree, ctx).count()`` against a hand-written SQL count for the same
   question, alternating, median of ROUNDS (targets: ≤ 1 s and ≤ 3× the SQL);
2. ``incremental_refresh_ms``: 1,000 contacts edited through ``contacts.services.update_contact``
   (VIP tag and birthday toggled; the timeline listener queues them), then
   ``segments.services.drain_pending`` timed with the 5 bench segments alive (the ready-made
   ones soft-deleted in a rolled-back transaction) and again with every ready-made segment
   too (target ≤ 1 s); baseline: recomputing the 5 segments in full with ``refresh_segment``;
3. ``full_refresh_ms``: ``refresh_segment`` of the bench segment (baseline: the hand-written
   SQL materialising its members with CREATE TEMP TABLE AS);
4. through the production server (granian), for the manager and a rep, p95 of 20 (target
   ≤ 500 ms for the builder's live count): ``builder_count_p95_ms``, POST
   ``/segments/preview/`` with the definition (what the builder asks while the marketer
   edits: the count and the first members) as the manager and the marketer (the personas who
   may build segments); ``api_count_p95_ms``, GET
   ``/api/v1/segments/<id>/count``; ``api_list_p95_ms``, GET
   ``/api/v1/contacts?segment=<id>&limit=50`` (a page of members and the capped count);
   baseline: the hand-written SQL count's p95;
5. SQLite at 100,000 contacts: figure 1 again (target ≤ 1 s).

Run: ``python -m bench segment-1m [--size N] [--database sqlite|postgresql]``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
AS_OF = dt.date(2026, 12, 1)
DAYS = 3 * 365
CUSTOMER_SHARE = 0.6
ORDERS_PER_CUSTOMER = 5
CHUNK = 500_000
ROUNDS = 5
EDITS = 1000
REQUESTS = 20
TARGET_MS = {"count": 1000, "incremental": 1000, "api": 500}
# (name as the seed creates it, share of contacts)
TAGS = (
    ("VIP", 0.05),
    ("Inversionista", 0.20),
    ("Webinar Florida", 0.10),
    ("Referido", 0.08),
    ("Recontactar", 0.03),
)
RFM_GROUPS = ["at_risk", "cant_lose", "hibernating"]
BIRTHDAY_DAYS = 30
# Web behaviour: half the contacts browse the company's site, ~20 events each (10 per contact
# on average: 10,000,000 at 1M), recent days more likely; a sixth of the page views are of lots.
EVENTS_PER_VISITOR = 20
VISITOR_SHARE = 0.5
RECENCY_DAYS = 180
SITE = "https://www.inmobiliaria.example.co"
PATHS = (("/", 0.30), ("/lotes", 0.10), ("/lotes/florida", 0.07), ("/proyectos", 0.18),
         ("/blog/invertir-en-lotes", 0.10), ("/contacto", 0.10), ("/webinar", 0.15))  # fmt: skip
CTAS = ("Agendar cita", "Ver lotes", "Descargar brochure")
VISITED = "/lotes"
VISITED_DAYS = 30
DEFINITION: dict[str, Any] = {
    "all": [
        {"field": "tag", "op": "has", "value": "vip"},
        {"field": "consent", "op": "yes", "channel": "email", "purpose": "marketing"},
        {"field": "purchase_count", "op": "gte", "value": 1, "days": 365},
        {"field": "visited_url", "op": "contains", "value": VISITED, "days": VISITED_DAYS},
        {"field": "rfm_segment", "op": "in", "value": RFM_GROUPS},
    ]
}
# The other dynamic segments of the installation (about five in all with the one above).
OTHER_SEGMENTS: dict[str, dict[str, Any]] = {
    "bench_vip_consent": {
        "all": [
            {"field": "tag", "op": "has", "value": "vip"},
            {"field": "consent", "op": "yes", "channel": "email", "purpose": "marketing"},
        ]
    },
    "bench_bought_12m": {"all": [{"field": "last_purchase", "op": "in_last_days", "value": 365}]},
    "bench_at_risk": {"all": [{"field": "rfm_segment", "op": "in", "value": RFM_GROUPS[:2]}]},
    "bench_birthday_bogota": {
        "all": [
            {"field": "birthday", "op": "in_next_days", "value": BIRTHDAY_DAYS},
            {"field": "city", "op": "is", "value": "Bogotá"},
        ]
    },
}
BENCH_CODE = "bench_five_conditions"


# --- The hand-written SQL for the same question -----------------------------------------------


def baseline_sql(vendor: str, today: dt.date, snapshot_id: int, select: str = "count(*)") -> str:
    """Return the same question as DEFINITION written by hand (operands inlined: all ours).

    "In the last N days" runs from the first instant of the first day to the first instant of
    tomorrow in the company's time zone, as the conditions count days.
    """
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    first = dt.datetime.combine(today - dt.timedelta(days=VISITED_DAYS), dt.time.min, zone)
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, zone)

    def moment(value: dt.datetime) -> str:
        if vendor == "postgresql":
            return f"'{value.isoformat()}'"
        return f"'{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}'"  # how Django stores it there

    since = (today - dt.timedelta(days=365)).isoformat()
    groups = ", ".join(f"'{g}'" for g in RFM_GROUPS)
    return f"""
SELECT {select} FROM contacts_contact c
WHERE c.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM contacts_contact_tags ct JOIN contacts_tag t ON t.id = ct.tag_id
              WHERE ct.contact_id = c.id AND lower(t.name) = 'vip')
  AND (SELECT s.status FROM contacts_consent s
       WHERE s.contact_id = c.id AND s.channel = 'email' AND s.purpose = 'marketing'
       ORDER BY s.recorded_at DESC, s.id DESC LIMIT 1) = 'granted'
  AND EXISTS (SELECT 1 FROM orders_order o WHERE o.contact_id = c.id
              AND o.ordered_on >= '{since}' AND o.ordered_on <= '{today.isoformat()}')
  AND EXISTS (SELECT 1 FROM tracking_event e WHERE e.contact_id = c.id AND e.kind = 1
              AND e.occurred_at >= {moment(first)} AND e.occurred_at < {moment(tomorrow)}
              AND lower(e.url) LIKE '%{VISITED}%')
  AND EXISTS (SELECT 1 FROM analytics_customervalue v WHERE v.snapshot_id = {int(snapshot_id)}
              AND v.contact_id = c.id AND v.segment IN ({groups}))
"""


# --- Data ---------------------------------------------------------------------------------------


def _env(database: str, size: int, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({
        "CLIENTELA_DATA_DIR": str(data_dir), "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40,
        "CLIENTELA_API_RATE": "100000000/m", "DJANGO_SETTINGS_MODULE": "clientela.settings",
    })  # fmt: skip
    if database == "postgresql":
        env["CLIENTELA_DATABASE_URL"] = f"{PG}/{pg_name(size)}"
    return env


def pg_name(size: int) -> str:
    """Return the PostgreSQL database of this size (kept between runs)."""
    return f"clientela_bench_seg_{size}"


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "clientela", *args], env=env, check=True, capture_output=True,
        text=True, timeout=7200,
    ).stdout  # fmt: skip


def _utc(days: np.ndarray, seconds: np.ndarray) -> Any:
    """'YYYY-MM-DD HH:MM:SS' text (UTC) of day offsets from AS_OF - DAYS plus seconds."""
    import polars as pl

    start = np.datetime64(AS_OF - dt.timedelta(days=DAYS), "ms")
    moments = (
        start
        + days.astype("timedelta64[D]")
        + seconds.astype("timedelta64[s]").astype("timedelta64[ms]")
    )
    return pl.Series(moments).dt.strftime("%Y-%m-%d %H:%M:%S")


def generate(size: int, seed: int, found: dict[str, Any]) -> dict[str, Any]:
    """Every table's rows as Polars frames; deterministic for (size, seed).

    `found` holds what the installation already has: the demo users' and tags' ids, the
    tracked site's id and the highest visitor id.
    """
    users, tags = found["users"], found["tags"]
    import polars as pl

    from clientela.demo import vocabulary as vocab

    rng = np.random.default_rng(seed)
    ids = np.arange(1, size + 1)
    created_day = rng.integers(0, DAYS - 30, size)
    created = _utc(created_day, rng.integers(0, 86400, size))
    first = np.array(vocab.FIRST_NAMES)[rng.integers(0, len(vocab.FIRST_NAMES), size)]
    last = np.array(vocab.LAST_NAMES)[rng.integers(0, len(vocab.LAST_NAMES), size)]
    cities = [c for c, _w in vocab.CITIES]
    weights = np.array([w for _c, w in vocab.CITIES], dtype=float)
    city = np.array(cities)[rng.choice(len(cities), size, p=weights / weights.sum())]
    has_birthday = rng.random(size) < 0.6
    born = np.datetime64("1950-01-01") + rng.integers(0, 365 * 55, size).astype("timedelta64[D]")
    owners = np.array([users[u] for u in ("ana", "carlos", "luisa", "gerente")])[ids % 4]
    deleted = rng.random(size) < 0.005
    nothing = pl.Series([None] * size, dtype=pl.String)
    stages = np.array(["subscriber", "lead", "mql", "sql", "opportunity", "customer"])
    contacts = pl.DataFrame({
        "id": ids,
        "first_name": first,
        "last_name": last,
        "email": pl.Series(first).str.to_lowercase() + "." + pl.Series(ids).cast(pl.String) + "@example.co",
        "phone": "",
        "city": city,
        "country": "CO",
        "birthday": pl.Series(born).dt.strftime("%Y-%m-%d").zip_with(pl.Series(has_birthday), nothing),
        "language": "es",
        "lifecycle_stage": stages[rng.integers(0, len(stages), size)],
        "lead_status": "",
        "source": "",
        "owner_id": owners,
        "created_at": created,
        "updated_at": created,
        "deleted_at": created.zip_with(pl.Series(deleted), nothing),
        "search_text": pl.Series(first).str.to_lowercase() + " " + pl.Series(last).str.to_lowercase(),
        "created_via": "seed",
        "custom": "{}",
        "version": 1,
    })  # fmt: skip
    # Tags: independent draws per tag.
    tag_parts = []
    for name, share in TAGS:
        chosen = ids[rng.random(size) < share]
        tag_parts.append(
            pl.DataFrame({"contact_id": chosen, "tag_id": np.full(len(chosen), tags[name])})
        )
    contact_tags = pl.concat(tag_parts).sort(["contact_id", "tag_id"])
    # Consent history, e-mail marketing: granted at creation (60 %), withdrawn later (15 % of
    # those), granted again (a fifth of the withdrawals); 10 % denied; WhatsApp as noise.
    draw = rng.random(size)
    granted = draw < 0.6
    denied = (draw >= 0.6) & (draw < 0.7)
    withdrawn = granted & (rng.random(size) < 0.15)
    regranted = withdrawn & (rng.random(size) < 0.2)
    later = np.minimum(created_day + rng.integers(1, 400, size), DAYS - 1)
    again = np.minimum(later + rng.integers(1, 200, size), DAYS)
    noise = rng.random(size) < 0.2
    seconds = rng.integers(0, 86400, size)
    parts = []
    for mask, status, day, channel in (
        (granted, "granted", created_day, "email"),
        (denied, "denied", created_day, "email"),
        (withdrawn, "withdrawn", later, "email"),
        (regranted, "granted", again, "email"),
        (noise, "granted", created_day, "whatsapp"),
    ):
        parts.append(pl.DataFrame({
            "contact_id": ids[mask], "channel": channel, "purpose": "marketing", "status": status,
            "recorded_at": _utc(day[mask], seconds[mask]), "source": "bench", "proof": "",
        }))  # fmt: skip
    consents = pl.concat(parts).sort(["contact_id", "recorded_at"])
    # Orders: 60 % of the contacts buy, ~5 orders each (gamma-mixed Poisson), from a first day on.
    buyers = ids[rng.random(size) < CUSTOMER_SHARE]
    first_day = rng.integers(0, DAYS - 1, len(buyers))
    rates = rng.gamma(1.5, (ORDERS_PER_CUSTOMER - 1) / 1.5, len(buyers))
    active = (DAYS - first_day) / DAYS
    counts = 1 + rng.poisson(rates * active / max(active.mean(), 1e-9))
    who = np.repeat(np.arange(len(buyers)), counts)
    is_first = np.r_[True, who[1:] != who[:-1]]
    start = first_day[who]
    day = np.where(
        is_first, start, start + (rng.random(len(who)) * (DAYS - start)).astype(np.int64)
    )
    typical = rng.lognormal(np.log(150_000), 0.5, len(buyers))[who]
    amount = np.round(rng.gamma(4.0, typical / 4.0) / 100) * 100 + 100
    # Noon in Bogotá (UTC-5) is 17:00 UTC, the same calendar day.
    ordered_at = _utc(day, np.full(len(day), 17 * 3600))
    orders = pl.DataFrame({
        "contact_id": buyers[who], "ordered_at": ordered_at, "ordered_on": ordered_at.str.slice(0, 10),
        "amount": amount, "currency": "COP", "exchange_rate": 1, "amount_company_currency": amount,
        "channel": np.where(is_first, "facebook", "walk_in"), "source_system": "", "external_id": "",
        "note": "", "created_via": "seed", "created_at": ordered_at, "updated_at": ordered_at,
        "version": 1,
    })  # fmt: skip
    visitors, events = _web_behaviour(rng, ids, found["site"], found["visitor_offset"])
    return {
        "contacts_contact": contacts,
        "contacts_contact_tags": contact_tags,
        "contacts_consent": consents,
        "orders_order": orders,
        "tracking_visitor": visitors,
        "tracking_event": events,
    }


def _web_behaviour(rng: Any, ids: np.ndarray, site: int, offset: int) -> tuple[Any, Any]:
    """Return the site's identified visitors (one per browsing contact) and their events."""
    import polars as pl

    browsing = ids[rng.random(len(ids)) < VISITOR_SHARE]
    visitor_ids = np.arange(offset + 1, offset + 1 + len(browsing))
    counts = 1 + rng.poisson(EVENTS_PER_VISITOR - 1, len(browsing))
    who = np.repeat(np.arange(len(browsing)), counts)
    total = len(who)
    back = np.minimum(rng.exponential(RECENCY_DAYS, total).astype(np.int64), DAYS - 1)
    moment = _utc(DAYS - back, rng.integers(0, 86400, total))
    paths = np.array([p for p, _w in PATHS])
    weights = np.array([w for _p, w in PATHS])
    path = paths[rng.choice(len(paths), total, p=weights / weights.sum())]
    click = rng.random(total) < 0.15
    cta = np.where(click, np.array(CTAS)[rng.integers(0, len(CTAS), total)], "")
    first_seen = pl.DataFrame({"who": who, "at": moment}).group_by("who").agg(
        pl.col("at").min().alias("first"), pl.col("at").max().alias("last")
    ).sort("who")  # fmt: skip
    visitors = pl.DataFrame({
        "id": visitor_ids, "key": [f"{n:032x}" for n in visitor_ids], "contact_id": browsing,
        "first_seen": first_seen["first"], "last_seen": first_seen["last"],
        "identified_at": first_seen["first"],
    })  # fmt: skip
    events = pl.DataFrame({
        "site_id": site, "visitor_id": visitor_ids[who], "contact_id": browsing[who],
        "kind": np.where(click, 2, 1), "path": path, "referrer": "", "cta": cta, "title": "",
        "occurred_at": moment, "received_at": moment,
    }).with_columns((pl.lit(SITE) + pl.col("path")).alias("url"))  # fmt: skip
    return visitors, events


TIMESTAMPS = {
    "created_at", "updated_at", "deleted_at", "recorded_at", "ordered_at", "first_seen",
    "last_seen", "identified_at", "occurred_at", "received_at",
}  # fmt: skip


LOOKUPS = f"""
import django, json
django.setup()
from django.db.models import Max
from clientela.accounts.models import User
from clientela.contacts.models import Tag
from clientela.tracking.models import TrackedSite, Visitor
site = TrackedSite.objects.filter(name="Bench").first() or TrackedSite.objects.create(
    name="Bench", allowed_origins="{SITE}")
print(json.dumps({{"users": dict(User.objects.values_list("username", "id")),
                  "tags": dict(Tag.objects.values_list("name", "id")), "site": site.pk,
                  "visitor_offset": Visitor.objects.aggregate(m=Max("id"))["m"] or 0}}))
"""


def _lookups(env: dict[str, str]) -> dict[str, Any]:
    """Return the demo users' and tags' ids, the tracked site and the highest visitor id.

    Read (and the site created) through Django in a child process.
    """
    out = subprocess.run(
        [sys.executable, "-c", LOOKUPS], env=env, check=True, capture_output=True, text=True
    ).stdout
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def _pg_ready(size: int) -> bool:
    """Whether the PostgreSQL database already holds this size and a finished snapshot."""
    import psycopg

    try:
        with psycopg.connect(f"{PG}/{pg_name(size)}") as db:
            row = db.execute(
                "SELECT (SELECT count(*) FROM contacts_contact WHERE created_via = 'seed'), "
                "(SELECT count(*) FROM analytics_valuesnapshot WHERE state = 'done')"
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0] >= size and row[1])


def _load_postgresql(size: int, seed: int, env: dict[str, str]) -> None:
    """Create the database, migrate, add the demo users and tags, COPY every table in."""
    import psycopg

    from bench import rfm_1m

    name = pg_name(size)
    rfm_1m._fresh_database(name, env)
    _manage(env, "seed", "--contacts", "0")
    frames = generate(size, seed, _lookups(env))
    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        indexes = rfm_1m._drop_indexes(conn, list(frames))
        for table, frame in frames.items():
            import polars as pl

            frame = frame.with_columns(
                [pl.col(c) + "+00" for c in frame.columns if c in TIMESTAMPS]
            )
            fill = rfm_1m._fillers(conn, table, set(frame.columns) | {"id"})
            frame = frame.with_columns([pl.lit(v).alias(k) for k, v in fill.items()])
            for offset in range(0, frame.height, CHUNK):
                buffer = io.BytesIO()
                frame.slice(offset, CHUNK).write_csv(buffer, include_header=False)
                rfm_1m._copy(conn, table, list(frame.columns), buffer.getvalue())
        for statement in indexes:
            conn.execute(statement)
        for table in ("contacts_contact", "tracking_visitor"):
            conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("VACUUM ANALYZE")


def _sqlite_fillers(db: sqlite3.Connection, table: str, given: set[str]) -> dict[str, Any]:
    values = {"bool": 0, "integer": 1, "bigint": 1, "datetime": "2026-01-01 00:00:00",
              "date": "2026-01-01", "real": 0.0, "decimal": 0}  # fmt: skip
    fill: dict[str, Any] = {}
    for _cid, column, kind, notnull, default, pk in db.execute(f"PRAGMA table_info({table})"):
        if notnull and default is None and not pk and column not in given:
            fill[column] = values.get(kind.lower().split("(")[0].split()[0], "")
    return fill


def _load_sqlite(size: int, seed: int, env: dict[str, str], data_dir: Path) -> None:
    """Migrate a fresh SQLite database, add the demo users and tags, insert every table."""
    import polars as pl

    _manage(env, "migrate", "-v0")
    _manage(env, "seed", "--contacts", "0")
    frames = generate(size, seed, _lookups(env))
    with sqlite3.connect(data_dir / "clientela.sqlite3") as db:
        for table, frame in frames.items():
            fill = _sqlite_fillers(db, table, set(frame.columns))
            frame = frame.with_columns([pl.lit(v).alias(k) for k, v in fill.items()])
            columns = ", ".join(frame.columns)
            marks = ", ".join("?" for _c in frame.columns)
            db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", frame.rows())
        db.execute("ANALYZE")


def compute_snapshot() -> dict[str, Any]:
    """In a process configured for the bench database: the RFM snapshot by the real service."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    django.setup()
    from clientela.analytics.services import compute_customer_value_snapshot

    started = time.perf_counter()
    snapshot = compute_customer_value_snapshot(as_of=AS_OF, with_clv=False)
    return {"seconds": time.perf_counter() - started, "customers": snapshot.customers}


def _snapshot(env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "bench.segment_1m", "--snapshot"],
        env=env, check=True, capture_output=True, text=True, timeout=7200,
    ).stdout  # fmt: skip
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def prepare(
    database: str, size: int, seed: int, env: dict[str, str], data_dir: Path
) -> dict[str, Any]:
    """Build (or reuse, PostgreSQL) the data set; return what it took."""
    started = time.monotonic()
    snapshot_s = None
    if database == "postgresql":
        if _pg_ready(size) and not os.environ.get("CLIENTELA_BENCH_FRESH"):
            _manage(env, "migrate", "-v0")
            return {"prepare_seconds": round(time.monotonic() - started, 1), "reused": True}
        _load_postgresql(size, seed, env)
        snapshot_s = _snapshot(env)
        import psycopg

        with psycopg.connect(f"{PG}/{pg_name(size)}", autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
    else:
        _load_sqlite(size, seed, env, data_dir)
        snapshot_s = _snapshot(env)
    return {
        "prepare_seconds": round(time.monotonic() - started, 1), "reused": False,
        "snapshot_seconds": round(snapshot_s, 1),
    }  # fmt: skip


# --- The measuring child: the real code paths, in process ---------------------------------------


def _ms(action: Any) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _alternate(real: Any, base: Any, rounds: int) -> tuple[list[float], list[float]]:
    """Time two actions alternately after one warm-up each; milliseconds per run."""
    real()
    base()
    reals, bases = [], []
    for _round in range(rounds):
        reals.append(_ms(real))
        bases.append(_ms(base))
    return reals, bases


def measure(database: str, size: int) -> Any:
    """Yield the in-process figures (count, incremental, full refresh) and the server's inputs."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    django.setup()
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models.functions import Mod
    from django.utils import timezone

    from clientela.accounts.models import User
    from clientela.analytics.queries import latest_snapshot
    from clientela.contacts import services as contact_services
    from clientela.contacts.models import Contact
    from clientela.segments import services
    from clientela.segments.engine import members
    from clientela.segments.models import Membership, PendingContact, Segment
    from clientela.segments.registry import Context
    from clientela.segments.tree import parse

    now = dt.datetime.combine(AS_OF, dt.time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def ctx() -> Context:
        return Context(now=now)  # a fresh cache per evaluation, as every request has

    manager = User.objects.get(username="gerente")
    snapshot = latest_snapshot()
    assert snapshot is not None, "the bench data has no customer-value snapshot"
    vendor = connection.vendor
    select_sql = baseline_sql(vendor, AS_OF, snapshot.pk, select="c.id")
    count_sql = baseline_sql(vendor, AS_OF, snapshot.pk)
    tree = parse(DEFINITION)

    def sql_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(count_sql)
            return int(cursor.fetchone()[0])

    def real_count() -> int:
        return members(tree, ctx()).count()

    expected = sql_count()
    assert real_count() == expected, "the segment and the hand-written SQL disagree"

    # 1. The count through the real path against the hand-written SQL.
    reals, bases = _alternate(real_count, sql_count, ROUNDS)
    value, base = statistics.median(reals), statistics.median(bases)
    yield {"figure": "count_ms", "value": round(value, 1), "baseline": "hand-written SQL count",
           "baseline_value": round(base, 1), "ratio": round(value / base, 2), "members": expected,
           "runs": [round(r, 1) for r in reals], "baseline_runs": [round(b, 1) for b in bases],
           "target_ms": TARGET_MS["count"]}  # fmt: skip
    # The same question with "last purchase in the last 365 days" (why purchase_count is used).
    slow = parse({"all": [c if c["field"] != "purchase_count" else
                          {"field": "last_purchase", "op": "in_last_days", "value": 365}
                          for c in DEFINITION["all"]]})  # fmt: skip
    assert members(slow, ctx()).count() == expected
    runs = [_ms(lambda: members(slow, ctx()).count()) for _run in range(3)]
    yield {"figure": "count_with_last_purchase_ms", "value": round(statistics.median(runs), 1),
           "baseline": "hand-written SQL count", "baseline_value": round(base, 1),
           "ratio": round(statistics.median(runs) / base, 2)}  # fmt: skip

    # The installation's segments: the bench one and four others (made once, kept).
    ours = {}
    for code, definition in {BENCH_CODE: DEFINITION, **OTHER_SEGMENTS}.items():
        found = Segment.objects.filter(code=code, deleted_at__isnull=True).first()
        ours[code] = found or services.create_segment(
            actor=manager, data={"name": code, "definition": definition}, code=code
        )
    segment = ours[BENCH_CODE]
    # Every live segment up to date at the bench's clock; nothing left in the queue.
    for each in Segment.objects.filter(deleted_at__isnull=True):
        services.refresh_segment(each, ctx=ctx())
    services.drain_pending(ctx=ctx())
    with connection.cursor() as cursor:
        # Filling every segment wrote about a million membership rows: the statistics
        # autovacuum would gather, now, so the planner reads the memberships by contact.
        cursor.execute("ANALYZE segments_membership" if vendor == "postgresql" else "ANALYZE")

    # 3. The full recompute of the bench segment: from empty, then as the nightly run finds it.
    def sql_materialise() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE bench_members AS {select_sql}")
            cursor.execute("DROP TABLE bench_members")

    Membership.objects.filter(segment=segment).delete()
    first = _ms(lambda: services.refresh_segment(segment, ctx=ctx()))
    reals, bases = _alternate(
        lambda: services.refresh_segment(segment, ctx=ctx()), sql_materialise, 3
    )
    segment.refresh_from_db()
    value, base = statistics.median(reals), statistics.median(bases)
    yield {"figure": "full_refresh_ms", "value": round(value, 1),
           "baseline": "hand-written SQL: CREATE TEMP TABLE AS the members",
           "baseline_value": round(base, 1), "ratio": round(value / base, 2),
           "first_fill_ms": round(first, 1), "members": segment.member_count}  # fmt: skip

    # 2. Incremental refresh after EDITS contact edits through the contacts service.
    step = max(size // EDITS, 1)
    edited = list(
        Contact.objects.filter(deleted_at__isnull=True)
        .annotate(rest=Mod("id", step))
        .filter(rest=3 % step)
        .order_by("id")[:EDITS]
    )
    window_day = (AS_OF + dt.timedelta(days=9)).replace(year=1980)
    started = time.perf_counter()
    for contact in edited:
        tags = set(contact.tags.values_list("name", flat=True))
        tags = tags - {"VIP"} if "VIP" in tags else tags | {"VIP"}
        birthday = dt.date(1980, 6, 15) if contact.birthday == window_day else window_day
        contact_services.update_contact(
            contact, actor=manager, data={"tags": sorted(tags), "birthday": birthday}
        )
    edits_s = time.perf_counter() - started
    queued = PendingContact.objects.count()
    bench_only = Segment.objects.filter(deleted_at__isnull=True).exclude(code__startswith="bench_")
    alive = Segment.objects.filter(deleted_at__isnull=True).count()
    with transaction.atomic():
        bench_only.update(deleted_at=timezone.now())
        five = _ms(lambda: services.drain_pending(ctx=ctx()))
        transaction.set_rollback(True)
    every = _ms(lambda: services.drain_pending(ctx=ctx()))
    open_ids = set(
        Membership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )
    consistent = open_ids == set(members(tree, ctx()).values_list("pk", flat=True))
    full = sum(_ms(lambda s=s: services.refresh_segment(s, ctx=ctx())) for s in ours.values())
    common = {"baseline": f"full refresh_segment of the {len(ours)} bench segments",
              "baseline_value": round(full, 1), "edits": len(edited), "queued": queued,
              "edits_seconds": round(edits_s, 1), "consistent_with_full": consistent,
              "target_ms": TARGET_MS["incremental"]}  # fmt: skip
    yield {"figure": "incremental_refresh_ms", "value": round(five, 1), "segments": len(ours),
           "ratio": round(five / full, 3), **common}  # fmt: skip
    yield {"figure": "incremental_refresh_with_ready_made_ms", "value": round(every, 1),
           "segments": alive, "ratio": round(every / full, 3), **common}  # fmt: skip
    yield {
        "info": {
            "segment_id": segment.pk,
            "count_sql": count_sql,
            "baseline_runs_ms": [round(_ms(sql_count), 1) for _run in range(REQUESTS)],
        }
    }


# --- The production server ----------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """Return the 95th percentile by the nearest-rank method."""
    import math

    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _timed(
    opener: Any, url: str, requests: int, *, headers: dict[str, str], data: bytes | None = None
) -> dict[str, Any]:
    """Milliseconds of `requests` sequential requests after one warm-up, statuses and the count."""
    times, statuses, count, refused = [], set(), None, None
    for _run in range(requests + 1):
        request = urllib.request.Request(url, data=data, headers=headers)
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=60) as response:
                body = json.loads(response.read())
                statuses.add(response.status)
                count = body.get("count")
        except urllib.error.HTTPError as exc:
            statuses.add(exc.code)
            refused = refused or exc.read()[:300].decode(errors="replace")
        times.append((time.perf_counter() - started) * 1000)
    return {"times": times[1:], "statuses": sorted(statuses), "count": count, "refused": refused}


# What each server figure times (all count the segment's members the persona may see).
ENDPOINTS = {
    "builder_count_p95_ms": "POST /segments/preview/ (the builder's live count and first members)",
    "api_count_p95_ms": "GET /api/v1/segments/<id>/count",
    "api_list_p95_ms": "GET /api/v1/contacts?segment=<id>&limit=50 (count in the body)",
}


def _serve(env: dict[str, str], segment_id: int, requests: int) -> list[dict[str, Any]]:
    """Start granian on the bench data; time the builder's live count and the API's counts."""
    from bench.common import server_shape, signed_in, start_server, stop_server

    tokens = {who: _manage(env, "token", "create", who).strip() for who in ("gerente", "ana")}
    _manage(env, "collectstatic", "--noinput", "-v0")
    workers, _threads = server_shape()
    server, base = start_server(env, None, workers, "1")
    results = []
    definition = urllib.parse.urlencode({"definition": json.dumps(DEFINITION)}).encode()
    try:
        # The builder is for those who may change segments: the manager and marketing.
        for who in ("gerente", "mercadeo"):
            browser = signed_in(base, who)
            headers = {"X-CSRFToken": browser.csrf_token, "Referer": base}
            timed = _timed(browser, f"{base}/segments/preview/", requests, data=definition,
                           headers=headers)  # fmt: skip
            results.append(("builder_count_p95_ms", who, timed))
        # The API counts for the manager (all contacts) and a rep (her own).
        plain = urllib.request.build_opener()
        for who, token in tokens.items():
            bearer = {"Authorization": f"Bearer {token}"}
            for figure, url in (
                ("api_count_p95_ms", f"{base}/api/v1/segments/{segment_id}/count"),
                ("api_list_p95_ms", f"{base}/api/v1/contacts?segment={segment_id}&limit=50"),
            ):
                results.append((figure, who, _timed(plain, url, requests, headers=bearer)))
    finally:
        stop_server(server)
    return [
        {"figure": figure, "persona": who, "value": round(p95(r["times"]), 1),
         "p50_ms": round(statistics.median(r["times"]), 1),
         "statuses": r["statuses"], "count": r["count"], "server": "granian",
         **({"refused": r["refused"]} if r["refused"] else {}),
         "server_workers": int(workers), "requests": requests,
         "endpoint": ENDPOINTS[figure], "target_ms": TARGET_MS["api"]}
        for figure, who, r in results
    ]  # fmt: skip


def run(
    size: int | None = None, seed: int = 42, database: str | None = None, requests: int = REQUESTS
) -> list[dict[str, Any]]:
    """Build or reuse the data, measure in a child process, then through the server.

    PostgreSQL at 1,000,000 contacts and SQLite at 100,000 by default (both when no database
    is given).
    """
    figures = []
    for name in [database] if database else ["postgresql", "sqlite"]:
        count = size or (1_000_000 if name == "postgresql" else 100_000)
        data_dir = Path(tempfile.mkdtemp(prefix="clientela-bench-seg-"))
        try:
            env = _env(name, count, data_dir)
            prepared = prepare(name, count, seed, env, data_dir)
            load = os.getloadavg()[0]
            child = subprocess.run(
                [sys.executable, "-m", "bench.segment_1m", "--measure", name, str(count)],
                env=env, check=True, capture_output=True, text=True, timeout=7200,
            ).stdout  # fmt: skip
            lines = [json.loads(line) for line in child.splitlines() if line.startswith("{")]
            info = next(line["info"] for line in lines if "info" in line)
            measured = [line for line in lines if "info" not in line]
            baseline = p95(info["baseline_runs_ms"][:requests])
            for figure in _serve(env, info["segment_id"], requests):
                figure.update({"baseline": "hand-written SQL count, p95 in process",
                               "baseline_value": round(baseline, 1),
                               "ratio": round(figure["value"] / baseline, 2) if baseline else None})  # fmt: skip
                measured.append(figure)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        common = {"scenario": "segment-1m", "database": name, "size": count, "unit": "ms",
                  "load_1min": round(load, 1), **prepared}  # fmt: skip
        figures += [{**common, **figure} for figure in measured]
    return figures


if __name__ == "__main__":
    if sys.argv[1:] == ["--snapshot"]:
        print(json.dumps(compute_snapshot()))
    elif sys.argv[1:2] == ["--measure"]:
        for line in measure(sys.argv[2], int(sys.argv[3])):
            print(json.dumps(line, default=str), flush=True)
    else:
        raise SystemExit("use `python -m bench segment-1m [--size N] [--database D]`")
