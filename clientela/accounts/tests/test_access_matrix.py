"""Access matrix of the account, audit and core screens, persona by persona.

ROUTE_MATRIX gives, for every route of the `accounts` and `timeline` namespaces, the core
routes (`core:home`, `core:home_panel`, `core:healthz`) and Django's public language switch
(`set_language`), the status each persona and the anonymous visitor get for a GET (or the
request REQUESTS describes). The coverage test in core
(clientela/core/tests/test_access_coverage.py) fails when a route is in no app's ROUTE_MATRIX.

Anonymous visitors are sent to the login page (302). Administration screens answer 404 to
every role without the manage_users capability, so their addresses stay undiscoverable.
POST-only actions answer 405 to a GET (after the 404 for those who may not use them).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.accounts import services
from clientela.contacts.models import CustomField
from clientela.testing.access import Request, check_rows, everyone, route_mismatches

pytestmark = pytest.mark.django_db


def admins_only(admin_status: int = 200) -> dict[str, int]:
    """Administrators get `admin_status`; every other role 404; visitors the login page."""
    return {**everyone(404), "admin": admin_status}


def audit_readers(status: int = 200) -> dict[str, int]:
    """Administrators and managers read the audit log; other roles get 404."""
    return {**everyone(404), "admin": status, "manager": status}


ROUTE_MATRIX: dict[str, dict[str, int]] = {
    # Public sign-in: signed-in users are sent on to the start page.
    "accounts:login": everyone(302, anonymous=200),
    # Without a pending password step the code page sends everyone back to sign-in.
    "accounts:login_verify": everyone(302, anonymous=302),
    "accounts:logout": everyone(405),
    "accounts:set_language": everyone(405),
    # Django's language switch of the public pages (the sign-in page's form posts here):
    # anyone may choose a language, and is sent back where `next` says.
    "set_language": everyone(302, anonymous=302),
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


REQUESTS: dict[str, Request] = {
    "set_language": Request("POST", data=lambda w: {"language": "en", "next": "/accounts/login/"}),
}


def build_world(personas: Any) -> dict[str, Any]:
    """A value for every URL parameter the routes take: rep, the service department, the
    sales role, a contact custom field and one of rep's tokens."""
    token, _raw = services.create_token(personas.rep, actor=personas.rep)
    field, _created = CustomField.objects.get_or_create(
        entity="contact",
        key="presupuesto",
        defaults={"label_es": "Presupuesto", "field_type": "text"},
    )
    return {
        "user_id": personas.rep.pk,
        "department_id": personas.departments["Servicio"].pk,
        "role_id": personas.roles["comercial"].pk,
        "field_id": field.pk,
        "token_id": token.pk,
    }


def url_arguments(world: dict[str, Any]) -> dict[str, Any]:
    """The world is the URL arguments."""
    return world


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, url_arguments)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
