"""The products API: list with filters, get, create, PATCH with price history and 409, archive."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clientela.catalog import services
from clientela.catalog.choices import ItemStatus
from clientela.catalog.models import PriceChange, Product
from clientela.catalog.tests.factories import (
    AttributeDefinitionFactory,
    ProductFactory,
    UniqueItemFactory,
    image_bytes,
)
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products"


def _send(client: Client, method: str, path: str, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


def test_it_lists_products_with_filters(client: Client, personas: Any) -> None:
    plot = UniqueItemFactory.create(name="Lote 14 Ocala")
    sold = UniqueItemFactory.create(name="Lote 2 Palmas", status=ItemStatus.SOLD, deal_id=99)
    kit = ProductFactory.create(name="Kit cerca")
    ProductFactory.create(name="Viejo", is_active=False)
    body = _send(client, "get", PRODUCTS, personas.rep).json()
    assert {i["id"] for i in body["items"]} == {plot.pk, sold.pk, kit.pk} and body["count"] == 3
    unique = _send(client, "get", f"{PRODUCTS}?kind=unique&status=available", personas.rep).json()
    assert [i["id"] for i in unique["items"]] == [plot.pk]
    search = _send(client, "get", f"{PRODUCTS}?q=ocala", personas.rep).json()
    assert [i["id"] for i in search["items"]] == [plot.pk]
    every = _send(client, "get", f"{PRODUCTS}?active=all", personas.rep).json()
    assert every["count"] == 4
    assert search["items"][0]["map_url"] == ""


def test_it_pins_the_query_count_of_a_list_page(client: Client, personas: Any) -> None:
    UniqueItemFactory.create()
    _send(client, "get", PRODUCTS, personas.rep)
    with CaptureQueriesContext(connection) as few:
        _send(client, "get", PRODUCTS, personas.rep)
    for _ in range(5):
        services.add_photo(UniqueItemFactory.create(), actor=None, raw=image_bytes())
    with CaptureQueriesContext(connection) as many:
        body = _send(client, "get", PRODUCTS, personas.rep).json()
    assert len(many) == len(few)
    assert sum(len(item["photos"]) for item in body["items"]) == 5
    assert not [
        q["sql"] for q in many.captured_queries if '"catalog_productphoto"."data"' in q["sql"]
    ]


def test_it_creates_and_explains_field_errors(client: Client, personas: Any) -> None:
    AttributeDefinitionFactory.create(code="area_m2", type="decimal")
    created = _send(
        client, "post", PRODUCTS, personas.manager,
        {"sku": "LOTE-7", "name": "Lote 7", "kind": "unique", "unit_price": "31000",
         "currency": "USD", "tax_rate": "0", "latitude": "4.711", "longitude": "-74.0721",
         "attributes": {"area_m2": "1000.5"}},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "available" and body["attributes"] == {"area_m2": "1000.5"}
    assert body["map_url"].startswith(
        "https://www.openstreetmap.org/?mlat=4.711000&mlon=-74.072100"
    )
    again = _send(client, "post", PRODUCTS, personas.manager, {"sku": "lote-7", "name": "Otro"})
    assert again.status_code == 400
    assert again.json()["errors"] == {"sku": ["Another product has this SKU already."]}
    bad = _send(
        client, "post", PRODUCTS, personas.manager,
        {"sku": "X-1", "name": "X", "attributes": {"area_m2": "grande"}},
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"] == {"attr_area_m2": ["Enter a number."]}


def test_a_patch_keeps_the_price_history_and_refuses_a_stale_version(
    client: Client, personas: Any
) -> None:
    plot = UniqueItemFactory.create()
    changed = _send(
        client, "patch", f"{PRODUCTS}/{plot.pk}", personas.manager,
        {"unit_price": "27000", "version": 1},
    )  # fmt: skip
    assert changed.status_code == 200 and changed.json()["version"] == 2
    change = PriceChange.objects.get(product=plot)
    assert (str(change.old_price), str(change.new_price)) == ("25000.00", "27000.00")
    stale = _send(
        client, "patch", f"{PRODUCTS}/{plot.pk}", personas.manager, {"name": "X", "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["version"] == 2


def test_delete_archives_and_patch_restores(client: Client, personas: Any) -> None:
    plot = UniqueItemFactory.create()
    assert _send(client, "delete", f"{PRODUCTS}/{plot.pk}", personas.admin).status_code == 204
    assert not Product.objects.get(pk=plot.pk).is_active
    back = _send(client, "patch", f"{PRODUCTS}/{plot.pk}", personas.admin, {"is_active": True})
    assert back.status_code == 200 and back.json()["is_active"] is True
