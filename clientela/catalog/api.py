"""API of the catalogue (mounted at /api/v1/products): adapters over the services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from clientela.accounts.api_auth import actor
from clientela.catalog import services
from clientela.catalog.choices import ItemStatus, ProductKind
from clientela.catalog.models import Product, ProductPhoto
from clientela.catalog.queries import (
    PRODUCT_ORDERINGS,
    ProductFilters,
    filter_products,
    get_product_for_user,
)
from clientela.core.events import Via
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId
from clientela.core.keyset import page_of

products_router = Router(tags=["products"])

AttributeValue = str | DbInt | None


class ProductOut(Schema):
    """A product of the catalogue; `status` and `deal_id` only mean something for unique items."""

    id: int
    sku: str
    name: str
    description: str
    kind: ProductKind
    status: ItemStatus = Field(description="available, reserved or sold (unique items)")
    deal_id: int | None = Field(description="The deal holding a reserved or sold item")
    quantity_on_hand: Decimal | None = Field(description="Units on hand (stock items, optional)")
    unit_price: Decimal
    currency: str
    tax_rate: Decimal = Field(description="Percent")
    latitude: Decimal | None
    longitude: Decimal | None
    map_url: str = Field(description="OpenStreetMap address of the coordinates, or empty")
    attributes: dict[str, AttributeValue] = Field(
        description="Custom attributes by code (decimals as text, dates as YYYY-MM-DD)"
    )
    photos: list[int] = Field(description="Photo ids (GET /catalog/photos/{id}/ signed in)")
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class ProductPage(ListPage):
    """A page of products: `next` is the URL of the following page, or null."""

    items: list[ProductOut]


class ProductQuery(PageQuery):
    """Filters, ordering and pagination of the product list."""

    q: str = Field("", max_length=100, description="Words of the name, SKU or description")
    kind: ProductKind | None = None
    status: ItemStatus | None = None
    active: Literal["yes", "no", "all"] = "yes"
    ordering: Literal["sku", "name", "-name", "price", "-price", "-created"] = "sku"


MONEY = Field(None, ge=0, max_digits=16, decimal_places=2)
PERCENT = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)


class ProductIn(Schema):
    """A new product; the tax rate defaults to the configured one, the currency to the company's."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = Field("", max_length=10_000)
    kind: ProductKind = ProductKind.STOCK
    quantity_on_hand: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=3)
    unit_price: Decimal | None = MONEY
    currency: str = Field("", max_length=3)
    tax_rate: Decimal | None = PERCENT
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict, max_length=100)


class ProductPatch(Schema):
    """Changes to a product; a new price or currency adds a row to its price history."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    kind: ProductKind | None = None
    quantity_on_hand: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=3)
    unit_price: Decimal | None = MONEY
    currency: str | None = Field(None, max_length=3)
    tax_rate: Decimal | None = PERCENT
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    attributes: dict[str, AttributeValue] | None = Field(
        None, max_length=100, description="Only the codes sent change; null removes one"
    )
    is_active: bool | None = None
    version: DbInt | None = Field(None, description="Refuse the change (409) if it moved on")


class ConflictOut(Schema):
    """A version conflict: the product changed since you read it."""

    detail: str
    version: int = Field(description="The product's current version")


def product_out(product: Product, photo_ids: list[int] | None = None) -> dict[str, Any]:
    """Return the API representation of a product."""
    if photo_ids is None:
        photo_ids = list(product.photos.order_by("position", "id").values_list("pk", flat=True))
    return {
        "id": product.pk, "sku": product.sku, "name": product.name,
        "description": product.description, "kind": product.kind, "status": product.status,
        "deal_id": product.deal_id, "quantity_on_hand": product.quantity_on_hand,
        "unit_price": product.unit_price, "currency": product.currency,
        "tax_rate": product.tax_rate, "latitude": product.latitude,
        "longitude": product.longitude, "map_url": product.map_url,
        "attributes": product.attributes or {}, "photos": photo_ids,
        "is_active": product.is_active, "created_at": product.created_at,
        "updated_at": product.updated_at, "version": product.version,
    }  # fmt: skip


@products_router.get("", response=ProductPage, summary="List products")
def list_products(request: HttpRequest, query: Query[ProductQuery]) -> dict[str, Any]:
    """List the catalogue, filtered like the product list screen."""
    user = actor(request)
    filters = ProductFilters(
        q=query.q,
        kind=query.kind or "",
        status=query.status or "",
        active="" if query.active == "all" else query.active,
    )
    page = page_of(
        request,
        filter_products(user, filters),
        fields=PRODUCT_ORDERINGS[query.ordering],
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        # Only the photos' ids: their bytes stay in the database.
        shape=lambda rows: rows.prefetch_related(
            Prefetch("photos", queryset=ProductPhoto.objects.only("pk", "product_id", "position"))
        ),
    )
    return page.body([product_out(p, [ph.pk for ph in p.photos.all()]) for p in page.rows])


@products_router.get("{product_id}", response=ProductOut, summary="Get a product")
def get_product(request: HttpRequest, product_id: RecordId) -> dict[str, Any]:
    """One product of the catalogue."""
    return product_out(get_product_for_user(actor(request), product_id))


def _data(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    return data


@products_router.post(
    "", response={201: ProductOut}, summary="Create a product",
)  # fmt: skip
def create_product(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    """Add a product (needs the right to manage products); a SKU is unique, whatever its case."""
    user = actor(request)
    product = services.create_product(actor=user, data=_data(payload), via=Via.API)
    return Status(201, product_out(product, []))


@products_router.patch(
    "{product_id}", response={200: ProductOut, 409: ConflictOut}, summary="Change a product",
)  # fmt: skip
def update_product(request: HttpRequest, product_id: RecordId, payload: ProductPatch) -> Any:
    """Change only the fields sent; send `version` to refuse the change (409) if it moved on."""
    user = actor(request)
    product = get_product_for_user(user, product_id, write=True)
    data = _data(payload)
    for key in ("sku", "name", "description", "kind", "currency", "is_active", "unit_price"):
        if key in data and data[key] is None:
            data.pop(key)
    if data.get("attributes") is None:
        data.pop("attributes", None)
    try:
        changed = services.update_product(
            product, actor=user, data=data, expected_version=payload.version, via=Via.API
        )
    except services.StaleVersion as exc:
        return Status(409, {"detail": str(exc), "version": exc.current})
    return product_out(changed)


@products_router.delete(
    "{product_id}", response={204: None}, summary="Archive a product",
)  # fmt: skip
def archive_product(request: HttpRequest, product_id: RecordId) -> Status[None]:
    """Archive a product: no longer offered, kept for its history and the deals that name it.

    PATCH `is_active: true` restores it.
    """
    user = actor(request)
    product = get_product_for_user(user, product_id, write=True)
    services.archive_product(product, actor=user, via=Via.API)
    return Status(204, None)
