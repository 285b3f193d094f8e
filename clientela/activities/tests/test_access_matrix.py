"""Access matrix of every route of the activities URLs (My tasks, forms, notifications).

Requests go against rep's records (rep: sales, own records, "Comercial Bogotá"): rep's contact,
rep's task on it and rep's notification. Every role with activities.write (all but the
read-only colleague) logs and manages its own work; activities.assign (admin, manager) lets a
role change other people's. A record outside the reader's scope answers 404 (rep2 and the
service outsider do not see rep's contact); a visible record the role may not change, 403.
Notifications belong to their recipient alone: anybody else gets 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientela.activities import services
from clientela.activities.tests.factories import World, build_world
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                          admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "activities:my_tasks":               everyone(200),
    "activities:activity_create":        row(200,  200,    200, 404, 403,      200,     404),
    "activities:activity_edit":          row(200,  200,    200, 404, 403,      403,     404),
    "activities:activity_complete":      row(302,  302,    302, 404, 403,      403,     404),
    "activities:activity_reopen":        row(302,  302,    302, 404, 403,      403,     404),
    "activities:activity_delete":        row(302,  302,    302, 404, 403,      403,     404),
    "activities:contact_log":            row(302,  302,    302, 404, 403,      302,     404),
    "activities:notifications":          everyone(200),
    "activities:notification_open":      row(404,  404,    302, 404, 404,      404,     404),
    "activities:notifications_read_all": everyone(302),
    "activities:notification_badge":     everyone(200),
    "activities:calendar":               everyone(200),
    "activities:calendar_feed":          everyone(200),
    "activities:calendar_feed_revoke":   everyone(302),
    # The feed is opened by its secret token alone (rep's here), signed in or not.
    "activities_public:ical_feed":       everyone(200, anonymous=200),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's task, rep's contact and rep's notification."""
    return {
        "pk": world.task.pk,
        "contact_pk": world.contact.pk,
    }


REQUESTS: dict[str, Request] = {
    "activities:activity_create": Request(query=lambda w: f"?contact={w.contact.pk}"),
    "activities:activity_complete": Request("POST"),
    "activities:activity_reopen": Request("POST", kwargs=lambda w: {"pk": w.call.pk}),
    "activities:activity_delete": Request("POST"),
    "activities:contact_log": Request(
        "POST", data=lambda w: {"kind": "call", "subject": "Llamada", "outcome": "reached"}
    ),
    "activities:notification_open": Request("POST", kwargs=lambda w: {"pk": w.notification.pk}),
    "activities:notifications_read_all": Request("POST"),
    "activities:calendar_feed_revoke": Request("POST"),
    "activities_public:ical_feed": Request(
        kwargs=lambda w: {"token": services.regenerate_calendar_feed(actor=w.task.owner)}
    ),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
