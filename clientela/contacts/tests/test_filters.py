"""One filter parser: the list, its count, its export and the API list agree on every filter."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts.choices import CustomFieldType
from clientela.contacts.models import Contact
from clientela.contacts.queries import ContactFilters
from clientela.contacts.tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db
ROW_LINK = re.compile(r'<td class="person"><a href="/contacts/(\d+)/"')


def make(**values: Any) -> Contact:
    return cast(Contact, ContactFactory(**values))


@pytest.fixture
def book(personas: Any) -> dict[str, Any]:
    """Six contacts spread so that every filter keeps some and drops others."""
    vip = TagFactory.create(name="VIP")
    acme = CompanyFactory(bare=True, name="Acme S.A.S.")
    CustomFieldFactory.create(
        key="canal",
        label_es="Canal",
        field_type=CustomFieldType.CHOICE,
        choices=["WhatsApp", "Correo"],
    )
    CustomFieldFactory.create(
        key="presupuesto", label_es="Presupuesto", field_type=CustomFieldType.NUMBER
    )
    rep, rep2 = personas.rep, personas.rep2
    first = make(first_name="Ana", owner=rep, lifecycle_stage="customer", company=acme,
                 source="facebook", lead_status="new", custom={"canal": "WhatsApp"})  # fmt: skip
    first.tags.add(vip)
    make(first_name="Beto", owner=rep2, lifecycle_stage="lead", source="facebook",
         custom={"canal": "Correo", "presupuesto": 25000})  # fmt: skip
    make(first_name="Carla", owner=rep, lifecycle_stage="lead", lead_status="qualified",
         company=acme, custom={"presupuesto": 25000})  # fmt: skip
    make(first_name="Dario", owner=rep2, lifecycle_stage="customer", source="referral")
    make(first_name="Elena", owner=rep, lifecycle_stage="mql").tags.add(vip)
    make(first_name="Fabio", owner=None, lifecycle_stage="subscriber")
    return {"vip": vip, "acme": acme, "rep": rep, "rep2": rep2}


def listed(client: Client, params: dict[str, str]) -> tuple[list[int], int]:
    """The contact ids the list shows, in its order, and the total it states."""
    response = client.get(reverse("contacts:contact_list"), params)
    assert response.status_code == 200
    ids = [int(pk) for pk in ROW_LINK.findall(response.content.decode())]
    return ids, response.context["page"].total


def exported(client: Client, params: dict[str, str]) -> list[int]:
    """The contact ids of the CSV export of the same query string."""
    response: Any = client.get(reverse("contacts:export"), {**params, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [int(row[0]) for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]]


def from_api(client: Client, headers: dict[str, Any], params: dict[str, str]) -> list[int]:
    """The contact ids the API lists for the same query string."""
    response = client.get("/api/v1/contacts", {**params, "limit": "200"}, **headers)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def cases(book: dict[str, Any]) -> list[dict[str, str]]:
    """One query string per filter parameter (and its alternative spellings)."""
    return [
        {"q": "ana"},
        {"owner": str(book["rep"].pk)},
        {"lifecycle_stage": "customer"},
        {"stage": "lead"},
        {"lead_status": "qualified"},
        {"source": "facebook"},
        {"tag": "VIP"},
        {"tag": "vip"},
        {"tag": str(book["vip"].pk)},
        {"tag": "nobody"},
        {"company": str(book["acme"].pk)},
        {"custom.canal": "Correo"},
        {"cf_canal": "WhatsApp"},
        {"custom.presupuesto": "25000"},
        {"lifecycle_stage": "lead", "owner": str(book["rep"].pk)},
        {"lifecycle_stage": "lead", "ordering": "name"},
        {"source": "facebook", "sort": "-name"},
    ]


def test_it_lists_counts_exports_and_serves_the_same_contacts_for_every_filter(
    client: Client, personas: Any, book: dict[str, Any]
) -> None:
    client.force_login(personas.admin)
    _token, raw = create_token(personas.admin, actor=personas.admin)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    everyone = listed(client, {})[0]
    for params in cases(book):
        shown, total = listed(client, params)
        filters = ContactFilters.from_params(params)
        assert total == len(shown), params
        assert exported(client, params) == shown, params
        assert from_api(client, headers, params) == shown, params
        # Each case narrows the list: none passes by showing everyone.
        assert filters.active() and set(shown) != set(everyone), params
    assert listed(client, {"ordering": "name"})[0] == from_api(
        client, headers, {"ordering": "name"}
    )
    # A value that is not valid: the screen ignores it, the API says what is wrong.
    assert listed(client, {"lifecycle_stage": "nope"})[0] == everyone
    assert client.get("/api/v1/contacts?lifecycle_stage=nope", **headers).status_code == 400
    # An id no record can have (past 64 bits): the screen and its export match nothing, the
    # API says the value is out of range.
    assert listed(client, {"company": str(2**63)}) == ([], 0)
    assert exported(client, {"company": str(2**63)}) == []
    assert client.get(f"/api/v1/contacts?company={2**63}", **headers).status_code == 400


def test_it_reads_the_lifecycle_stage_the_export_link_carries(
    client: Client, personas: Any, book: dict[str, Any]
) -> None:
    client.force_login(personas.admin)
    shown, _total = listed(client, {"lifecycle_stage": "customer"})
    assert set(shown) == set(
        Contact.objects.filter(lifecycle_stage="customer").values_list("pk", flat=True)
    )
    assert len(shown) == 2


def test_it_sends_the_list_filters_under_the_names_the_api_uses(
    client: Client, personas: Any, book: dict[str, Any]
) -> None:
    client.force_login(personas.admin)
    body = client.get(reverse("contacts:contact_list")).content.decode()
    assert '<select name="lifecycle_stage">' in body
    assert '<option value="VIP">' in body
