"""Access matrix of every templates and campaigns API operation.

Reading needs `campaigns.view`; writing templates and campaigns `campaigns.manage`; sending,
scheduling, pausing, resuming and cancelling `campaigns.send` (administrators, managers and
marketing by default). Without `campaigns.view` a template or campaign does not exist for the
caller (404), and lists are empty; creating answers 403. Pausing, resuming or cancelling a
draft is a conflict (409).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.campaigns.tests.factories import ScreensWorld, build_screens_world
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db

T = "/api/v1/templates"
C = "/api/v1/campaigns"

#                                                      admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {T}":                                    api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {T}":                                   api_row(201, 201, 403, 403, 403, 201, 403),
    f"GET {T}/{{template_id}}":                    api_row(200, 200, 404, 404, 404, 200, 404),
    f"PATCH {T}/{{template_id}}":                  api_row(200, 200, 404, 404, 404, 200, 404),
    f"GET {C}":                                    api_row(200, 200, 200, 200, 200, 200, 200),
    f"POST {C}":                                   api_row(201, 201, 403, 403, 403, 201, 403),
    f"GET {C}/{{campaign_id}}":                    api_row(200, 200, 404, 404, 404, 200, 404),
    f"PATCH {C}/{{campaign_id}}":                  api_row(200, 200, 404, 404, 404, 200, 404),
    f"POST {C}/{{campaign_id}}/send":              api_row(200, 200, 404, 404, 404, 200, 404),
    f"POST {C}/{{campaign_id}}/schedule":          api_row(200, 200, 404, 404, 404, 200, 404),
    f"POST {C}/{{campaign_id}}/pause":             api_row(409, 409, 404, 404, 404, 409, 404),
    f"POST {C}/{{campaign_id}}/resume":            api_row(409, 409, 404, 404, 404, 409, 404),
    f"POST {C}/{{campaign_id}}/cancel":            api_row(409, 409, 404, 404, 404, 409, 404),
    f"GET {C}/{{campaign_id}}/stats":              api_row(200, 200, 404, 404, 404, 200, 404),
}  # fmt: skip

REQUESTS: dict[str, Request] = {
    f"POST {T}": Request(
        "POST",
        data=lambda w: {
            "name": "Promoción",
            "subject_es": "Hola {{ contacto.nombre }}",
            "blocks_es": [{"type": "text", "text": "Oferta"}],
        },
    ),
    f"PATCH {T}/{{template_id}}": Request("PATCH", data=lambda w: {"name": "Boletín de mayo"}),
    f"POST {C}": Request(
        "POST",
        data=lambda w: {
            "name": "Mayo",
            "template": w.template.pk,
            "segments": [w.audience.segment.pk],
        },
    ),
    f"PATCH {C}/{{campaign_id}}": Request("PATCH", data=lambda w: {"name": "Mayo 2026"}),
    f"POST {C}/{{campaign_id}}/send": Request("POST"),
    f"POST {C}/{{campaign_id}}/schedule": Request(
        "POST", data=lambda w: {"at": "2099-05-01T09:00:00-05:00"}
    ),
    f"POST {C}/{{campaign_id}}/pause": Request("POST"),
    f"POST {C}/{{campaign_id}}/resume": Request("POST"),
    f"POST {C}/{{campaign_id}}/cancel": Request("POST"),
}


def build_world(personas: Any) -> ScreensWorld:
    """A template, a draft campaign to a small audience, and an uploaded image."""
    return build_screens_world(personas)


def default_kwargs(world: ScreensWorld) -> dict[str, Any]:
    """The template and the draft campaign."""
    return {"template_id": world.template.pk, "campaign_id": world.campaign.pk}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
