"""Catalogue services: products and their price history, attributes, photos, inventory."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from clientela.catalog import services
from clientela.catalog.choices import AttributeType, CatalogVerb, ItemStatus, ProductKind
from clientela.catalog.models import PriceChange, Product
from clientela.catalog.queries import round_money
from clientela.catalog.tests.factories import (
    AttributeDefinitionFactory,
    EnteredProductFactory,
    ProductFactory,
    UniqueItemFactory,
    image_bytes,
)
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


class Holder:
    """A stand-in deal: what the inventory services need of the record holding an item."""

    def __init__(self, pk: int, title: str = "Negocio") -> None:
        self.pk = pk
        self.title = title


def test_it_creates_a_product_with_the_configured_tax_rate_and_an_event(
    personas: Any, settings: Any
) -> None:
    settings.CLIENTELA = {**settings.CLIENTELA, "DEFAULT_TAX_RATE": "5"}
    product = services.create_product(
        actor=personas.manager, data={"sku": "kit-01", "name": "Kit cerca", "unit_price": "1200.5"}
    )
    assert product.tax_rate == Decimal("5") and product.unit_price == Decimal("1200.50")
    assert product.currency == "COP" and product.kind == ProductKind.STOCK
    assert Event.objects.filter(verb=CatalogVerb.CREATED, target_id=str(product.pk)).count() == 1


def test_it_refuses_a_sku_that_differs_only_in_case(personas: Any) -> None:
    ProductFactory.create(sku="LOTE-14")
    with pytest.raises(ValidationFailed) as caught:
        services.create_product(actor=personas.admin, data={"sku": "lote-14", "name": "Otro"})
    assert caught.value.errors == {"sku": [("Another product has this SKU already.")]}


def test_it_keeps_the_fields_errors_apart(personas: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_product(
            actor=personas.admin,
            data={"sku": "", "name": "", "unit_price": "-3", "tax_rate": "150", "latitude": "91",
                  "longitude": "10", "currency": "pesos"},
        )  # fmt: skip
    errors = caught.value.errors
    assert set(errors) == {"sku", "name", "unit_price", "tax_rate", "latitude", "currency"}
    assert errors["latitude"] == ["Enter a number between -90 and 90."]


def test_it_needs_both_coordinates(personas: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_product(
            actor=personas.admin, data={"sku": "A1", "name": "A", "latitude": "4.5"}
        )
    assert "longitude" in caught.value.errors


def test_a_rep_may_not_create_products(personas: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_product(actor=personas.rep, data={"sku": "X", "name": "X"})


def test_every_price_change_is_a_row_of_the_history(personas: Any) -> None:
    product = EnteredProductFactory.create(actor=personas.manager, unit_price="100", currency="USD")
    services.update_product(product, actor=personas.manager, data={"unit_price": "120.00"})
    services.update_product(product, actor=personas.admin, data={"name": "Nombre nuevo"})
    services.update_product(product, actor=personas.admin, data={"currency": "EUR"})
    rows = list(PriceChange.objects.filter(product=product).order_by("changed_at", "id"))
    assert [(r.old_price, r.new_price, r.old_currency, r.new_currency) for r in rows] == [
        (Decimal("100.00"), Decimal("120.00"), "USD", "USD"),
        (Decimal("120.00"), Decimal("120.00"), "USD", "EUR"),
    ]
    assert rows[0].changed_by == personas.manager and rows[1].changed_by == personas.admin
    verbs = list(Event.objects.filter(target_id=str(product.pk), target_type="catalog.product")
                 .order_by("id").values_list("verb", flat=True))  # fmt: skip
    assert verbs == [CatalogVerb.CREATED, CatalogVerb.PRICE_CHANGED, CatalogVerb.CHANGED,
                     CatalogVerb.PRICE_CHANGED]  # fmt: skip


def test_a_stale_version_is_refused(personas: Any) -> None:
    product = EnteredProductFactory.create(actor=personas.manager)
    services.update_product(product, actor=personas.manager, data={"name": "Uno"})
    with pytest.raises(services.StaleVersion) as caught:
        services.update_product(
            product, actor=personas.manager, data={"name": "Dos"}, expected_version=1
        )
    assert caught.value.current == 2


def test_attributes_are_typed_and_explained_per_field(personas: Any) -> None:
    AttributeDefinitionFactory.create(code="lot_number", type=AttributeType.TEXT)
    AttributeDefinitionFactory.create(code="area_m2", type=AttributeType.DECIMAL)
    AttributeDefinitionFactory.create(code="floors", type=AttributeType.NUMBER)
    AttributeDefinitionFactory.create(code="delivered", type=AttributeType.DATE)
    AttributeDefinitionFactory.create(
        code="view", type=AttributeType.CHOICE, options=["Lago", "Bosque"]
    )
    product = EnteredProductFactory.create(
        actor=personas.admin,
        attributes={"lot_number": "14", "area_m2": "1012.50", "floors": "2",
                    "delivered": "2026-03-01", "view": "Lago"},
    )  # fmt: skip
    assert product.attributes == {
        "lot_number": "14", "area_m2": "1012.5", "floors": 2, "delivered": "2026-03-01",
        "view": "Lago",
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        services.update_product(
            product, actor=personas.admin,
            data={"attributes": {"area_m2": "mucho", "floors": "1.5", "delivered": "ayer",
                                 "view": "Mar", "color": "rojo"}},
        )  # fmt: skip
    errors = caught.value.errors
    assert errors["attr_area_m2"] == [("Enter a number.")]
    assert errors["attr_floors"] == [("Enter a whole number.")]
    assert errors["attr_delivered"] == [("Enter a valid date.")]
    assert errors["attr_view"] == [("Select a valid choice.")]
    assert errors["attributes"] == ["There is no attribute “color”."]
    services.update_product(product, actor=personas.admin, data={"attributes": {"view": ""}})
    product.refresh_from_db()
    assert "view" not in product.attributes and product.attributes["floors"] == 2


def test_a_photo_is_scaled_reencoded_and_loses_its_exif(personas: Any) -> None:
    product = UniqueItemFactory.create()
    exif = Image.Exif()
    exif[0x010F] = "Camara secreta"  # Make
    out = io.BytesIO()
    Image.new("RGB", (3200, 1600), (10, 90, 30)).save(out, "JPEG", exif=exif.tobytes())
    photo = services.add_photo(product, actor=personas.manager, raw=out.getvalue(), caption="Vista")
    assert (photo.width, photo.height) == (1600, 800)
    with Image.open(io.BytesIO(bytes(photo.data))) as stored:
        assert not stored.getexif()
    with Image.open(io.BytesIO(bytes(photo.thumbnail))) as thumb:
        assert max(thumb.size) == 320
    with pytest.raises(ValidationFailed) as caught:
        services.add_photo(product, actor=personas.manager, raw=b"<svg onload=alert(1)>")
    assert caught.value.errors == {"photo": [("The file is not an image Clientela can read.")]}


def test_a_rep_may_not_add_photos(personas: Any) -> None:
    with pytest.raises(Forbidden):
        services.add_photo(UniqueItemFactory.create(), actor=personas.rep, raw=image_bytes())


# --- inventory ---------------------------------------------------------------------------------


def test_a_unique_item_is_reserved_by_one_deal_at_a_time(personas: Any) -> None:
    item = UniqueItemFactory.create()
    services.reserve(item, deal=Holder(1), actor=personas.rep)
    services.reserve(item, deal=Holder(1), actor=personas.rep)  # the same deal again: no change
    with pytest.raises(Conflict) as caught:
        services.reserve(item, deal=Holder(2), actor=personas.rep2)
    assert (
        str(caught.value) == f"“{item.name}” is reserved by another deal: release it there first."
    )
    item.refresh_from_db()
    assert (item.status, item.deal_id) == (ItemStatus.RESERVED, 1)
    assert Event.objects.filter(verb=CatalogVerb.RESERVED, target_id=str(item.pk)).count() == 1


def test_a_unique_item_is_never_sold_twice(personas: Any) -> None:
    item = UniqueItemFactory.create()
    services.sell(item, deal=Holder(1), actor=personas.rep)
    services.sell(item, deal=Holder(1), actor=personas.rep)  # the same sale again changes nothing
    for attempt in (services.sell, services.reserve):
        with pytest.raises(Conflict) as caught:
            attempt(item, deal=Holder(2), actor=personas.rep2)
        assert "sold" in str(caught.value)
    services.release(item, deal=Holder(2), actor=personas.rep2)  # not its deal: nothing happens
    item.refresh_from_db()
    assert (item.status, item.deal_id) == (ItemStatus.SOLD, 1)
    assert Event.objects.filter(verb=CatalogVerb.SOLD, target_id=str(item.pk)).count() == 1


def test_releasing_makes_the_item_available_again(personas: Any) -> None:
    item = UniqueItemFactory.create()
    services.reserve(item, deal=Holder(7), actor=personas.rep)
    services.release(item, deal=Holder(7), actor=personas.rep)
    item.refresh_from_db()
    assert (item.status, item.deal_id) == (ItemStatus.AVAILABLE, None)
    services.reserve(item, deal=Holder(8), actor=personas.rep2)


def test_a_stock_sale_counts_the_units_down_and_refuses_more_than_on_hand(personas: Any) -> None:
    kit = ProductFactory.create(quantity_on_hand=Decimal(5))
    services.sell(kit, deal=Holder(1), actor=personas.rep, quantity=Decimal(3))
    with pytest.raises(Conflict):
        services.sell(kit, deal=Holder(2), actor=personas.rep, quantity=Decimal(3))
    services.release(kit, deal=Holder(1), actor=personas.rep, quantity=Decimal(3))
    kit.refresh_from_db()
    assert kit.quantity_on_hand == Decimal(5)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("10.005"), "USD", Decimal("10.01")),
        (Decimal("10.004"), "USD", Decimal("10.00")),
        (Decimal("1234.5"), "CLP", Decimal("1235.00")),
        (Decimal("-2.5"), "COP", Decimal("-2.50")),
    ],
)
def test_money_rounds_half_up_to_the_currency_decimals(
    amount: Decimal, currency: str, expected: Decimal
) -> None:
    assert round_money(amount, currency) == expected


def test_product_rows_hold_a_held_item_consistent(personas: Any) -> None:
    from django.db import IntegrityError, transaction

    item = UniqueItemFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=item.pk).update(status=ItemStatus.SOLD)
