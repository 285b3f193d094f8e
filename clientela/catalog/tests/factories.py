"""Factories for products, attribute definitions and the world the access tests share.

`ProductFactory` and `UniqueItemFactory` write rows straight to the table (no event, no price
history); `EnteredProductFactory` goes through `create_product` as `actor` would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from PIL import Image

from clientela.catalog import services
from clientela.catalog.choices import AttributeType, ItemStatus, ProductKind
from clientela.catalog.models import AttributeDefinition, Product, ProductPhoto


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    """A stock item of the catalogue, written straight to the table."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Kit de cerramiento {n}")
    kind = ProductKind.STOCK
    unit_price = Decimal("150000.00")
    currency = "COP"
    tax_rate = Decimal("19.00")


class UniqueItemFactory(ProductFactory):
    """A land plot: a unique item, available, priced in USD without tax."""

    sku = factory.Sequence(lambda n: f"LOTE-{n:04d}")
    name = factory.Sequence(lambda n: f"Lote {n} Ocala")
    kind = ProductKind.UNIQUE
    status = ItemStatus.AVAILABLE
    unit_price = Decimal("25000.00")
    currency = "USD"
    tax_rate = Decimal("0.00")


class EnteredProductFactory(factory.django.DjangoModelFactory[Product]):
    """A product created through `create_product` by `actor` (required; None is the system)."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"ENT-{n:05d}")
    name = factory.Sequence(lambda n: f"Lote entrado {n}")

    @classmethod
    def _create(cls, model_class: type[Product], *args: Any, **data: Any) -> Product:
        actor = data.pop("actor")
        return services.create_product(actor=actor, data=data)


class AttributeDefinitionFactory(factory.django.DjangoModelFactory[AttributeDefinition]):
    """A text attribute of products."""

    class Meta:
        model = AttributeDefinition

    code = factory.Sequence(lambda n: f"attr_{n}")
    label_es = factory.Sequence(lambda n: f"Atributo {n}")
    label_en = factory.Sequence(lambda n: f"Attribute {n}")
    type = AttributeType.TEXT
    position = factory.Sequence(lambda n: n)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a small image of the given format."""
    out = io.BytesIO()
    Image.new("RGB", size, (40, 140, 60)).save(out, fmt)
    return out.getvalue()


@dataclass
class World:
    """A land plot with a photo, a stock item and an attribute definition."""

    product: Product
    stock: Product
    photo: ProductPhoto
    attribute: AttributeDefinition


def build_world(personas: Any) -> World:
    """Return the catalogue the access tests request (made by the system)."""
    product = UniqueItemFactory.create()
    return World(
        product=product,
        stock=ProductFactory.create(),
        photo=services.add_photo(product, actor=None, raw=image_bytes()),
        attribute=AttributeDefinitionFactory.create(),
    )
