"""Deal custom fields: defined on the contacts app's admin screen, kept typed in `Deal.custom`.

The service validates and stores them, the deal form and detail show them, the list filters
on choice fields, the API reads and writes them, the export carries them and a change reads
on the deal's timeline with the field's label.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clientela.contacts.models import CustomField
from clientela.contacts.tests.factories import CustomFieldFactory
from clientela.core.exceptions import ValidationFailed
from clientela.deals import services
from clientela.deals.models import Deal
from clientela.deals.tests.factories import (
    EnteredDealFactory,
    build_world,
    deal_custom_fields,
    stage_named,
)
from clientela.deals.timelines import deal_timeline
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals"


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _send(client: Client, method: str, path: str, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": "en"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(path, **kwargs)


# -- definitions -------------------------------------------------------------------------------


def test_it_lets_an_administrator_define_a_deal_field(client: Client, personas: Any) -> None:
    signed_in(client, personas.admin)
    page = client.get(reverse("contacts:custom_field_list"))
    assert [label for label, _fields in page.context["groups"]] == [
        "Contacts", "Companies", "Deals",
    ]  # fmt: skip
    form = client.get(reverse("contacts:custom_field_create") + "?entity=deal")
    assert ("deal", "Deal") in [
        (v, str(label)) for v, label in form.context["form"].fields["entity"].choices
    ]
    answer = client.post(
        reverse("contacts:custom_field_create"),
        {"entity": "deal", "label_es": "Financiación", "field_type": "choice",
         "choices": "Crédito\nContado"},
    )  # fmt: skip
    assert answer.status_code == 302
    field = CustomField.objects.get(entity="deal")
    assert (field.key, field.choices) == ("financiacion", ["Crédito", "Contado"])
    listed = client.get(reverse("contacts:custom_field_list")).context["groups"]
    assert [f.key for f in dict(listed)["Deals"]] == ["financiacion"]


def test_it_refuses_a_record_type_nobody_registered(client: Client, personas: Any) -> None:
    signed_in(client, personas.admin)
    answer = client.post(
        reverse("contacts:custom_field_create"),
        {"entity": "invoice", "label_es": "Cuota", "field_type": "text"},
    )
    assert answer.status_code == 200 and answer.context["form"].errors["entity"]
    assert not CustomField.objects.filter(entity="invoice").exists()


# -- the service -------------------------------------------------------------------------------


def test_it_stores_typed_values_and_explains_each_bad_one(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    deal = services.create_deal(
        actor=personas.rep, title="Lote 30", pipeline=world.pipeline,
        custom={"financiacion": "Crédito", "area_m2": "1250.5", "escritura": dt.date(2027, 3, 1)},
    )  # fmt: skip
    assert Deal.objects.get(pk=deal.pk).custom == {
        "financiacion": "Crédito", "area_m2": 1250.5, "escritura": "2027-03-01",
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        services.create_deal(
            actor=personas.rep, title="Lote 31", pipeline=world.pipeline,
            custom={"financiacion": "Leasing", "area_m2": "mucho", "color": "rojo"},
        )  # fmt: skip
    assert set(refused.value.errors) == {
        "custom.financiacion", "custom.area_m2", "custom.color",
    }  # fmt: skip
    assert refused.value.errors["custom.area_m2"] == ["Enter a number."]
    assert not Deal.objects.filter(title="Lote 31").exists()


def test_it_reads_a_number_with_a_decimal_comma(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    deal = services.create_deal(
        actor=personas.rep, title="Lote 32", pipeline=world.pipeline, custom={"area_m2": "250,5"}
    )
    assert deal.custom == {"area_m2": 250.5}
    for endless in ("1e400", "nan", True):
        with pytest.raises(ValidationFailed) as refused:
            services.update_deal(deal, actor=personas.rep, data={"custom": {"area_m2": endless}})
        assert refused.value.errors == {"custom.area_m2": ["Enter a number."]}


def test_it_changes_only_the_fields_sent_and_tells_it_on_the_timeline(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    services.update_deal(
        world.deal, actor=personas.rep,
        data={"custom": {"financiacion": "Crédito", "area_m2": 300}},
    )  # fmt: skip
    changed = services.update_deal(
        Deal.objects.get(pk=world.deal.pk), actor=personas.rep,
        data={"custom": {"financiacion": "Contado", "area_m2": None}},
    )  # fmt: skip
    assert changed.custom == {"financiacion": "Contado"}
    lines, _cut = deal_timeline(changed)
    latest = lines[0]
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("Area (m²)", "300", "—"), ("Financing", "Loan", "Cash"),
    ]  # fmt: skip
    version = changed.version
    same = services.update_deal(
        changed, actor=personas.rep, data={"custom": {"financiacion": "Contado"}}
    )
    assert same.version == version  # nothing changed, nothing written


# -- screens -----------------------------------------------------------------------------------


def test_it_creates_a_deal_with_its_custom_fields_from_the_form(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    deal_custom_fields()
    signed_in(client, personas.rep)
    url = reverse("deals:deal_create") + f"?pipeline={world.pipeline.pk}"
    form = client.get(url)
    assert (
        "cf_financiacion" in form.content.decode()
        and 'id="deal-custom-fields"' in form.content.decode()
    )
    bad = client.post(url, {"title": "Lote 40", "pipeline": world.pipeline.pk, "cf_area_m2": "x"})
    assert bad.status_code == 200 and bad.context["form"].errors["cf_area_m2"]
    good = client.post(
        url,
        {"title": "Lote 40", "pipeline": world.pipeline.pk, "cf_financiacion": "Crédito",
         "cf_area_m2": "420", "cf_escritura": "2027-01-15"},
    )  # fmt: skip
    deal = Deal.objects.get(title="Lote 40")
    assert good.status_code == 302
    assert deal.custom == {"financiacion": "Crédito", "area_m2": 420.0, "escritura": "2027-01-15"}
    detail = client.get(reverse("deals:deal_detail", args=[deal.pk]))
    assert ("Financing", "Loan") in detail.context["custom_values"]
    assert 'id="deal-custom-values"' in detail.content.decode()


def test_it_edits_custom_fields_and_shows_a_service_error_on_its_field(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    fields = deal_custom_fields()
    signed_in(client, personas.rep)
    url = reverse("deals:deal_edit", args=[world.deal.pk])
    base = {"title": world.deal.title, "version": world.deal.version, "amount": "30000000",
            "currency": "COP", "attendance": "pending"}  # fmt: skip
    saved = client.post(url, {**base, "cf_financiacion": "Contado"})
    assert saved.status_code == 302
    assert Deal.objects.get(pk=world.deal.pk).custom == {"financiacion": "Contado"}
    again = client.get(url)
    assert again.context["form"]["cf_financiacion"].value() == "Contado"
    # An option removed meanwhile: the form still offers it, the service refuses it.
    CustomField.objects.filter(pk=fields.financing.pk).update(choices=["Crédito"])
    stale = client.post(
        url, {**base, "version": world.deal.version + 1, "cf_financiacion": "Crédito"}
    )
    assert stale.status_code == 302
    refused = client.post(
        url, {**base, "version": world.deal.version + 2, "cf_financiacion": "Contado"}
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors["cf_financiacion"]


def test_it_filters_the_list_and_the_board_on_a_choice_field(client: Client, personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    credit = EnteredDealFactory.create(
        actor=personas.rep,
        pipeline=world.pipeline,
        title="Lote crédito",
    )
    services.update_deal(credit, actor=personas.rep, data={"custom": {"financiacion": "Crédito"}})
    signed_in(client, personas.rep)
    page = client.get(reverse("deals:deal_list") + "?cf_financiacion=Crédito")
    assert [d.title for d in page.context["page"].rows] == ["Lote crédito"]
    assert "cf_financiacion" in page.content.decode()
    everything = client.get(reverse("deals:deal_list"))
    assert {d.pk for d in everything.context["page"].rows} == {credit.pk, world.deal.pk}
    board = client.get(
        reverse("deals:pipeline_board", args=[world.pipeline.pk]) + "?cf_financiacion=Contado"
    )
    assert board.status_code == 200
    assert all(c.count == 0 for c in board.context["columns"])


def test_it_exports_the_custom_fields_after_the_built_in_columns(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    deal_custom_fields()
    services.update_deal(
        world.deal, actor=personas.rep, data={"custom": {"financiacion": "Crédito", "area_m2": 80}}
    )
    signed_in(client, personas.manager)
    answer = client.get(reverse("deals:deal_export", args=["csv"]))
    text = b"".join(answer.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert header[-3:] == ["financiacion", "area_m2", "escritura"]
    mine = next(r for r in rows[1:] if r[0] == str(world.deal.pk))
    assert mine[-3:] == ["Crédito", "80", ""]


# -- API ---------------------------------------------------------------------------------------


def test_it_reads_and_writes_custom_fields_through_the_api(client: Client, personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    created = _send(
        client, "post", DEALS, personas.rep,
        {"title": "Lote API", "pipeline": world.pipeline.pk,
         "custom": {"financiacion": "Contado", "escritura": "2027-05-02"}},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["custom"] == {"financiacion": "Contado", "escritura": "2027-05-02"}
    bad = _send(
        client, "patch", f"{DEALS}/{body['id']}", personas.rep,
        {"custom": {"area_m2": "grande", "otro": 1}},
    )  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"custom.area_m2", "custom.otro"}
    patched = _send(
        client, "patch", f"{DEALS}/{body['id']}", personas.rep,
        {"custom": {"area_m2": 95.5, "escritura": None}},
    )  # fmt: skip
    assert patched.json()["custom"] == {"financiacion": "Contado", "area_m2": 95.5}
    listed = _send(client, "get", f"{DEALS}?custom.financiacion=Contado", personas.rep).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert _send(client, "get", f"{DEALS}/{world.deal.pk}", personas.rep).json()["custom"] == {}


def test_it_keeps_contact_and_deal_fields_apart(personas: Any) -> None:
    world = build_world(personas)
    deal_custom_fields()
    CustomFieldFactory.create(entity="contact", key="talla")
    with pytest.raises(ValidationFailed) as refused:
        services.update_deal(world.deal, actor=personas.rep, data={"custom": {"talla": "M"}})
    assert refused.value.errors == {"custom.talla": ["Unknown custom field “talla”."]}
    contact_form = services.create_deal(
        actor=personas.rep, title="Lote 50", pipeline=world.pipeline, contact=world.contact,
        stage=stage_named(world.pipeline, "Nuevo"), custom={"financiacion": "Contado"},
    )  # fmt: skip
    assert world.contact.custom.get("financiacion") is None
    assert contact_form.custom == {"financiacion": "Contado"}
