"""Access matrix of the campaign screens.

`campaigns.view`, `campaigns.manage` and `campaigns.send` go to administrators, managers and
marketing by default: everyone else finds no campaign screens (404). Images in e-mails are
public (mail clients load them signed out).
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.campaigns.tests.factories import ScreensWorld, build_screens_world, png_bytes
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                       admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "campaigns:list":               row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:create":             row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:detail":             row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:edit":               row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:delete":             row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:send":               row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:pause":              row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:resume":             row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:cancel":             row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:progress":           row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:report":             row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:report_export":      row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:report_contacts":    row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:report_save_list":   row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:templates":          row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:template_create":    row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:template_edit":      row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:template_delete":    row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:template_preview":   row(200,  200,    404, 404, 404,      200,     404),
    "campaigns:template_test":      row(302,  302,    404, 404, 404,      302,     404),
    "campaigns:image_upload":       row(302,  302,    404, 404, 404,      302,     404),
    "campaigns_public:image":       everyone(200, anonymous=200),
}  # fmt: skip


def _upload(world: ScreensWorld) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"image": SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")}


REQUESTS = {
    "campaigns:delete": Request("POST"),
    "campaigns:send": Request("POST", data=lambda w: {"schedule_mode": "now"}),
    "campaigns:pause": Request("POST"),
    "campaigns:resume": Request("POST"),
    "campaigns:cancel": Request("POST"),
    "campaigns:report_save_list": Request(
        "POST", data=lambda w: {"name": "Abrieron", "metric": "opened"}
    ),
    "campaigns:template_delete": Request("POST", kwargs=lambda w: {"pk": w.template.pk}),
    "campaigns:template_edit": Request("GET", kwargs=lambda w: {"pk": w.template.pk}),
    "campaigns:template_preview": Request("GET", kwargs=lambda w: {"pk": w.template.pk}),
    "campaigns:template_test": Request("POST", kwargs=lambda w: {"pk": w.template.pk}),
    "campaigns:image_upload": Request("POST", data=_upload),
    "campaigns:report_export": Request("GET", kwargs=lambda w: {"pk": w.campaign.pk, "fmt": "csv"}),
    "campaigns_public:image": Request(
        "GET", kwargs=lambda w: {"token": w.image.token, "extension": w.image.extension}
    ),
}


def build_world(personas: Any) -> ScreensWorld:
    """A template, a draft campaign to a small audience, and an uploaded image."""
    return build_screens_world(personas)


def default_kwargs(world: ScreensWorld) -> dict[str, Any]:
    """The draft campaign for every route taking a pk."""
    return {"pk": world.campaign.pk}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
