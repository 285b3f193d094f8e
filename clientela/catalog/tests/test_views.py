"""Catalogue screens: list filters and paging, the form's field messages, detail, photos."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.catalog.choices import ItemStatus
from clientela.catalog.models import Product
from clientela.catalog.tests.factories import (
    AttributeDefinitionFactory,
    ProductFactory,
    UniqueItemFactory,
    image_bytes,
)
from clientela.core.testing import client_for
from clientela.deals.tests.factories import EnteredDealFactory, real_estate_pipeline

pytestmark = pytest.mark.django_db


def test_the_list_filters_and_pins_its_query_count(client: Client, personas: Any) -> None:
    plot = UniqueItemFactory.create(name="Lote 3 Ocala")
    UniqueItemFactory.create(status=ItemStatus.RESERVED, deal_id=5)
    ProductFactory.create(name="Kit cerca")
    browser = client_for(client, personas.rep)
    page = browser.get(reverse("catalog:product_list"), {"kind": "unique", "status": "available"})
    assert page.status_code == 200
    assert list(page.context["page"].rows) == [plot]
    with CaptureQueriesContext(connection) as few:
        browser.get(reverse("catalog:product_list"))
    for _ in range(10):
        UniqueItemFactory.create()
    with CaptureQueriesContext(connection) as many:
        browser.get(reverse("catalog:product_list"))
    assert len(many) == len(few)


def test_the_form_shows_each_error_on_its_field(client: Client, personas: Any) -> None:
    AttributeDefinitionFactory.create(code="area_m2", type="decimal", label_en="Area (m²)")
    browser = client_for(client, personas.manager)
    answer = browser.post(
        reverse("catalog:product_create"),
        {"sku": "LOTE 1!", "name": "Lote", "kind": "unique", "currency": "USD",
         "unit_price": "abc", "tax_rate": "19", "latitude": "100", "longitude": "1",
         "attr_area_m2": "mucho"},
    )  # fmt: skip
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert set(errors) == {"sku", "unit_price", "latitude", "attr_area_m2"}
    assert errors["attr_area_m2"] == ["Enter a number."]
    created = browser.post(
        reverse("catalog:product_create"),
        {"sku": "LOTE-1", "name": "Lote 1", "kind": "unique", "currency": "USD",
         "unit_price": "25000", "tax_rate": "0", "latitude": "4.6", "longitude": "-74.1",
         "attr_area_m2": "1000"},
    )  # fmt: skip
    product = Product.objects.get(sku="LOTE-1")
    assert created.status_code == 302 and product.attributes == {"area_m2": "1000"}
    detail = browser.get(reverse("catalog:product_detail", args=[product.pk]))
    assert b"openstreetmap.org" in detail.content and b"Area (m" in detail.content


def test_a_price_edit_shows_in_the_history(client: Client, personas: Any) -> None:
    plot = UniqueItemFactory.create()
    browser = client_for(client, personas.manager)
    data = {"sku": plot.sku, "name": plot.name, "kind": "unique", "currency": "USD",
            "unit_price": "26500", "tax_rate": "0", "version": 1}  # fmt: skip
    assert browser.post(reverse("catalog:product_edit", args=[plot.pk]), data).status_code == 302
    detail = browser.get(reverse("catalog:product_detail", args=[plot.pk]))
    assert detail.context["prices"][0].new_price == Decimal("26500.00")
    latest = detail.context["events"][0]
    assert latest.label == "product price changed" and latest.actor == "Gerente"
    assert latest.note == "25,000.00 USD → 26,500.00 USD"
    stale = browser.post(reverse("catalog:product_edit", args=[plot.pk]), data)
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()


def test_photos_are_served_to_signed_in_users_only(client: Client, personas: Any) -> None:
    plot = UniqueItemFactory.create()
    browser = client_for(client, personas.manager)
    upload = SimpleUploadedFile("lote.png", image_bytes("PNG"), "image/png")
    browser.post(reverse("catalog:photo_add", args=[plot.pk]), {"photo": upload})
    photo = plot.photos.get()
    served = browser.get(reverse("catalog:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert "private" in served["Cache-Control"]
    client.logout()
    assert Client().get(reverse("catalog:photo_thumbnail", args=[photo.pk])).status_code == 302


def test_the_detail_names_the_holding_deal_only_to_who_sees_it(
    client: Client, personas: Any
) -> None:
    from clientela.deals import lines

    deal = EnteredDealFactory.create(
        actor=personas.rep, pipeline=real_estate_pipeline(), title="Familia Gómez"
    )
    plot = UniqueItemFactory.create(currency="COP")
    lines.add_line(deal, actor=personas.rep, product=plot)
    mine = client_for(client, personas.rep).get(reverse("catalog:product_detail", args=[plot.pk]))
    assert mine.context["holder"].label == "Familia Gómez"
    other = client_for(Client(), personas.rep2).get(
        reverse("catalog:product_detail", args=[plot.pk])
    )
    assert other.context["holder"] is None and "Familia Gómez" not in other.content.decode()


def test_deal_lines_are_added_and_removed_with_htmx(client: Client, personas: Any) -> None:
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=real_estate_pipeline())
    plot = UniqueItemFactory.create(currency="COP", unit_price=Decimal("80000000"))
    browser = client_for(client, personas.rep)
    added = browser.post(
        reverse("deals:deal_line_add", args=[deal.pk]), {"product": plot.pk, "quantity": "1"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert added.status_code == 200 and b'id="deal-lines"' in added.content
    assert b"80.000.000" in added.content or b"80,000,000" in added.content
    refused = browser.post(
        reverse("deals:deal_line_add", args=[deal.pk]), {"quantity": "x"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 200 and refused.context["line_form"].errors["quantity"]
    line = deal.lines.get()
    removed = browser.post(
        reverse("deals:deal_line_remove", args=[deal.pk, line.pk]), HTTP_HX_REQUEST="true"
    )
    assert removed.status_code == 200 and not deal.lines.exists()
    plot.refresh_from_db()
    assert plot.status == ItemStatus.AVAILABLE


def test_the_attribute_screen_explains_each_field(client: Client, personas: Any) -> None:
    browser = client_for(client, personas.admin)
    bad = browser.post(
        reverse("catalog:attribute_list"),
        {
            "code": "Área m2",
            "type": "choice",
            "label_es": "Área",
            "label_en": "Area",
            "options": "",
        },
    )
    errors = bad.context["form"].errors
    assert errors["code"] == [
        "Use lowercase letters, digits and underscores, starting with a letter."
    ]
    assert errors["options"] == ["A choice needs at least one option, one per line."]
    good = browser.post(
        reverse("catalog:attribute_list"),
        {"code": "view", "type": "choice", "label_es": "Vista", "label_en": "View",
         "options": "Lago\nBosque\nLago"},
    )  # fmt: skip
    assert good.status_code == 302
    from clientela.catalog.models import AttributeDefinition

    created = AttributeDefinition.objects.get(code="view")
    assert created.options == ["Lago", "Bosque"] and created.is_active
    edit = browser.post(
        reverse("catalog:attribute_edit", args=[created.pk]),
        {"label_es": "Vista al", "label_en": "Facing", "options": "Lago\nMar"},
    )
    created.refresh_from_db()
    assert edit.status_code == 302 and created.options == ["Lago", "Mar"]
    assert not created.is_active  # the box was left unticked: no longer offered


def test_the_detail_pins_its_query_count(client: Client, personas: Any) -> None:
    from clientela.catalog import services

    plot = UniqueItemFactory.create()
    browser = client_for(client, personas.rep)
    url = reverse("catalog:product_detail", args=[plot.pk])
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        browser.get(url)
    for price in ("26000", "27000", "28000"):
        services.update_product(plot, actor=None, data={"unit_price": price})
        services.add_photo(plot, actor=None, raw=image_bytes())
    with CaptureQueriesContext(connection) as many:
        browser.get(url)
    assert len(many) == len(few)


def test_winning_on_the_board_a_deal_whose_plot_was_sold_elsewhere_says_why(
    client: Client, personas: Any
) -> None:
    from clientela.deals import lines

    pipeline = real_estate_pipeline()
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    plot = UniqueItemFactory.create(currency="COP")
    lines.add_line(deal, actor=personas.rep, product=plot)
    Product.objects.filter(pk=plot.pk).update(deal_id=deal.pk + 500)
    won = pipeline.stages.get(kind="won")
    browser = client_for(client, personas.rep)
    answer = browser.post(
        reverse("deals:deal_move", args=[deal.pk]), {"stage": won.pk},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert answer.status_code == 400
    assert "reserved by another deal" in answer.json()["errors"]["stage"][0]
    page = browser.post(reverse("deals:deal_move", args=[deal.pk]), {"stage": won.pk})
    assert page.status_code == 400 and page.context["form"].errors["stage"]
