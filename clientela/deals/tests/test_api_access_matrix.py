"""Access matrix of every pipelines and deals API operation, persona by persona.

Requests go against rep's deal in a pipeline open to everyone. Everyone lists pipelines and the
deals they may see; reading rep's deal outside the reader's scope answers 404 (rep2, the
service outsider); writing needs deals.write (the read-only colleague gets 403).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.deals.tests.factories import World, build_world
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals"
PIPELINES = "/api/v1/pipelines"

#                                               admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {PIPELINES}":                    api_row(200, 200, 200, 200, 200, 200, 200),
    f"GET {PIPELINES}/lost-reasons":       api_row(200, 200, 200, 200, 200, 200, 200),
    f"GET {PIPELINES}/{{pipeline_id}}":    api_row(200, 200, 200, 200, 200, 200, 200),
    f"GET {DEALS}":                        api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {DEALS}":                       api_row(201, 201, 201, 201, 403, 201, 201),
    f"GET {DEALS}/{{deal_id}}":            api_row(200, 200, 200, 404, 200, 200, 404),
    f"PATCH {DEALS}/{{deal_id}}":          api_row(200, 200, 200, 404, 403, 200, 404),
    f"POST {DEALS}/{{deal_id}}/move":      api_row(200, 200, 200, 404, 403, 200, 404),
    f"DELETE {DEALS}/{{deal_id}}":         api_row(204, 204, 204, 404, 403, 204, 404),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's deal and the pipeline it is in."""
    return {"deal_id": world.deal.pk, "pipeline_id": world.pipeline.pk}


REQUESTS: dict[str, Request] = {
    f"POST {DEALS}": Request(
        "POST", data=lambda w: {"title": "Lote 21 en Ocala", "pipeline": w.pipeline.pk}
    ),
    f"PATCH {DEALS}/{{deal_id}}": Request("PATCH", data=lambda w: {"attendance": "yes"}),
    f"POST {DEALS}/{{deal_id}}/move": Request("POST", data=lambda w: {"stage": w.next_stage.pk}),
    f"DELETE {DEALS}/{{deal_id}}": Request("DELETE"),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
