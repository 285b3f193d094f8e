"""Access matrix of the tracking routes.

The tracked-sites screens need `tracking.manage_sites` (administrators and marketing by
default): everyone else gets 404, the screen does not exist for them. The script, the site's
consent mode and the ingest are public by design (the ingest answers a form post, which is
not a batch, with 400).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row
from clientela.tracking.tests.factories import TrackedSiteFactory

pytestmark = pytest.mark.django_db

#                                  admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "tracking:script":        everyone(200, anonymous=200),
    "tracking:site_config":   everyone(200, anonymous=200),
    "tracking:events":        everyone(400, anonymous=400),
    "tracking:site_list":     row(200,  404,    404, 404, 404,      200,     404),
    "tracking:site_create":   row(200,  404,    404, 404, 404,      200,     404),
    "tracking:site_edit":     row(200,  404,    404, 404, 404,      200,     404),
}  # fmt: skip

REQUESTS = {
    "tracking:events": Request("POST", data=lambda w: {"site": w.site.key}),
}


def build_world(personas):
    return SimpleNamespace(site=TrackedSiteFactory.create())


def default_kwargs(world):
    return {"pk": world.site.pk, "key": world.site.key}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route, personas) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
