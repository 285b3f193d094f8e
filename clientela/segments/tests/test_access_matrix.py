"""Access matrix of every route of the `segments` URLs.

Who may do what: every role that sees contacts opens segments and lists (the definitions are
shared) and sees, in counts, member lists, "why" and exports, only the contacts its role lets
it see; a contact outside that scope answers 404. Creating, changing and deleting segments and
editing lists needs `segments.manage` (admins, managers, marketing: 403 for the others);
exporting members needs `contacts.export`. The records are the admin's segments over Ana (rep's
contact) and Bruno (rep2's). Anonymous visitors are sent to the sign-in page (302).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from clientela.segments.tests.factories import VIP, ScreensWorld, build_screens_world
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                     admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "segments:list":              everyone(200),
    "segments:create":            row(200,  200,    403, 403, 403,      200,     403),
    "segments:list_create":       row(200,  200,    403, 403, 403,      200,     403),
    "segments:preview":           row(200,  200,    403, 403, 403,      200,     403),
    "segments:detail":            everyone(200),
    "segments:edit":              row(200,  200,    403, 403, 403,      200,     403),
    "segments:delete":            row(302,  302,    403, 403, 403,      302,     403),
    "segments:export":            row(200,  200,    403, 403, 403,      200,     403),
    "segments:why":               row(200,  200,    200, 404, 200,      200,     404),
    "segments:why_not":           everyone(200),
    "segments:save_as_list":      row(302,  302,    403, 403, 403,      302,     403),
    "segments:list_candidates":   row(200,  200,    403, 403, 403,      200,     403),
    "segments:list_add":          row(302,  302,    403, 403, 403,      302,     403),
    "segments:list_remove":       row(302,  302,    403, 403, 403,      302,     403),
    "segments:list_upload":       row(200,  200,    403, 403, 403,      200,     403),
}  # fmt: skip


REQUESTS: dict[str, Request] = {
    "segments:preview": Request("POST", data=lambda w: {"definition": json.dumps(VIP)}),
    "segments:delete": Request("POST", kwargs=lambda w: {"pk": w.uses_vip.pk}),
    "segments:export": Request(kwargs=lambda w: {"pk": w.vip.pk, "fmt": "csv"}),
    "segments:why": Request(kwargs=lambda w: {"pk": w.vip.pk, "contact_id": w.ana.pk}),
    "segments:why_not": Request(query=lambda w: "?q=ana"),
    "segments:save_as_list": Request("POST", data=lambda w: {"name": "Foto"}),
    "segments:list_candidates": Request(
        kwargs=lambda w: {"pk": w.feria.pk}, query=lambda w: "?q=bru"
    ),
    "segments:list_add": Request(
        "POST", kwargs=lambda w: {"pk": w.feria.pk}, data=lambda w: {"contact": w.bruno.pk}
    ),
    "segments:list_upload": Request(kwargs=lambda w: {"pk": w.feria.pk}),
    "segments:list_remove": Request(
        "POST", kwargs=lambda w: {"pk": w.feria.pk}, data=lambda w: {"contact": w.ana.pk}
    ),
}


def build_world(personas: Any) -> ScreensWorld:
    """The admin's segments and list over rep's Ana and rep2's Bruno."""
    return build_screens_world(personas)


def default_kwargs(world: ScreensWorld) -> dict[str, Any]:
    """The VIP segment for every route naming a segment."""
    return {"pk": world.vip.pk}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
