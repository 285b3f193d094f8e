"""The sales screens, the plan grid, the exports and the funnel API, as users meet them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.testing import client_for
from clientela.deals.tests.factories import real_estate_pipeline, stage_named
from clientela.sales import services
from clientela.sales.models import SalesTarget
from clientela.sales.tests.factories import build_sales_world, deal_on_path
from clientela.testing.access import bearer_headers
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

OPENED = timezone.now() - dt.timedelta(days=20)


def test_the_overview_shows_the_funnel_with_links_to_the_deals_behind_each_step(client, personas):
    world = build_sales_world(personas)
    signed = client_for(client, personas.manager)

    page = signed.get(reverse("sales:overview"), {"pipeline": world.pipeline.pk})

    html = page.content.decode()
    assert page.status_code == 200
    agendado = stage_named(world.pipeline, "Agendado")
    assert f'data-stage="{agendado.pk}"' in html
    assert f"reached={agendado.pk}" in html
    drill = signed.get(
        reverse("deals:deal_list"),
        {"pipeline": world.pipeline.pk, "reached": agendado.pk,
         "created_from": (OPENED - dt.timedelta(days=1)).date().isoformat()},
    )  # fmt: skip
    assert list(drill.context["page"].rows) == [world.rep_deal]
    assert "sales reports" in drill.content.decode()


def test_a_rep_reads_only_their_own_numbers(client, personas):
    world = build_sales_world(personas)
    signed = client_for(client, personas.rep2)

    query = {"pipeline": world.pipeline.pk}
    overview = signed.get(reverse("sales:overview"), {"by": "owner", **query})
    plan = signed.get(reverse("sales:plan"), query)

    assert [r.won + r.lost for _l, r, _w, _x in overview.context["rates"]] == [1]
    assert overview.context["funnel"][0][0].reached == 1
    assert [row.owner for row, _link in plan.context["rows"]] == [personas.rep2]
    assert plan.context["plan_form"] is None
    assert world.rep_deal.title not in overview.content.decode()


def test_a_manager_sets_targets_in_the_grid_and_the_change_is_audited(client, personas):
    world = build_sales_world(personas)
    signed = client_for(client, personas.manager)
    month = timezone.localdate().replace(day=1)
    url = f"{reverse('sales:plan')}?pipeline={world.pipeline.pk}&month={month:%Y-%m}"

    response = signed.post(url, {
        f"amount_{personas.rep.pk}": "150000000", f"deals_{personas.rep.pk}": "6",
        f"amount_{personas.rep2.pk}": "80000000.50", f"deals_{personas.rep2.pk}": "3",
    })  # fmt: skip

    assert response.status_code == 302, response.context["plan_form"].errors
    targets = {t.owner_id: (t.amount, t.deals) for t in SalesTarget.objects.filter(month=month)}
    assert targets == {
        personas.rep.pk: (Decimal("150000000.00"), 6),
        personas.rep2.pk: (Decimal("80000000.50"), 3),
    }
    assert Event.objects.filter(verb="sales_plan_changed", actor=personas.manager).count() == 1


def test_the_grid_names_the_field_that_is_wrong(client, personas):
    world = build_sales_world(personas)
    signed = client_for(client, personas.manager)
    url = f"{reverse('sales:plan')}?pipeline={world.pipeline.pk}"

    response = signed.post(url, {
        f"amount_{personas.rep.pk}": "-5", f"deals_{personas.rep.pk}": "9999999",
        f"amount_{personas.rep2.pk}": "1e400", f"deals_{personas.rep2.pk}": "2",
    })  # fmt: skip

    form = response.context["plan_form"]
    assert response.status_code == 200
    assert form.errors[f"amount_{personas.rep.pk}"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert form.errors[f"deals_{personas.rep.pk}"] == [
        "Ensure this value is less than or equal to 100000."
    ]
    assert f"amount_{personas.rep2.pk}" in form.errors
    assert not Event.objects.filter(verb="sales_plan_changed").exists()


def test_a_rep_may_not_change_the_plan(client, personas):
    world = build_sales_world(personas)
    signed = client_for(client, personas.rep)

    response = signed.post(reverse("sales:plan"), {f"amount_{personas.rep.pk}": "1"})

    assert response.status_code == 403
    with pytest.raises(Forbidden):
        services.set_targets(
            actor=personas.rep, pipeline=world.pipeline, month=timezone.localdate().replace(day=1),
            targets={personas.rep.pk: (Decimal(1), 1)},
        )  # fmt: skip


def test_the_service_refuses_targets_for_people_outside_the_actors_reach(personas):
    world = build_sales_world(personas)
    with pytest.raises(ValidationFailed) as caught:
        services.set_targets(
            actor=personas.manager, pipeline=world.pipeline, month=dt.date(2026, 1, 15),
            targets={personas.rep.pk: (Decimal(1), 1)},
        )  # fmt: skip
    assert caught.value.errors == {"month": ["Choose a month."]}
    with pytest.raises(ValidationFailed) as caught:
        services.set_targets(
            actor=personas.manager, pipeline=world.pipeline, month=dt.date(2026, 1, 1),
            targets={10**9: (Decimal(1), 1), personas.rep.pk: (Decimal("-1"), 1)},
        )  # fmt: skip
    assert caught.value.errors == {
        f"amount_{10**9}": ["You cannot set targets for this person."],
        f"amount_{personas.rep.pk}": ["Enter an amount between 0 and 99,999,999,999,999.99."],
    }


def test_every_table_exports_as_csv_with_the_readers_deals(client, personas):
    from clientela.sales.views import TABLES

    world = build_sales_world(personas)
    signed = client_for(client, personas.manager)
    for table in TABLES:
        response = signed.get(reverse("sales:table_export", args=[table, "csv"]),
                              {"pipeline": world.pipeline.pk})  # fmt: skip
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert response.status_code == 200, table
        assert body.splitlines(), table
    funnel = signed.get(reverse("sales:table_export", args=["funnel", "csv"]),
                        {"pipeline": world.pipeline.pk})  # fmt: skip
    lines = b"".join(funnel.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("stage;reached;conversion_percent")
    assert lines[1].startswith("Nuevo;2;")
    assert Event.objects.filter(verb="exported", actor=personas.manager).count() == len(TABLES) + 1


def test_bad_filters_fall_back_and_say_why(client, personas):
    build_sales_world(personas)
    signed = client_for(client, personas.manager)

    response = signed.get(reverse("sales:overview"), {"since": "2026-05-01", "until": "2026-01-01",
                                                      "pipeline": "x", "owner": "99999999999"})  # fmt: skip

    assert response.status_code == 200
    assert "The end of the period is before its start." in response.content.decode()


def test_the_funnel_api_returns_each_stage_in_order(client, personas):
    pipeline = real_estate_pipeline()
    deal_on_path(personas.rep, pipeline, ["Nuevo", "Agendado"], opened=OPENED)
    deal_on_path(personas.rep, pipeline, ["Nuevo"], opened=OPENED)
    headers = bearer_headers(personas.manager)

    response = client.get("/api/v1/reports/funnel", {"pipeline": pipeline.pk}, **headers)

    body = response.json()
    assert response.status_code == 200
    assert [s["stage"] for s in body][:3] == ["Nuevo", "Agendado", "Asistió a la cita"]
    assert body[0] == {
        "stage": "Nuevo", "stage_id": stage_named(pipeline, "Nuevo").pk, "position": 1,
        "reached": 2, "conversion": None, "drop_off": 0,
    }  # fmt: skip
    assert (body[1]["reached"], Decimal(str(body[1]["conversion"]))) == (1, Decimal("50.0"))


def test_the_funnel_api_answers_field_errors(client, personas):
    pipeline = real_estate_pipeline()
    headers = bearer_headers(personas.manager)

    backwards = client.get("/api/v1/reports/funnel",
                           {"pipeline": pipeline.pk, "since": "2026-05-01", "until": "2026-01-01"},
                           **headers)  # fmt: skip
    missing = client.get("/api/v1/reports/funnel", {"pipeline": 10**9}, **headers)
    no_pipeline = client.get("/api/v1/reports/funnel", **headers)

    assert backwards.status_code == 400
    with translation.override(settings.LANGUAGE_CODE):  # the API answers in the default one
        message = translation.gettext("The end of the period is before its start.")
    assert json.loads(backwards.content)["errors"] == {"until": [message]}
    assert missing.status_code == 404
    assert no_pipeline.status_code == 400
    assert "pipeline" in json.loads(no_pipeline.content)["errors"]


def test_the_lost_reasons_link_lists_the_deals_lost_for_that_reason_in_the_period(client, personas):
    world = build_sales_world(personas)
    other = deal_on_path(personas.rep, world.pipeline, ["Nuevo", "Cierre perdido"], opened=OPENED)
    deal_on_path(personas.rep, world.pipeline, ["Nuevo", "Cierre perdido"],
                 opened=OPENED - dt.timedelta(days=800), lost_reason=world.reason)  # fmt: skip
    signed = client_for(client, personas.manager)

    page = signed.get(reverse("sales:lost"), {"pipeline": world.pipeline.pk})
    (row, link), (no_reason, _none_link) = page.context["rows"]
    listed = signed.get(link)

    assert (row.reason, row.deals) == (world.reason, 1)
    assert (no_reason.reason, no_reason.deals) == (None, 1)
    assert f"lost_reason={world.reason.pk}" in link and "closed_from=" in link
    assert list(listed.context["page"].rows) == [world.rep2_deal]
    assert other not in listed.context["page"].rows
