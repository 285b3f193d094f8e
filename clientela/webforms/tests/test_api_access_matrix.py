"""Who may use each web forms API operation.

Forms, landing pages and lead sources need `webforms.manage` (administrators and marketing by
default), routing rules `webforms.route_leads` (administrators and managers); everyone else
gets 403. The public endpoints (the form post, the inbound lead webhooks) answer anyone the
same, token or not: the form post refuses a post without a render token (400), a webhook an
unsigned request (403), and take a correct one (the Meta handshake, a Google lead with its
key) from anyone.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from clientela.testing.access import Request, api_mismatches, api_row, check_rows, row
from clientela.webforms.choices import LeadSourceKind
from clientela.webforms.tests.factories import (
    AssignmentRuleFactory,
    LandingPageFactory,
    LeadSourceFactory,
    SubmissionFactory,
    webinar_form,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/forms"
PAGES = "/api/v1/pages"
SOURCES = "/api/v1/lead-sources"
RULES = "/api/v1/routing-rules"

#                                               admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    f"GET {BASE}":                              api_row(200, 403, 403, 403, 403, 200, 403),
    f"POST {BASE}":                             api_row(201, 403, 403, 403, 403, 201, 403),
    f"GET {BASE}/{{form_id}}":                  api_row(200, 403, 403, 403, 403, 200, 403),
    f"PATCH {BASE}/{{form_id}}":                api_row(200, 403, 403, 403, 403, 200, 403),
    f"GET {BASE}/{{form_id}}/submissions":      api_row(200, 403, 403, 403, 403, 200, 403),
    f"GET {PAGES}":                             api_row(200, 403, 403, 403, 403, 200, 403),
    f"POST {PAGES}":                            api_row(201, 403, 403, 403, 403, 201, 403),
    f"GET {PAGES}/{{page_id}}":                 api_row(200, 403, 403, 403, 403, 200, 403),
    f"PATCH {PAGES}/{{page_id}}":               api_row(200, 403, 403, 403, 403, 200, 403),
    f"GET {SOURCES}":                           api_row(200, 403, 403, 403, 403, 200, 403),
    f"POST {SOURCES}":                          api_row(201, 403, 403, 403, 403, 201, 403),
    f"GET {SOURCES}/{{source_id}}":             api_row(200, 403, 403, 403, 403, 200, 403),
    f"PATCH {SOURCES}/{{source_id}}":           api_row(200, 403, 403, 403, 403, 200, 403),
    f"DELETE {SOURCES}/{{source_id}}":          api_row(204, 403, 403, 403, 403, 204, 403),
    f"GET {RULES}":                             api_row(200, 200, 403, 403, 403, 403, 403),
    f"POST {RULES}":                            api_row(201, 201, 403, 403, 403, 403, 403),
    f"GET {RULES}/{{rule_id}}":                 api_row(200, 200, 403, 403, 403, 403, 403),
    f"PATCH {RULES}/{{rule_id}}":               api_row(200, 200, 403, 403, 403, 403, 403),
    f"DELETE {RULES}/{{rule_id}}":              api_row(204, 204, 403, 403, 403, 403, 403),
    f"POST {RULES}/{{rule_id}}/move":           api_row(200, 200, 403, 403, 403, 403, 403),
    "POST /f/{public_id}":                      row(400, 400, 400, 400, 400, 400, 400, anonymous=400),
    "GET /hooks/meta/{public_id}":              row(200, 200, 200, 200, 200, 200, 200, anonymous=200),
    "POST /hooks/meta/{public_id}":             row(403, 403, 403, 403, 403, 403, 403, anonymous=403),
    "POST /hooks/google/{public_id}":           row(200, 200, 200, 200, 200, 200, 200, anonymous=200),
    "POST /hooks/json/{public_id}":             row(403, 403, 403, 403, 403, 403, 403, anonymous=403),
}  # fmt: skip


def _handshake(world: Any) -> str:
    token = world.meta.verify_token
    return f"?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=4242"


def _google_lead(world: Any) -> dict[str, Any]:
    return {"lead_id": f"lead-{world.google.pk}", "google_key": world.google.secret,
            "user_column_data": [{"column_id": "FULL_NAME", "string_value": "Pedro Ruiz"},
                                 {"column_id": "EMAIL", "string_value": "pedro@example.co"}]}  # fmt: skip


REQUESTS = {
    f"POST {BASE}": Request("POST", data=lambda w: {"name": "Webinar"}),
    f"PATCH {BASE}/{{form_id}}": Request("PATCH", data=lambda w: {"name": "Webinar junio"}),
    f"POST {PAGES}": Request(
        "POST", data=lambda w: {"slug": f"webinar-{w.page.pk}-nueva", "title_es": "Webinar"}
    ),
    f"PATCH {PAGES}/{{page_id}}": Request("PATCH", data=lambda w: {"title_es": "Webinar junio"}),
    f"POST {SOURCES}": Request(
        "POST", data=lambda w: {"name": "Meta Ads", "kind": "meta", "form_id": w.form.pk}
    ),
    f"PATCH {SOURCES}/{{source_id}}": Request("PATCH", data=lambda w: {"name": "Meta junio"}),
    f"DELETE {SOURCES}/{{source_id}}": Request("DELETE"),
    f"POST {RULES}": Request(
        "POST",
        data=lambda w: {
            "name": "Resto",
            "strategy": "fixed",
            "fixed_owner_id": w.rep_id,
            "task_es": "Llamar",
        },
    ),
    f"PATCH {RULES}/{{rule_id}}": Request("PATCH", data=lambda w: {"sla_hours": 8}),
    f"DELETE {RULES}/{{rule_id}}": Request("DELETE"),
    f"POST {RULES}/{{rule_id}}/move": Request("POST", data=lambda w: {"direction": "down"}),
    "POST /f/{public_id}": Request("POST", data=lambda w: {"email": "ana@example.co"}),
    "GET /hooks/meta/{public_id}": Request(
        "GET", kwargs=lambda w: {"public_id": w.meta.public_id}, query=_handshake
    ),
    "POST /hooks/meta/{public_id}": Request(
        "POST", kwargs=lambda w: {"public_id": w.meta.public_id}, data=lambda w: {"object": "page"}
    ),
    "POST /hooks/google/{public_id}": Request(
        "POST", kwargs=lambda w: {"public_id": w.google.public_id}, data=_google_lead
    ),
    "POST /hooks/json/{public_id}": Request(
        "POST", kwargs=lambda w: {"public_id": w.json.public_id}, data=lambda w: {"id": "x"}
    ),
}


def build_world(personas: Any) -> SimpleNamespace:
    """Build a published webinar form with one submission, a page, three sources, a rule."""
    form = webinar_form()
    SubmissionFactory.create(form=form)
    page = LandingPageFactory.create()
    rule = AssignmentRuleFactory.create(criteria={"forms": [form.public_id]})
    rule.members.add(personas.rep)
    return SimpleNamespace(
        form=form,
        page=page,
        rule=rule,
        rep_id=personas.rep.pk,
        meta=LeadSourceFactory.create(form=form),
        google=LeadSourceFactory.create(form=form, kind=LeadSourceKind.GOOGLE),
        json=LeadSourceFactory.create(form=form, kind=LeadSourceKind.WEBHOOK),
    )


def default_kwargs(world: SimpleNamespace) -> dict[str, Any]:
    """Return the path parameters."""
    return {
        "form_id": world.form.pk,
        "public_id": world.form.public_id,
        "page_id": world.page.pk,
        "source_id": world.meta.pk,
        "rule_id": world.rule.pk,
    }


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request("GET"))
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
