"""The security probe's reproductions (issue 11, section 5): each one answered without a 500.

Integers past 64 bits, lone surrogates, crafted cursors, `next` values that are no URL, huge
negative rates, and the API's own errors (unexpected ones included) always as JSON.
"""

from __future__ import annotations

import base64
import json
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from clientela.accounts.services import create_token
from clientela.contacts import services
from clientela.contacts.models import Company, Contact
from clientela.contacts.tests.factories import CustomFieldFactory
from clientela.core.numbers import bounded_int, fit_decimal
from clientela.core.testing import client_for
from clientela.orders.models import ExchangeRate

pytestmark = pytest.mark.django_db

BIG = "9223372036854775808"  # 2**63: one past the largest 64-bit integer


def bearer(user: Any) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh token, answers in English."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def quiet_client() -> Client:
    """A client that returns a 500 as a response instead of raising it in the test."""
    return Client(raise_request_exception=False)


def test_it_bounds_whole_numbers_and_decimals_before_the_database_sees_them():
    assert bounded_int("12") == 12
    assert bounded_int(BIG) is None
    assert bounded_int("-9223372036854775808") == -(2**63)
    assert bounded_int("1_000") is None
    assert bounded_int(True) is None
    assert bounded_int("0", minimum=1) is None
    assert fit_decimal(Decimal("-1e30"), max_digits=20, decimal_places=8) is None
    assert fit_decimal(Decimal("99.999"), max_digits=4, decimal_places=2) is None
    assert fit_decimal(Decimal("4150.255"), max_digits=20, decimal_places=8) == Decimal(
        "4150.25500000"
    )
    assert fit_decimal(Decimal("NaN"), max_digits=20, decimal_places=8) is None


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/contacts?owner={BIG}", "owner"),
        (f"/api/v1/contacts?company={BIG}", "company"),
        (f"/api/v1/contacts?offset={BIG}", "offset"),
        (f"/api/v1/companies?owner={BIG}", "owner"),
        (f"/api/v1/companies?offset={BIG}", "offset"),
        (f"/api/v1/users?offset={BIG}", "offset"),
        (f"/api/v1/contacts/{BIG}", "contact_id"),
        (f"/api/v1/contacts/1/timeline?offset={BIG}", "offset"),
    ],
)
def test_it_answers_400_to_an_integer_past_64_bits_in_the_api(personas, quiet_client, url, field):
    response = quiet_client.get(url, **bearer(personas.admin))
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        f"/contacts/?owner={BIG}",
        f"/contacts/?company={BIG}",
        f"/contacts/companies/?owner={BIG}",
        f"/orders/?contact={BIG}",
        f"/orders/?company={BIG}",
    ],
)
def test_it_ignores_an_integer_past_64_bits_in_a_list_filter(personas, quiet_client, url):
    c = client_for(quiet_client, personas.admin)
    assert c.get(url).status_code == 200


def test_it_refuses_a_department_id_past_64_bits_on_the_user_forms(personas, quiet_client):
    c = client_for(quiet_client, personas.admin)
    data = {"role": personas.rep.role_id, "departments": BIG, "language": "es"}
    created = c.post(
        "/accounts/users/new/", {**data, "username": "nuevo", "password": "Clave-segura-2026"}
    )
    assert created.status_code == 200
    assert "departments" in created.context["form"].errors
    edited = c.post(f"/accounts/users/{personas.rep.pk}/", data)
    assert edited.status_code == 200
    assert "departments" in edited.context["form"].errors


SURROGATE_WRITES = [
    ("post", "/api/v1/contacts", '{"first_name": "\\ud800"}', "first_name"),
    ("patch", "/api/v1/contacts/{contact}", '{"city": "x\\udfff"}', "city"),
    ("post", "/api/v1/companies", '{"name": "\\ud800"}', "name"),
    ("patch", "/api/v1/companies/{company}", '{"name": "\\ud800"}', "name"),
    (
        "post",
        "/api/v1/contacts/{contact}/consents",
        '{"channel": "email", "purpose": "marketing", "status": "granted", "source": "\\ud800"}',
        "source",
    ),
    ("post", "/api/v1/users", '{"username": "laura", "first_name": "\\ud800"}', "first_name"),
    ("post", "/api/v1/contacts", '{"first_name": "Ana", "tags": ["ok", "\\ud800"]}', "tags.1"),
    (
        "post",
        "/api/v1/contacts",
        '{"first_name": "Ana", "custom": {"\\ud800": 1}}',
        "custom.\ud800",
    ),
    ("post", "/api/v1/contacts", '{"first_name": "A\\u0000na"}', "first_name"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), SURROGATE_WRITES)
