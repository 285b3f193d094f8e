"""Customer-value screens: each persona sees its own customers' numbers; drill-downs; exports."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from clientela.analytics.models import AnalyticsSettings, CustomerValue, ValueSnapshot
from clientela.analytics.queries import customer_value_for
from clientela.analytics.tests.factories import FILLER, build_world
from clientela.core.models import Job
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """Ana and Bea (rep's) and Carla (rep2's) with orders, spend and two snapshots."""
    return build_world(personas)


def test_it_shows_a_rep_only_the_numbers_of_their_customers(client, world):
    rep_page = client_for(client, world.personas.rep).get(reverse("analytics:dashboard"))
    assert rep_page.status_code == 200
    assert rep_page.context["overview"]["customers"] == 2
    assert rep_page.context["grid"].total == 2
    assert not rep_page.context["sees_costs"]
    assert all(row.customer.pk != world.carla.pk for row in rep_page.context["top"])
    manager_page = client_for(client, world.personas.manager).get(reverse("analytics:dashboard"))
    assert manager_page.context["overview"]["customers"] == 3 + FILLER
    assert manager_page.context["sees_costs"]
    equity = sum(r.clv or 0.0 for r in CustomerValue.objects.filter(snapshot=world.snapshot))
    assert manager_page.context["overview"]["equity"] == pytest.approx(equity)


def test_it_renders_charts_from_json_data_and_links_bars_to_customers(client, world):
    page = client_for(client, world.personas.manager).get(reverse("analytics:dashboard"))
    html = page.content.decode()
    assert '<script id="chart-histogram" type="application/json">' in html
    spec = page.context["histogram_chart"]
    assert spec["type"] == "bar" and len(spec["links"]) == len(spec["labels"])
    assert all(link.startswith("/value/customers/?") for link in spec["links"])
    assert json.loads(json.dumps(page.context["trend_chart"]))["series"][0]["data"]
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_it_lists_who_to_call_behind_a_segment_within_visibility(client, world):
    segment = CustomerValue.objects.get(snapshot=world.snapshot, contact=world.ana).segment
    url = reverse("analytics:customers")
    rep = client_for(client, world.personas.rep).get(url, {"segment": segment})
    assert [row.contact for row in rep.context["page"].rows] == [world.ana]
    assert "+57 300 1234567" in rep.content.decode()
    everyone = client_for(client, world.personas.rep2).get(url)
    assert [row.contact for row in everyone.context["page"].rows] == [world.carla]


def test_it_drills_into_movements_cohorts_and_clv_ranges(client, world):
    c = client_for(client, world.personas.manager)
    url = reverse("analytics:customers")
    moved = c.get(url, {"previous_segment": "new"})
    newcomers = set(
        CustomerValue.objects.filter(snapshot=world.snapshot, previous_segment="").values_list(
            "contact_id", flat=True
        )
    )
    assert {row.contact_id for row in moved.context["page"].rows} == newcomers
    first = CustomerValue.objects.get(snapshot=world.snapshot, contact=world.ana).first_purchase
    cohort = c.get(url, {"cohort": first.strftime("%Y-%m")})
    assert world.ana in [row.contact for row in cohort.context["page"].rows]
    rich = c.get(url, {"clv_min": "1e15"})
    assert list(rich.context["page"].rows) == []
    wrong = c.get(url, {"segment": "nonsense", "clv_min": "x"})
    assert wrong.status_code == 200 and len(wrong.context["page"].rows) == 3 + FILLER


def test_it_pins_the_queries_of_the_drill_down(client, world, django_assert_max_num_queries):
    c = client_for(client, world.personas.rep)
    with django_assert_max_num_queries(14):
        assert c.get(reverse("analytics:customers")).status_code == 200


def test_it_exports_the_drill_down_and_every_dashboard_table(client, world):
    c = client_for(client, world.personas.manager)
    csv = c.get(reverse("analytics:customers_export", args=["csv"]))
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4 + FILLER and lines[0].startswith("Customer;Phone;E-mail")
    for table in ("segments", "movement", "inactivity", "channels", "segments_ltv",
                  "cohort_retention", "cohort_revenue", "trend", "histogram"):  # fmt: skip
        response = c.get(reverse("analytics:table_export", args=[table, "xlsx"]))
        assert response.status_code == 200, table
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert book.active.max_row >= 2, table
    assert c.get(reverse("analytics:table_export", args=["users", "csv"])).status_code == 404


def test_it_exports_only_the_reps_customers_to_someone_who_exports(client, world):
    from clientela.accounts.models import Role

    role = Role.objects.get(code="comercial")
    role.capabilities = [*role.capabilities, "analytics.export"]
    role.save()
    c = client_for(client, world.personas.rep)
    csv = c.get(reverse("analytics:customers_export", args=["csv"]))
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Ana" in text and "Carla" not in text


def test_it_recomputes_the_ltv_with_the_users_values_without_saving_them(client, world):
    c = client_for(client, world.personas.manager)
    url = reverse("analytics:ltv")
    base = c.get(url).context["report"]
    tried = c.get(url, {"apply": "1", "gross_margin": "50", "lifespan_years": "2", "cac": "1000"})
    report = tried.context["report"]
    assert report.inputs.gross_margin == 0.5 and report.inputs.lifespan_years == 2
    assert report.ratio == pytest.approx(report.ltv / 1000)
    assert tried.context["overridden"] == ["cac", "gross_margin", "lifespan_years"]
    assert {f.code for f in report.formulas} == {
        "subscription",
        "retail",
        "saas",
        "npv",
        "segments",
    }
    assert "ignores_retention_costs" in {w.code for w in base.warnings}
    assert not AnalyticsSettings.objects.exists()


def test_it_explains_a_wrong_ltv_input(client, world):
    page = client_for(client, world.personas.manager).get(
        reverse("analytics:ltv"), {"apply": "1", "gross_margin": "150", "aov": "mucho"}
    )
    form = page.context["inputs_form"]
    assert form.errors == {
        "gross_margin": ["Enter a percentage between 0 and 100."],
        "aov": ["Enter a number, such as 1.250.000 or 3,5."],
    }
    assert page.context["overridden"] == []


def test_it_hides_cac_from_roles_that_do_not_keep_spend(client, world):
    page = client_for(client, world.personas.rep).get(
        reverse("analytics:ltv"), {"apply": "1", "cac": "1"}
    )
    assert page.context["report"].inputs.cac is None
    assert all(row.cac is None for row in page.context["by_channel"])


def test_it_saves_margin_and_industry_as_defaults_for_managers(client, world):
    c = client_for(client, world.personas.manager)
    response = c.post(
        reverse("analytics:ltv_save"),
        {"gross_margin": "45", "retention_cost": "20.000", "industry": "real_estate"},
    )
    assert response.status_code == 302
    saved = AnalyticsSettings.objects.get()
    assert (saved.default_gross_margin, saved.industry) == (Decimal("0.45"), "real_estate")
    assert saved.retention_cost_per_customer == Decimal("20000")


def test_it_shows_cohort_matrices(client, world):
    page = client_for(client, world.personas.manager).get(
        reverse("analytics:cohorts"), {"months": "all"}
    )
    view = page.context["view"]
    assert sum(view.sizes) == 3 + FILLER
    assert all(row[0] == 1.0 for row in view.retention)


def test_it_validates_and_saves_the_settings(client, world):
    c = client_for(client, world.personas.admin)
    url = reverse("analytics:settings")
    data = {
        "inactive_9m": "9", "inactive_12m": "8", "inactive_15m": "15", "churned": "36",
        "clv_horizon_months": "12", "monthly_discount_rate": "1", "snapshots_kept": "14",
    }  # fmt: skip
    wrong = c.post(url, data)
    assert wrong.context["form"].errors["churned"] == [
        "Each inactivity step must come after the previous one (for example 9, 12, 15, 36)."
    ]
    assert c.post(url, {**data, "inactive_12m": "12", "churned": "24"}).status_code == 302
    assert AnalyticsSettings.objects.get().churned == 24


def test_it_queues_a_recompute_and_reports_its_progress(
    client, world, django_capture_on_commit_callbacks
):
    from clientela.analytics.services import run_customer_value_job

    c = client_for(client, world.personas.manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("analytics:recompute"))
    job = Job.objects.get(kind="customer_value")
    assert response["Location"] == reverse("analytics:dashboard") + f"?job={job.pk}"
    assert len(callbacks) == 1
    running = c.get(reverse("analytics:job_status", args=[job.pk]))
    assert running.context["active"] and 'hx-trigger="every 2s"' in running.content.decode()
    run_customer_value_job(job.pk)
    done = c.get(reverse("analytics:job_status", args=[job.pk]))
    assert not done.context["active"]
    assert ValueSnapshot.objects.filter(state="done").count() == 3


def test_it_gives_the_customer_card_its_value_panel(rf: RequestFactory, world):
    assert customer_value_for(world.personas.rep2, world.ana) is None
    mine = customer_value_for(world.personas.rep, world.ana)
    assert mine is not None and mine["orders"] == 4 and mine["segment_label"]
    request = rf.get("/")
    request.user = world.personas.rep
    html = Template("{% load value_ui %}{% customer_value_card contact %}").render(
        Context({"request": request, "contact": world.ana})
    )
    assert "P(alive)" in html and f"?contact={world.ana.pk}" in html
    request.user = world.personas.outsider
    hidden = Template("{% load value_ui %}{% customer_value_card contact %}").render(
        Context({"request": request, "contact": world.ana})
    )
    assert hidden.strip() == ""


def test_the_navigation_offers_customer_value_only_to_roles_that_can_open_it(client, personas):
    dashboard = reverse("analytics:dashboard")
    for user, offered in [
        (personas.manager, True),
        (personas.rep, True),
        (personas.outsider, False),
    ]:
        c = client_for(client, user)
        body = c.get(reverse("contacts:contact_list")).content.decode()
        assert (f'href="{dashboard}"' in body) is offered, user.username
        assert c.get(dashboard).status_code == (200 if offered else 404), user.username


@pytest.mark.parametrize(
    "url",
    [
        reverse("analytics:dashboard"),
        reverse("analytics:customers"),
        reverse("analytics:customers_export", args=["csv"]),
        reverse("analytics:ltv"),
        reverse("analytics:cohorts"),
        reverse("analytics:table_export", args=["segments", "csv"]),
        reverse("analytics:settings"),
        reverse("orders:order_list"),
        reverse("orders:spend"),
        reverse("orders:rate_list"),
    ],
)
def test_every_screen_of_a_new_installation_opens_before_any_order_or_snapshot(
    client, personas, url
):
    response = client_for(client, personas.admin).get(url)
    assert response.status_code == 200, url
