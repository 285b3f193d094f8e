"""Demo catalogue: 240 land plots in Florida with photos, and the deals they are in.

The company of the story sells plots around the places its demo deals name (Ocala, Cape
Coral…). Each plot has a lot number, an area in m², coordinates near its town, a price in USD
(no tax on land) and a drawn photo. Won deals of the lots pipeline bought a plot of their town
(sold), later open deals reserve one, the rest are available; each of those deals gets the plot
as its line item at the deal's amount. A few stock products (services with IVA) complete the
catalogue. Deterministic for a seed; nothing is dated before the record it tells of exists.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from clientela.catalog.choices import AttributeType, CatalogVerb, ItemStatus, ProductKind
from clientela.catalog.models import AttributeDefinition, PriceChange, Product, ProductPhoto
from clientela.deals.choices import StageKind
from clientela.deals.models import Deal, DealLine
from clientela.demo.deals import DAYS, PLACES
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events

PLOTS = 240
# Town centres the plots gather around (latitude, longitude).
CENTRES = {
    "Ocala": (Decimal("29.1872"), Decimal("-82.1401")),
    "Lehigh Acres": (Decimal("26.6254"), Decimal("-81.6248")),
    "Port Charlotte": (Decimal("26.9762"), Decimal("-82.0906")),
    "Palm Coast": (Decimal("29.5845"), Decimal("-81.2079")),
    "Cape Coral": (Decimal("26.5629"), Decimal("-81.9495")),
    "Deltona": (Decimal("28.9005"), Decimal("-81.2637")),
}
STEP = Decimal("0.0006")  # about 60 m between neighbouring plots
SOLD_SHARE = 0.45
RESERVED_SHARE = 0.18
RESERVING_STAGES = ("Asistió a la cita", "Cotizado", "Nutrición")
STOCK = (
    ("SRV-ESCRITURA", "Escrituración y registro", "service", Decimal("2500000"), "COP"),
    ("SRV-TOPOGRAFIA", "Levantamiento topográfico", "service", Decimal("1800000"), "COP"),
    ("KIT-CERCA", "Kit de cerramiento (100 m)", "kit", Decimal("4200000"), "COP"),
    ("SRV-ASESORIA-USA", "Asesoría legal en EE. UU.", "service", Decimal("450"), "USD"),
)
ATTRIBUTES: tuple[tuple[str, str, str, str, list[str]], ...] = (
    ("lot_number", "Número de lote", "Lot number", AttributeType.TEXT, []),
    ("area_m2", "Área (m²)", "Area (m²)", AttributeType.DECIMAL, []),
    ("frontage", "Frente", "Frontage", AttributeType.CHOICE, ["Calle", "Lago", "Bosque"]),
)
PLACE_RE = re.compile(r" en (.+)$")


def draw_plot(number: int, place: str, rng: random.Random) -> tuple[bytes, bytes]:
    """Draw a plot's photo (sky, grass, a survey stake with its number) and its thumbnail."""
    width, height = 800, 500
    image = Image.new("RGB", (width, height), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(190, 250)
    for y in range(horizon):
        shade = int(60 * y / horizon)
        draw.line([(0, y), (width, y)], fill=(120 + shade // 2, 180 + shade // 3, 235))
    green = (70 + rng.randint(0, 40), 140 + rng.randint(0, 40), 60)
    draw.rectangle([0, horizon, width, height], fill=green)
    for _tree in range(rng.randint(3, 9)):
        x = rng.randint(0, width)
        size = rng.randint(20, 45)
        draw.ellipse([x - size, horizon - 2 * size, x + size, horizon + 4], fill=(40, 100, 45))
    draw.rectangle([380, horizon + 40, 392, horizon + 170], fill=(150, 110, 60))
    draw.rectangle([330, horizon + 40, 470, horizon + 90], fill=(250, 250, 245))
    draw.text((342, horizon + 48), f"LOTE {number}", fill=(30, 30, 30))
    draw.text((342, horizon + 66), place, fill=(80, 80, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    image.thumbnail((320, 320))
    thumb = io.BytesIO()
    image.save(thumb, "JPEG", quality=80, optimize=True)
    return out.getvalue(), thumb.getvalue()


def _place(title: str) -> str | None:
    found = PLACE_RE.search(title)
    return found.group(1) if found and found.group(1) in CENTRES else None


def seed_catalog(seed: int = 2026, now: dt.datetime | None = None) -> int:
    """Give the demo company its catalogue and tie plots to its deals (once); return the plots."""
    if Product.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(f"catalog-{seed}")
    listed = now - dt.timedelta(days=DAYS + 30)  # the catalogue predates every demo deal
    with transaction.atomic():
        for position, (code, es, en, kind, options) in enumerate(ATTRIBUTES, start=1):
            AttributeDefinition.objects.create(
                code=code, label_es=es, label_en=en, type=kind, options=options, position=position
            )
        plots = _plots(rng, listed)
        Product.objects.bulk_create(plots, batch_size=500)
        stock = [
            Product(
                sku=sku, name=name, kind=ProductKind.STOCK, unit_price=price, currency=currency,
                tax_rate=Decimal(19), description="", created_at=listed, updated_at=listed,
                quantity_on_hand=Decimal(40) if kind == "kit" else None,
            )
            for sku, name, kind, price, currency in STOCK
        ]  # fmt: skip
        Product.objects.bulk_create(stock)
        plots = list(Product.objects.filter(kind=ProductKind.UNIQUE).order_by("id"))
        events = [_created(p, listed) for p in [*plots, *stock]]
        photos = []
        for product in plots:
            number = int(product.attributes["lot_number"])
            place = product.name.split(" · ", 1)[1]
            data, thumb = draw_plot(number, place, rng)
            photos.append(ProductPhoto(
                product=product, data=data, thumbnail=thumb, content_type="image/jpeg",
                width=800, height=500, position=1, uploaded_at=listed,
            ))  # fmt: skip
        ProductPhoto.objects.bulk_create(photos, batch_size=100)
        events += _price_changes(rng, plots, listed, now)
        events += _hold_plots(plots, now)
        record_events(events)
    return len(plots)


def _plots(rng: random.Random, listed: dt.datetime) -> list[Product]:
    plots = []
    per_place = PLOTS // len(PLACES)
    number = 0
    for place in PLACES:
        lat0, lon0 = CENTRES[place]
        for index in range(per_place):
            number += 1
            row, col = divmod(index, 8)
            area = Decimal(rng.choice((1012, 1050, 1200, 1250, 2024, 2500, 4047)))
            price = Decimal(rng.randrange(18, 95) * 1000)
            plots.append(Product(
                sku=f"LOTE-{number:03d}", name=f"Lote {number} · {place}",
                description=f"Lote residencial en {place}, Florida. Servicios de agua y luz "
                            "en la vía; apto para vivienda unifamiliar.",
                kind=ProductKind.UNIQUE, status=ItemStatus.AVAILABLE, unit_price=price,
                currency="USD", tax_rate=Decimal(0),
                latitude=lat0 + STEP * (row - 3), longitude=lon0 + STEP * (col - 4),
                attributes={"lot_number": str(number), "area_m2": str(area),
                            "frontage": rng.choice(("Calle", "Calle", "Lago", "Bosque"))},
                created_at=listed, updated_at=listed,
            ))  # fmt: skip
    return plots


def _created(product: Product, at: dt.datetime) -> Event:
    return build_event(
        CatalogVerb.CREATED, actor=None, target=product, via=Via.SEED, at=at,
        data={"product_id": product.pk, "sku": product.sku, "name": product.name,
              "unit_price": str(product.unit_price), "currency": product.currency,
              "kind": product.kind},
    )  # fmt: skip


def _price_changes(
    rng: random.Random, plots: list[Product], listed: dt.datetime, now: dt.datetime
) -> list[Event]:
    """Raise a sixth of the plots' prices once, about a year ago (the yearly list update)."""
    changes, events = [], []
    for product in plots[::6]:
        when = now - dt.timedelta(days=rng.randint(300, 400))
        old = product.unit_price
        new = (old * Decimal("1.06")).quantize(Decimal(1000))
        changes.append(PriceChange(
            product=product, old_price=old, old_currency="USD", new_price=new,
            new_currency="USD", changed_at=when,
        ))  # fmt: skip
        events.append(build_event(
            CatalogVerb.PRICE_CHANGED, actor=None, target=product, via=Via.SEED, at=when,
            data={"product_id": product.pk, "sku": product.sku, "name": product.name,
                  "old_price": str(old), "new_price": str(new), "old_currency": "USD",
                  "currency": "USD"},
        ))  # fmt: skip
        product.unit_price = new
        product.version = 2
    PriceChange.objects.bulk_create(changes)
    Product.objects.bulk_update(plots[::6], ["unit_price", "version"])
    return events


def _hold_plots(plots: list[Product], now: dt.datetime) -> list[Event]:
    """Sell plots to the latest won lot deals and reserve some for open ones, town by town."""
    free: dict[str, list[Product]] = {}
    for product in plots:
        free.setdefault(product.name.split(" · ", 1)[1], []).append(product)
    deals = list(
        Deal.objects.filter(pipeline__name="Lotes en Florida", currency="USD")
        .exclude(state=StageKind.LOST)
        .select_related("stage", "owner")
        .order_by("-closed_at", "-created_at", "-id")
    )
    quota = {
        ItemStatus.SOLD: int(len(plots) * SOLD_SHARE),
        ItemStatus.RESERVED: int(len(plots) * RESERVED_SHARE),
    }
    lines, events, held = [], [], []
    for deal in deals:
        if deal.state == StageKind.WON:
            status = ItemStatus.SOLD
        elif deal.stage.name in RESERVING_STAGES:
            status = ItemStatus.RESERVED
        else:
            continue
        place = _place(deal.title)
        if not quota[status] or place is None or not free.get(place):
            continue
        quota[status] -= 1
        product = free[place].pop(0)
        product.status, product.deal_id = status, deal.pk
        held.append(product)
        lines.append(DealLine(
            deal=deal, product=product, description=product.name, quantity=Decimal(1),
            unit_price=deal.amount, tax_rate=Decimal(0), net=deal.amount, tax=Decimal(0),
            total=deal.amount, position=1, created_at=deal.created_at,
        ))  # fmt: skip
        verb, at = CatalogVerb.RESERVED, deal.created_at
        events.append(_held(verb, product, deal, ItemStatus.RESERVED, at))
        if status == ItemStatus.SOLD and deal.closed_at is not None:
            events.append(_held(CatalogVerb.SOLD, product, deal, status, deal.closed_at))
    Product.objects.bulk_update(held, ["status", "deal_id"], batch_size=500)
    DealLine.objects.bulk_create(lines, batch_size=500)
    return events


def _held(verb: str, product: Product, deal: Deal, status: str, at: dt.datetime) -> Event:
    data: dict[str, Any] = {
        "product_id": product.pk, "sku": product.sku, "name": product.name,
        "deal_id": deal.pk, "deal": deal.title, "status": status,
    }  # fmt: skip
    return build_event(verb, actor=deal.owner, target=product, via=Via.SEED, at=at, data=data)
