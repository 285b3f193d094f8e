"""Access matrix of every route of the deals URLs (board, list, deal, settings).

Requests go against rep's deal (rep: sales, own records, "Comercial Bogotá") in a pipeline open
to everyone. deals.write (every role but the read-only colleague) creates, changes and moves the
deals a role sees; rep2 and the service outsider do not see rep's deal (404); the colleague sees
it (same department) but may not change it (403). Exporting and the pipeline settings are for
administrators and managers (deals.export, deals.manage_pipelines).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from clientela.deals.import_jobs import start_deal_import
from clientela.deals.tests.factories import StageRuleFactory, World, build_world
from clientela.testing.access import Request, check_rows, everyone, route_mismatches, row

pytestmark = pytest.mark.django_db

#                                      admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "deals:board":                   everyone(302),
    "deals:pipeline_board":          everyone(200),
    "deals:board_column":            everyone(200),
    "deals:quick_create":            row(302,  302,    302, 302, 403,      302,     302),
    "deals:deal_list":               everyone(200),
    "deals:deal_export":             row(200,  200,    403, 403, 403,      403,     403),
    "deals:deal_create":             row(200,  200,    200, 200, 403,      200,     200),
    "deals:deal_detail":             row(200,  200,    200, 404, 200,      200,     404),
    "deals:deal_edit":               row(200,  200,    200, 404, 403,      200,     404),
    "deals:deal_move":               row(302,  302,    302, 404, 403,      302,     404),
    "deals:deal_delete":             row(302,  302,    302, 404, 403,      302,     404),
    "deals:deal_next_step":          row(302,  302,    302, 404, 403,      302,     404),
    "deals:deal_line_add":           row(302,  302,    302, 404, 403,      302,     404),
    "deals:deal_line_remove":        row(302,  302,    302, 404, 403,      302,     404),
    "deals:pipeline_list":           row(200,  200,    403, 403, 403,      403,     403),
    "deals:pipeline_edit":           row(200,  200,    403, 403, 403,      403,     403),
    "deals:stage_add":               row(302,  302,    403, 403, 403,      403,     403),
    "deals:stage_edit":              row(302,  302,    403, 403, 403,      403,     403),
    "deals:stage_remove":            row(302,  302,    403, 403, 403,      403,     403),
    "deals:stage_rule_add":          row(302,  302,    403, 403, 403,      403,     403),
    "deals:stage_rule_remove":       row(302,  302,    403, 403, 403,      403,     403),
    "deals:lost_reason_add":         row(302,  302,    403, 403, 403,      403,     403),
    "deals:lost_reason_toggle":      row(302,  302,    403, 403, 403,      403,     403),
    # Deal imports need deals.import (403 otherwise); the manager's draft is theirs and, for
    # the administrator, one of everyone's imports.
    "deals:import_start":            row(200,  200,    403, 403, 403,      403,     403),
    "deals:import_job":              row(302,  302,    403, 403, 403,      403,     403),
    "deals:import_mapping":          row(200,  200,    403, 403, 403,      403,     403),
    "deals:import_preview":          row(200,  200,    403, 403, 403,      403,     403),
    "deals:import_job_progress":     row(200,  200,    403, 403, 403,      403,     403),
    "deals:import_rejects":          row(200,  200,    403, 403, 403,      403,     403),
}  # fmt: skip


def default_kwargs(world: World) -> dict[str, Any]:
    """Rep's deal, and the export's format."""
    return {"pk": world.deal.pk, "fmt": "csv"}


def _pipeline(world: World) -> dict[str, Any]:
    return {"pk": world.pipeline.pk}


def _stage(world: World) -> dict[str, Any]:
    return {"pk": world.pipeline.pk, "stage_pk": world.next_stage.pk}


def _deal_import(world: World) -> dict[str, Any]:
    """A draft deal import started by the manager."""
    assert world.importer is not None
    job = start_deal_import(
        actor=world.importer,
        upload=io.BytesIO(b"Titulo;Monto\r\nLote 70;100\r\n"),
        filename="negocios.csv",
    )
    return {"job_id": job.pk}


REQUESTS: dict[str, Request] = {
    **{
        name: Request(kwargs=_deal_import)
        for name in (
            "deals:import_job",
            "deals:import_mapping",
            "deals:import_preview",
            "deals:import_job_progress",
            "deals:import_rejects",
        )
    },
    "deals:pipeline_board": Request(kwargs=_pipeline),
    "deals:board_column": Request(kwargs=_stage),
    "deals:quick_create": Request(
        "POST", kwargs=_pipeline, data=lambda w: {"title": "Lote 9", "stage": w.next_stage.pk}
    ),
    "deals:deal_move": Request("POST", data=lambda w: {"stage": w.next_stage.pk}),
    "deals:deal_delete": Request("POST"),
    "deals:deal_next_step": Request("POST", data=lambda w: {"subject": "Llamar mañana"}),
    "deals:deal_line_add": Request(
        "POST", data=lambda w: {"description": "Escrituración", "quantity": "1", "unit_price": "9"}
    ),
    "deals:deal_line_remove": Request(
        "POST", kwargs=lambda w: {"pk": w.deal.pk, "line_pk": w.line.pk}
    ),
    "deals:pipeline_list": Request(),
    "deals:pipeline_edit": Request(kwargs=_pipeline),
    "deals:stage_add": Request(
        "POST",
        kwargs=_pipeline,
        data=lambda w: {"name": "Visita", "probability": 30, "kind": "open"},
    ),
    "deals:stage_edit": Request(
        "POST",
        kwargs=_stage,
        data=lambda w: {"name": "Agendada", "probability": 30, "kind": "open"},
    ),
    "deals:stage_remove": Request("POST", kwargs=_stage, data=lambda w: {}),
    "deals:stage_rule_add": Request(
        "POST",
        kwargs=_pipeline,
        data=lambda w: {
            "stage": w.next_stage.pk,
            "subject": "Llamar",
            "due_hours": 24,
            "priority": "normal",
        },
    ),
    "deals:stage_rule_remove": Request(
        "POST",
        kwargs=lambda w: {
            "pk": w.pipeline.pk,
            "rule_pk": StageRuleFactory.create(stage=w.next_stage).pk,
        },
    ),
    "deals:lost_reason_add": Request("POST", data=lambda w: {"name": "Sin visa"}),
    "deals:lost_reason_toggle": Request("POST", kwargs=lambda w: {"pk": w.reason.pk}),
}


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