def test_it_refuses_a_lone_surrogate_or_nul_with_a_field_message(
    personas, quiet_client, method, path, body, field
):
    contact = services.create_contact(actor=personas.admin, data={"first_name": "Eva"})
    company = services.create_company(actor=personas.admin, data={"name": "Andina"})
    counts = (Contact.objects.count(), Company.objects.count())
    url = path.format(contact=contact.pk, company=company.pk)
    response = getattr(quiet_client, method)(
        url, data=body, content_type="application/json", **bearer(personas.admin)
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert (Contact.objects.count(), Company.objects.count()) == counts


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        ["-created", ["9999-12-31T23:59:59", 5]],
        ["-created", ["9999-12-31T23:59:59-05:00", 5]],
        ["-created", ["2026-01-01T00:00:00+00:00", int(BIG)]],
        ["-created", ["2026-01-01T00:00:00+00:00", {"a": 1}]],
        ["name", ["\ud800", "x", 1]],
        ["name", [["list"], "x", 1]],
    ],
)
def test_it_answers_400_to_a_crafted_cursor(personas, quiet_client, payload):
    services.create_contact(actor=personas.admin, data={"first_name": "Eva"})
    ordering = payload[0]
    response = quiet_client.get(
        f"/api/v1/contacts?ordering={ordering}&cursor={_cursor(payload)}",
        **bearer(personas.admin),
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("target", ["abc", '{"a":1}', "http://[", "//evil.example/"])
def test_it_redirects_home_when_next_is_no_url_of_this_site(personas, quiet_client, target):
    c = client_for(quiet_client, personas.rep)
    language = c.post("/accounts/language/", {"language": "en", "next": target})
    assert (language.status_code, language["Location"]) == (302, "/")
    token, _raw = create_token(personas.rep, actor=personas.rep)
    revoked = c.post(f"/accounts/tokens/{token.pk}/revoke/", {"next": target})
    assert (revoked.status_code, revoked["Location"]) == (302, "/accounts/profile/")


@pytest.mark.parametrize("target", ["abc", '{"a":1}'])
def test_it_signs_in_when_next_is_no_url(personas, quiet_client, target):
    assert quiet_client.get(f"/accounts/login/?next={target}").status_code == 200
    response = quiet_client.post(
        "/accounts/login/",
        {"username": "rep", "password": personas.password, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_refuses_a_huge_negative_exchange_rate_with_a_form_error(personas, quiet_client):
    c = client_for(quiet_client, personas.manager)
    response = c.post(
        "/orders/rates/",
        {"currency": "USD", "date": "2026-03-01", "rate": "-1000000000000000000000000000000"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["rate"]
    assert not ExchangeRate.objects.exists()


def test_it_answers_an_unexpected_api_error_as_json_and_logs_it(
    personas, quiet_client, monkeypatch, caplog
):
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("clientela.contacts.api.contacts.filter_contacts", explode)
    with caplog.at_level(logging.ERROR, logger="clientela.api"):
        response = quiet_client.get("/api/v1/contacts", **bearer(personas.admin))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert "boom" not in response.content.decode()
    assert any("boom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", "/api/v1/contacts/", None, 200),
        ("get", "/api/v1/me/", None, 200),
        ("post", "/api/v1/contacts/", {"first_name": "Eva"}, 201),
        ("get", "/api/v1/nothing-here", None, 404),
        ("get", "/api/v1/nothing-here/", None, 404),
        ("delete", "/api/v1/contacts", None, 405),
        ("delete", "/api/v1/contacts/", None, 405),
    ],
)
def test_it_accepts_api_paths_with_a_trailing_slash(
    personas, quiet_client, method, url, body, status
):
    kwargs: dict[str, Any] = bearer(personas.admin)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(quiet_client, method)(url, **kwargs)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("value", ["1e400", "-1e400", "nan", "inf"])
def test_it_finds_nothing_for_a_custom_number_no_json_can_hold(personas, quiet_client, value):
    from clientela.contacts.choices import CustomFieldType, Entity

    CustomFieldFactory.create(
        entity=Entity.CONTACT, key="presupuesto", label_es="Presupuesto",
        field_type=CustomFieldType.NUMBER,
    )  # fmt: skip
    services.create_contact(
        actor=personas.admin, data={"first_name": "Eva", "custom": {"presupuesto": 5}}
    )
    api = quiet_client.get(f"/api/v1/contacts?custom.presupuesto={value}", **bearer(personas.admin))
    assert (api.status_code, api.json()["count"]) == (200, 0)
    ui = client_for(quiet_client, personas.admin).get(f"/contacts/?custom.presupuesto={value}")
    assert ui.status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("patch", "/api/v1/roles/%00", None),
        ("get", "/api/v1/contacts?q=a%00b", None),
        ("get", "/contacts/?q=a%00b", None),
        ("get", "/contacts/?%00=1", None),
        ("post", "/orders/rates/", {"currency": "US\x00D", "date": "2026-03-01", "rate": "1"}),
    ],
)
def test_it_refuses_a_nul_in_a_path_query_or_form_with_400(
    personas, quiet_client, method, url, data
):
    """PostgreSQL cannot take NUL in text: refused at the door instead of a 500 in a query."""
    c = client_for(quiet_client, personas.admin)
    kwargs: dict[str, Any] = bearer(personas.admin) if url.startswith("/api/") else {}
    response = (
        getattr(c, method)(url, data, **kwargs) if data else getattr(c, method)(url, **kwargs)
    )
    assert response.status_code == 400
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/contacts", "/api/v1/deals", "/api/v1/payments"])
def test_it_answers_a_form_post_to_a_json_endpoint_with_a_client_error(personas, quiet_client, url):
    # The test client's default POST is multipart/form-data with no fields: the API must still
    # read its body and answer 4xx, never 500.
    response = quiet_client.post(url, **bearer(personas.admin))
    assert 400 <= response.status_code < 500, response.content
    response = quiet_client.post(url, data={"name": "x"}, **bearer(personas.admin))
    assert 400 <= response.status_code < 500, response.content
