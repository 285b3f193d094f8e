"""Access matrix of every activities API operation, persona by persona.

Requests go against rep's contact and rep's task on it. Everyone lists the activities they may
see; reading one outside the reader's scope answers 404; creating and changing need
activities.write (the read-only colleague gets 403), changing someone else's activity needs
activities.assign too (the marketer sees rep's task but gets 403).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.activities.tests.factories import World, build_world
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

BASE = "/api/v1/activities"

#                                            admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {BASE}":                     api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {BASE}":                    api_row(201, 201, 201, 404, 403, 201, 404),
    f"GET {BASE}/{{activity_id}}":     api_row(200, 200, 200, 404, 200, 200, 404),
    f"PATCH {BASE}/{{activity_id}}":   api_row(200, 200, 200, 404, 403, 403, 404),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's task."""
    return {"activity_id": world.task.pk}


REQUESTS: dict[str, Request] = {
    f"POST {BASE}": Request(
        "POST",
        data=lambda w: {"subject": "Enviar el plano del lote", "contact": w.contact.pk},
    ),
    f"PATCH {BASE}/{{activity_id}}": Request("PATCH", data=lambda w: {"done": True}),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
