"""API tests for authentication, rate limiting, the signed-in user, tokens, users, departments and
roles."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clientela.accounts import services
from clientela.accounts.models import ApiToken, Department, Role, User

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh token."""
    _token, raw = services.create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(
    client: Client,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any = None,
    lang: str = "en",
) -> Any:
    """Send a JSON request in the given language and return the response."""
    kwargs: dict[str, Any] = {**headers, "HTTP_ACCEPT_LANGUAGE": lang}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(url, **kwargs)


# --- authentication ------------------------------------------------------------------------


def test_it_refuses_requests_without_a_token(personas, client):
    response = call(client, "GET", "/api/v1/me", {})
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: send the header “Authorization: Bearer <token>”."
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_an_unknown_token(personas, client):
    response = call(client, "GET", "/api/v1/me", {"HTTP_AUTHORIZATION": "Bearer clt_nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "This API token is not valid, or it was revoked."


def test_it_refuses_a_revoked_token(personas, client):
    token, raw = services.create_token(personas.rep, actor=personas.rep)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert call(client, "GET", "/api/v1/me", headers).status_code == 200
    services.revoke_token(token, actor=personas.rep)
    assert call(client, "GET", "/api/v1/me", headers).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(personas, client):
    headers = bearer(personas.rep)
    # Even if the token was not revoked, an inactive user's token does not authenticate.
    User.objects.filter(pk=personas.rep.pk).update(is_active=False)
    response = call(client, "GET", "/api/v1/me", headers)
    assert response.status_code == 401


def test_it_revokes_tokens_when_an_admin_deactivates_a_user(personas, client):
    rep_headers = bearer(personas.rep)
    response = call(
        client, "PATCH", f"/api/v1/users/{personas.rep.pk}", bearer(personas.admin),
        {"is_active": False},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert call(client, "GET", "/api/v1/me", rep_headers).status_code == 401
    assert not ApiToken.objects.filter(user=personas.rep, revoked_at__isnull=True).exists()


def test_it_notes_when_a_token_was_used_at_most_once_a_minute(personas, client):
    token, raw = services.create_token(personas.rep, actor=personas.rep)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call(client, "GET", "/api/v1/me", headers)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        call(client, "GET", "/api/v1/me", headers)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        call(client, "GET", "/api/v1/me", headers)
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(seconds=61)


def test_it_looks_the_token_up_with_one_query(personas, client, django_assert_num_queries):
    headers = bearer(personas.admin)
    call(client, "GET", "/api/v1/me", headers)  # notes last_used_at
    with django_assert_num_queries(2):  # the token with its user and role; the departments
        assert call(client, "GET", "/api/v1/me", headers).status_code == 200


def test_it_accepts_the_browser_session_for_reads(personas, client):
    client.force_login(personas.rep)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "rep"


def test_it_requires_csrf_for_session_writes(personas):
    # A signed-in browser speaks the session's language (Spanish by default), not the header's.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.rep)
    response = browser.post(
        "/api/v1/tokens", data=json.dumps({"name": "x"}), content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == "Falló la verificación CSRF. Recargue la página e intente de nuevo."
    )


def test_it_answers_401_not_csrf_to_a_bad_token_on_a_write(personas):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/api/v1/tokens", data="{}", content_type="application/json",
        HTTP_AUTHORIZATION="Bearer clt_wrong",
    )  # fmt: skip
    assert response.status_code == 401


def test_it_rate_limits_each_token(personas, client, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "API_RATE": "3/m"}
    headers = bearer(personas.rep)
    other = bearer(personas.rep2)
    statuses = [call(client, "GET", "/api/v1/me", headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = call(client, "GET", "/api/v1/me", headers)
    assert limited.status_code == 429
    assert limited.json()["detail"].startswith("Too many requests. Try again in")
    assert int(limited["Retry-After"]) >= 1
    # Another token has its own allowance.
    assert call(client, "GET", "/api/v1/me", other).status_code == 200


def test_it_answers_in_the_users_language_without_accept_language(personas, client):
    personas.rep.language = "en"
    personas.rep.save()
    _token, raw = services.create_token(personas.rep, actor=personas.rep)
    response = client.get("/api/v1/users", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert response["Content-Language"] == "en"
    assert response.json()["detail"] == "Only administrators can manage users and departments."


def test_it_answers_in_the_accept_language_of_the_request(personas, client):
    response = call(client, "GET", "/api/v1/users?limit=mucho", bearer(personas.admin), lang="es")
    assert response.status_code == 400
    assert response["Content-Language"] == "es"
    assert response.json()["errors"] == {"limit": ["Introduzca un número entero."]}


# --- me and tokens -------------------------------------------------------------------------


def test_it_describes_the_signed_in_user(personas, client):
    body = call(client, "GET", "/api/v1/me", bearer(personas.rep)).json()
    assert body["username"] == "rep"
    assert body["role"] == "comercial"
    assert body["visibility"] == "own"
    assert body["capabilities"] == [
        "contacts.write",
        "contacts.merge",
        "orders.view",
        "orders.write",
        "activities.write",
        "deals.write",
        "billing.quote",
        "billing.invoice",
        "billing.record_payments",
        "sales.view_reports",
        "analytics.view",
    ]
    assert body["departments"] == [
        {"id": personas.departments["Comercial Bogotá"].pk, "name": "Comercial Bogotá"}
    ]


def test_it_creates_a_token_whose_secret_is_shown_once(
    personas, client, django_assert_max_num_queries
):
    headers = bearer(personas.rep)
    response = call(client, "POST", "/api/v1/tokens", headers, {"name": "Zapier"})
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith("clt_")
    assert created["name"] == "Zapier"
    new_headers = {"HTTP_AUTHORIZATION": f"Bearer {created['token']}"}
    assert call(client, "GET", "/api/v1/me", new_headers).status_code == 200
    with django_assert_max_num_queries(2):  # token, the user's tokens
        listed = call(client, "GET", "/api/v1/tokens", headers).json()
    assert {t["name"] for t in listed} == {"", "Zapier"}
    assert all("token" not in t for t in listed)


def test_it_revokes_own_tokens_only(personas, client):
    headers = bearer(personas.rep)
    mine, raw = services.create_token(personas.rep, actor=personas.rep, name="old")
    theirs, _raw = services.create_token(personas.rep2, actor=personas.rep2)
    assert call(client, "DELETE", f"/api/v1/tokens/{theirs.pk}", headers).status_code == 404
    assert call(client, "DELETE", f"/api/v1/tokens/{mine.pk}", headers).status_code == 204
    old_headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert call(client, "GET", "/api/v1/me", old_headers).status_code == 401
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_it_limits_the_token_name(personas, client):
    response = call(client, "POST", "/api/v1/tokens", bearer(personas.rep), {"name": "x" * 101})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": ["Ensure this value has at most 100 characters (it has 101)."]
    }


# --- users ---------------------------------------------------------------------------------


def test_it_lists_users_for_admins_with_a_fixed_number_of_queries(
    personas, client, django_assert_max_num_queries
):
    headers = bearer(personas.admin)
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(4):  # token, count, page, departments
        response = call(client, "GET", "/api/v1/users?limit=3", headers)
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 7
    assert [u["username"] for u in body["items"]] == ["admin", "gerente", "rep"]
    assert body["next"].endswith("/api/v1/users?limit=3&offset=3")
    second = call(client, "GET", body["next"], headers).json()
    assert [u["username"] for u in second["items"]] == ["rep2", "colega", "mercadeo"]


@pytest.mark.parametrize("persona", ["manager", "rep", "rep2", "colleague", "marketer", "outsider"])
def test_it_refuses_user_management_to_non_admins(personas, client, persona):
    headers = bearer(getattr(personas, persona))
    target = personas.rep.pk
    for method, url, body in [
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/users", {"username": "nuevo"}),
        ("GET", f"/api/v1/users/{target}", None),
        ("PATCH", f"/api/v1/users/{target}", {"first_name": "X"}),
        ("GET", "/api/v1/departments", None),
        ("POST", "/api/v1/departments", {"name": "Nuevo"}),
        ("GET", "/api/v1/roles", None),
        ("PATCH", "/api/v1/roles/comercial", {"capabilities": ["contacts.delete"]}),
        ("GET", "/api/v1/capabilities", None),
    ]:
        response = call(client, method, url, headers, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["detail"] == "Only administrators can manage users and departments."
    personas.rep.refresh_from_db()
    assert personas.rep.first_name == "Rep"
    assert "contacts.delete" not in Role.objects.get(code="comercial").capabilities


def test_it_creates_a_user_with_role_and_departments(personas, client):
    dept = personas.departments["Mercadeo"]
    response = call(
        client, "POST", "/api/v1/users", bearer(personas.admin),
        {"username": "laura", "password": "Montaña-azul-77", "role": "mercadeo",
         "departments": [dept.pk], "first_name": "Laura", "last_name": "Ríos",
         "email": "laura@example.co", "language": "en"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "mercadeo"
    assert body["departments"] == [{"id": dept.pk, "name": "Mercadeo"}]
    assert body["full_name"] == "Laura Ríos"
    user = User.objects.get(username="laura")
    assert user.check_password("Montaña-azul-77")
    assert user.language == "en"


def test_it_reports_user_field_errors_in_english(personas, client):
    response = call(
        client, "POST", "/api/v1/users", bearer(personas.admin),
        {"username": "rep", "email": "no-es-correo", "role": "jefe", "departments": [999]},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Some fields are not valid.",
        "errors": {
            "email": ["Enter a valid email address."],
            "role": ["Unknown role “jefe”."],
            "departments": ["Unknown department: 999."],
        },
    }
    response = call(client, "POST", "/api/v1/users", bearer(personas.admin), {"username": "REP"})
    assert response.json()["errors"] == {"username": ["A user with that username already exists."]}


def test_it_reports_djangos_own_messages_in_spanish(personas, client):
    headers = bearer(personas.admin)
    response = call(
        client, "POST", "/api/v1/users", headers,
        {"username": "pedro", "password": "123", "email": "pedro@"}, lang="es",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "email": ["Introduzca una dirección de correo electrónico válida."]
    }
    response = call(
        client,
        "POST",
        "/api/v1/users",
        headers,
        {"username": "pedro", "password": "123"},
        lang="es",
    )
    assert response.json()["errors"]["password"] == [
        "La contraseña es demasiado corta. Debe contener por lo menos 8 caracteres.",
        "Esta contraseña es demasiado común.",
        "Esta contraseña es completamente numérica.",
    ]
    response = call(client, "POST", "/api/v1/users", headers, {"language": "fr"}, lang="es")
    assert response.json()["errors"] == {
        "username": ["Este campo es obligatorio."],
        "language": ["Escoja una opción válida. fr no es una de las opciones disponibles."],
    }


def test_it_refuses_unknown_fields(personas, client):
    response = call(
        client, "PATCH", f"/api/v1/users/{personas.rep.pk}", bearer(personas.admin),
        {"is_superuser": True},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"is_superuser": ["Unknown field."]}


def test_it_changes_a_users_role_and_departments(personas, client):
    dept = personas.departments["Comercial Medellín"]
    response = call(
        client, "PATCH", f"/api/v1/users/{personas.rep.pk}", bearer(personas.admin),
        {"role": "gerente", "departments": [dept.pk], "last_name": "Pérez"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["last_name"]) == ("gerente", "Pérez")
    assert body["departments"] == [{"id": dept.pk, "name": "Comercial Medellín"}]
    assert body["first_name"] == "Rep"  # untouched


def test_it_refuses_an_admin_deactivating_themselves(personas, client):
    response = call(
        client, "PATCH", f"/api/v1/users/{personas.admin.pk}", bearer(personas.admin),
        {"is_active": False},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"is_active": ["You cannot deactivate your own account."]}


def test_it_answers_404_for_an_unknown_user(personas, client):
    response = call(client, "GET", "/api/v1/users/99999", bearer(personas.admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found."}


# --- departments and roles -----------------------------------------------------------------


def test_it_manages_departments(personas, client, django_assert_max_num_queries):
    headers = bearer(personas.admin)
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(2):
        listed = call(client, "GET", "/api/v1/departments", headers).json()
    assert {d["name"]: d["member_count"] for d in listed}["Comercial Bogotá"] == 2
    gerencia = personas.departments["Gerencia"].pk
    created = call(
        client, "POST", "/api/v1/departments", headers, {"name": "Jurídica", "parent": gerencia}
    )
    assert created.status_code == 201
    dept = created.json()
    assert (dept["name"], dept["parent"]) == ("Jurídica", gerencia)
    clash = call(client, "POST", "/api/v1/departments", headers, {"name": "jurídica"})
    assert clash.json()["errors"] == {"name": ["A department with this name already exists."]}
    renamed = call(client, "PATCH", f"/api/v1/departments/{dept['id']}", headers, {"name": "Legal"})
    assert renamed.json()["name"] == "Legal"
    assert call(client, "DELETE", f"/api/v1/departments/{dept['id']}", headers).status_code == 204
    assert not Department.objects.filter(pk=dept["id"]).exists()
    assert call(client, "DELETE", f"/api/v1/departments/{dept['id']}", headers).status_code == 404


def test_it_keeps_departments_with_members(personas, client):
    dept = personas.departments["Mercadeo"]
    response = call(client, "DELETE", f"/api/v1/departments/{dept.pk}", bearer(personas.admin))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": ["Move the department's members elsewhere before deleting it."]
    }


def test_it_changes_a_role(personas, client, django_assert_max_num_queries):
    headers = bearer(personas.admin)
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(2):  # token, roles
        roles = call(client, "GET", "/api/v1/roles", headers).json()
    assert [r["code"] for r in roles][:2] == ["administrador", "gerente"]
    response = call(
        client, "PATCH", "/api/v1/roles/comercial", headers,
        {"visibility": "department", "capabilities": ["contacts.export", "contacts.write"]},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["visibility"] == "department"
    # Stored and shown in registration order, whatever order they were sent in.
    assert response.json()["capabilities"] == ["contacts.write", "contacts.export"]
    role = Role.objects.get(code="comercial")
    assert (role.visibility, role.capabilities) == (
        "department",
        ["contacts.write", "contacts.export"],
    )
    assert call(client, "PATCH", "/api/v1/roles/comercial", headers, {"name": "Ventas"}).json()[
        "capabilities"
    ] == ["contacts.write", "contacts.export"]


def test_it_lists_the_capabilities_in_the_request_language(personas, client):
    body = call(client, "GET", "/api/v1/capabilities", bearer(personas.admin), lang="es").json()
    by_code = {c["code"]: c for c in body}
    assert by_code["orders.manage_rates"]["label"] == "Gestionar tasas de cambio"
    assert by_code["orders.manage_rates"]["group"] == "Pedidos y costos de adquisición"
    assert next(iter(by_code)) == "accounts.manage_users"
    assert {"contacts.import", "analytics.view", "timeline.view_audit_log"} <= set(by_code)


def test_it_validates_role_changes(personas, client):
    headers = bearer(personas.admin)
    response = call(
        client, "PATCH", "/api/v1/roles/comercial", headers, {"visibility": "everyone"}, lang="es"
    )
    assert response.json()["errors"] == {
        "visibility": ["Escoja una opción válida. everyone no es una de las opciones disponibles."]
    }
    response = call(
        client,
        "PATCH",
        "/api/v1/roles/administrador",
        headers,
        {"capabilities": ["contacts.write"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "capabilities": ["The administrator role must keep user management."]
    }
    response = call(
        client, "PATCH", "/api/v1/roles/comercial", headers, {"capabilities": ["contacts.wirte"]}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"capabilities": ["Unknown capability: contacts.wirte."]}
    assert "accounts.manage_users" in Role.objects.get(code="administrador").capabilities
    assert call(client, "PATCH", "/api/v1/roles/jefe", headers, {}).status_code == 404
