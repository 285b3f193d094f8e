"""Who may use each web forms API operation: `webforms.manage` (administrators and marketing
by default), 403 for everyone else; the public submit answers anyone (400 without a token)."""

from __future__ import annotations

from typing import Any

import pytest

from clientela.testing.access import Request, api_mismatches, api_row, check_rows, row
from clientela.webforms.models import Form
from clientela.webforms.tests.factories import SubmissionFactory, webinar_form

pytestmark = pytest.mark.django_db

BASE = "/api/v1/forms"

#                                               admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {BASE}":                              api_row(200, 403, 403, 403, 403, 200, 403),
    f"POST {BASE}":                             api_row(201, 403, 403, 403, 403, 201, 403),
    f"GET {BASE}/{{form_id}}":                  api_row(200, 403, 403, 403, 403, 200, 403),
    f"PATCH {BASE}/{{form_id}}":                api_row(200, 403, 403, 403, 403, 200, 403),
    f"GET {BASE}/{{form_id}}/submissions":      api_row(200, 403, 403, 403, 403, 200, 403),
    "POST /f/{public_id}":                      row(400, 400, 400, 400, 400, 400, 400, anonymous=400),
}  # fmt: skip

REQUESTS = {
    f"POST {BASE}": Request("POST", data=lambda w: {"name": "Webinar"}),
    f"PATCH {BASE}/{{form_id}}": Request("PATCH", data=lambda w: {"name": "Webinar junio"}),
    "POST /f/{public_id}": Request("POST", data=lambda w: {"email": "ana@example.co"}),
}


def build_world(personas: Any) -> Form:
    """Build a published webinar form with one submission."""
    form = webinar_form()
    SubmissionFactory.create(form=form)
    return form


def default_kwargs(world: Form) -> dict[str, Any]:
    """Return the path parameters."""
    return {"form_id": world.pk, "public_id": world.public_id}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request("GET"))
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
