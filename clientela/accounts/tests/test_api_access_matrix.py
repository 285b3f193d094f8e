"""Access matrix of every accounts API operation (me, users, departments, roles, tokens).

API_MATRIX gives the status each persona's bearer token gets; a visitor without a token gets
401. Users, departments and roles are managed by administrators only (403 for the others:
the API names the missing right, the screens hide their addresses with 404). Tokens are each
user's own: revoking somebody else's token answers 404, to administrators too.
The coverage test in core fails when an API operation is in no app's API_MATRIX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clientela.accounts import services
from clientela.accounts.models import ApiToken, Department, User
from clientela.accounts.tests.factories import DepartmentFactory
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db


def admins(status: int) -> dict[str, int]:
    """Administrators get `status`, every other role 403."""
    return api_row(status, 403, 403, 403, 403, 403, 403)


#                                                    admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    "GET /api/v1/me":                              api_row(200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/users":                           admins(200),
    "POST /api/v1/users":                          admins(201),
    "GET /api/v1/users/{user_id}":                 admins(200),
    "PATCH /api/v1/users/{user_id}":               admins(200),
    "GET /api/v1/departments":                     admins(200),
    "POST /api/v1/departments":                    admins(201),
    "PATCH /api/v1/departments/{department_id}":   admins(200),
    "DELETE /api/v1/departments/{department_id}":  admins(204),
    "GET /api/v1/roles":                           admins(200),
    "GET /api/v1/capabilities":                    admins(200),
    "PATCH /api/v1/roles/{code}":                  admins(200),
    "GET /api/v1/tokens":                          api_row(200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/tokens":                         api_row(201, 201, 201, 201, 201, 201, 201),
    # The token belongs to rep: the API manages the caller's own tokens only, so everybody
    # else, administrators included, gets 404 (administrators revoke others' on the screens).
    "DELETE /api/v1/tokens/{token_id}":            api_row(404, 404, 204, 404, 404, 404, 404),
}  # fmt: skip


@dataclass
class World:
    """What the operations are sent against; each persona gets a fresh one."""

    user: User
    department: Department
    token: ApiToken


_SEQUENCE = iter(range(1_000_000))

REQUESTS: dict[str, Request] = {
    "POST /api/v1/users": Request(
        data=lambda w: {
            "username": f"nuevo{next(_SEQUENCE)}",
            "password": "Clave-segura-2026",
            "first_name": "Nuevo",
            "role": "comercial",
        }
    ),
    "PATCH /api/v1/users/{user_id}": Request(data=lambda w: {"last_name": "Gómez"}),
    "POST /api/v1/departments": Request(data=lambda w: {"name": f"Ventas {next(_SEQUENCE)}"}),
    "PATCH /api/v1/departments/{department_id}": Request(
        data=lambda w: {"name": f"Postventa {next(_SEQUENCE)}"}
    ),
    "PATCH /api/v1/roles/{code}": Request(data=lambda w: {"name": "Comercial"}),
    "POST /api/v1/tokens": Request(data=lambda w: {"name": "Integración"}),
}


def default_kwargs(world: World) -> dict[str, Any]:
    """Path parameters: rep, an empty department, the sales role and rep's token."""
    return {
        "user_id": world.user.pk,
        "department_id": world.department.pk,
        "code": "comercial",
        "token_id": world.token.pk,
    }


def build_world(personas: Any) -> World:
    """Rep, an empty department that may be deleted, and one of rep's tokens."""
    department = DepartmentFactory.create(name=f"Temporal {next(_SEQUENCE)}")
    token, _raw = services.create_token(personas.rep, actor=personas.rep)
    return World(personas.rep, department, token)


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
