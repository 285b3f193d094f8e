"""One filter parser for companies: the list, its count, its export and the API list agree on
every filter (as contacts do with ContactFilters)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts.queries import CompanyFilters
from clientela.contacts.tests.factories import CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db
ROW_LINK = re.compile(r'<a class="strong" href="/contacts/companies/(\d+)/"')


@pytest.fixture
def book(personas: Any) -> dict[str, Any]:
    """Five companies spread so that every filter keeps some and drops others."""
    client_tag = TagFactory.create(name="Constructora")
    rep, rep2 = personas.rep, personas.rep2
    CompanyFactory.create(name="Acme S.A.S.", owner=rep).tags.add(client_tag)
    CompanyFactory.create(name="Bosque Ltda", owner=rep2)
    CompanyFactory.create(name="Cedro S.A.", owner=rep)
    CompanyFactory.create(name="Duna", owner=None).tags.add(client_tag)
    CompanyFactory.create(name="Era", owner=rep2)
    return {"tag": client_tag, "rep": rep}


def listed(client: Client, params: dict[str, str]) -> tuple[list[int], int]:
    response = client.get(reverse("contacts:company_list"), params)
    assert response.status_code == 200
    return [int(pk) for pk in ROW_LINK.findall(response.content.decode())], response.context[
        "page"
    ].total


def exported(client: Client, params: dict[str, str]) -> list[int]:
    response: Any = client.get(reverse("contacts:company_export"), {**params, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [int(row[0]) for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]]


def from_api(client: Client, headers: dict[str, Any], params: dict[str, str]) -> list[int]:
    response = client.get("/api/v1/companies", {**params, "limit": "200"}, **headers)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_it_lists_counts_exports_and_serves_the_same_companies_for_every_filter(
    client: Client, personas: Any, book: dict[str, Any]
) -> None:
    client.force_login(personas.admin)
    _token, raw = create_token(personas.admin, actor=personas.admin)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    everyone = listed(client, {})[0]
    cases = [
        {"q": "acme"},
        {"owner": str(book["rep"].pk)},
        {"tag": "Constructora"},
        {"tag": "constructora"},
        {"tag": str(book["tag"].pk)},
        {"tag": "nobody"},
        {"owner": str(book["rep"].pk), "tag": "Constructora"},
        {"owner": str(book["rep"].pk), "ordering": "-name"},
        {"owner": str(book["rep"].pk), "sort": "-created"},
    ]
    for params in cases:
        shown, total = listed(client, params)
        assert total == len(shown), params
        assert exported(client, params) == shown, params
        assert from_api(client, headers, params) == shown, params
        filters = CompanyFilters.from_params(params)
        assert filters.active() and set(shown) != set(everyone), params
    assert listed(client, {"ordering": "-name"})[0] == from_api(
        client, headers, {"ordering": "-name"}
    )
    assert listed(client, {"owner": str(2**63)}) == ([], 0)
    assert exported(client, {"owner": str(2**63)}) == []


def test_one_parser_reads_every_spelling() -> None:
    assert CompanyFilters.from_params({"sort": "-name"}).ordering == "-name"
    assert CompanyFilters.from_params({"ordering": "created", "sort": "-name"}).ordering == (
        "created"
    )
    assert CompanyFilters.from_params({"ordering": "bogus"}).ordering == "name"
    assert CompanyFilters.from_params({"owner": "abc"}).owner is None
    assert CompanyFilters.from_params({"owner": str(2**63)}).owner == 0
    assert not CompanyFilters.from_params({}).active()
