"""Access-control matrix of the account, audit and core screens.

Every URL pattern of the `accounts` and `timeline` namespaces (plus `core:home`,
`core:home_panel` and `core:healthz`) must appear in ACCOUNTS_ROUTE_MATRIX with the status
each persona gets for a GET; a new route missing from the table fails
`test_it_covers_every_route`.

Anonymous visitors are sent to the login page (302). Administration screens answer 404 to
every role without the manage_users capability, so their addresses stay undiscoverable.
POST-only actions answer 405 to a GET (after the 404 for those who may not use them).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientela.accounts import services
from clientela.contacts.models import CustomField

PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider", "anonymous")
SIGNED_IN = PERSONAS[:-1]


def everyone(status: int, anonymous: int = 302) -> dict[str, int]:
    """The same status for every signed-in persona, and `anonymous` for visitors."""
    return {**dict.fromkeys(SIGNED_IN, status), "anonymous": anonymous}


def admins_only(admin_status: int = 200) -> dict[str, int]:
    """Administrators get `admin_status`; every other role 404; visitors the login page."""
    return {**everyone(404), "admin": admin_status}


def audit_readers(status: int = 200) -> dict[str, int]:
    """Administrators and managers read the audit log; other roles get 404."""
    return {**everyone(404), "admin": status, "manager": status}


ACCOUNTS_ROUTE_MATRIX: dict[str, dict[str, int]] = {
    # Public sign-in: signed-in users are sent on to the start page.
    "accounts:login": everyone(302, anonymous=200),
    # Without a pending password step the code page sends everyone back to sign-in.
    "accounts:login_verify": everyone(302, anonymous=302),
    "accounts:logout": everyone(405),
    "accounts:set_language": everyone(405),
    "accounts:profile": everyone(200),
    "accounts:password_change": everyone(405),
    "accounts:totp_setup": everyone(200),
    "accounts:totp_disable": everyone(405),
    "accounts:token_create": everyone(405),
    "accounts:token_revoke": everyone(405),
    "core:home_panel": everyone(200),
    "accounts:user_list": admins_only(),
    "accounts:user_create": admins_only(),
    "accounts:user_edit": admins_only(),
    "accounts:user_password": admins_only(405),
    "accounts:department_list": admins_only(),
    "accounts:department_edit": admins_only(),
    "accounts:department_delete": admins_only(405),
    "accounts:role_list": admins_only(),
    "accounts:role_edit": admins_only(),
    # Moved to contacts: administrators are redirected there, everyone else still gets 404.
    "accounts:custom_field_list": admins_only(301),
    "accounts:custom_field_create": admins_only(301),
    "accounts:custom_field_edit": admins_only(301),
    "timeline:audit_log": audit_readers(),
    "timeline:audit_export": audit_readers(),
    "core:home": everyone(200),
    "core:healthz": everyone(200, anonymous=200),
}

COVERED_NAMESPACES = ("accounts", "timeline")
EXTRA_ROUTES = ("core:home", "core:home_panel", "core:healthz")


def _walk(patterns: list[Any], namespace: str = "") -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
            found.update(_walk(entry.url_patterns, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[f"{namespace}:{entry.name}" if namespace else entry.name] = entry
    return found


def covered_routes() -> dict[str, URLPattern]:
    """Named routes of the covered namespaces plus the extra core routes."""
    routes = _walk(get_resolver().url_patterns)
    return {
        name: pattern
        for name, pattern in routes.items()
        if name.split(":")[0] in COVERED_NAMESPACES or name in EXTRA_ROUTES
    }


def test_it_covers_every_route() -> None:
    routes = set(covered_routes())
    missing = sorted(routes - set(ACCOUNTS_ROUTE_MATRIX))
    stale = sorted(set(ACCOUNTS_ROUTE_MATRIX) - routes)
    assert not missing, f"add these routes to ACCOUNTS_ROUTE_MATRIX: {missing}"
    assert not stale, f"these matrix entries match no route: {stale}"
    for name, expected in ACCOUNTS_ROUTE_MATRIX.items():
        assert set(expected) == set(PERSONAS), name


@pytest.fixture
def route_args(personas: SimpleNamespace) -> dict[str, Any]:
    """A value for every URL parameter the covered routes take."""
    token, _raw = services.create_token(personas.rep, actor=personas.rep)
    field = CustomField.objects.create(
        entity="contact", key="presupuesto", label_es="Presupuesto", field_type="text"
    )
    return {
        "user_id": personas.rep.pk,
        "department_id": personas.departments["Servicio"].pk,
        "role_id": personas.roles["comercial"].pk,
        "field_id": field.pk,
        "token_id": token.pk,
    }


@pytest.mark.parametrize("route", sorted(ACCOUNTS_ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(
    route: str, personas: SimpleNamespace, route_args: dict[str, Any]
) -> None:
    pattern = covered_routes()[route]
    converters = getattr(pattern.pattern, "converters", {})
    url = reverse(route, kwargs={name: route_args[name] for name in converters})
    wrong = {}
    for persona in PERSONAS:
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(personas, persona))
        status = client.get(url).status_code
        if status != ACCOUNTS_ROUTE_MATRIX[route][persona]:
            wrong[persona] = status
    assert not wrong, f"{route} ({url}) answered {wrong}"
