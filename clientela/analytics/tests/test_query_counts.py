"""Every customer-value page runs a fixed number of queries, whatever the number of customers
(the pages read the snapshot's rows; none loops over customers or orders)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.analytics.tests.factories import build_world
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db

# (route name, args, query string): every page and export of the customer-value screens.
PAGES = {
    "dashboard": ("analytics:dashboard", [], {}),
    "dashboard_filtered": ("analytics:dashboard", [], {"months": "all", "channel": "facebook"}),
    "ltv": ("analytics:ltv", [], {}),
    "ltv_overrides": ("analytics:ltv", [], {"apply": "1", "gross_margin": "40"}),
    "settings": ("analytics:settings", [], {}),
    "customers": ("analytics:customers", [], {}),
    "customers_segment": ("analytics:customers", [], {"segment": "champions", "q": "a"}),
    # A page past the first is totalled: from the cells (one query), not by counting rows.
    "customers_one_segment": ("analytics:customers", [], {"segment": "champions", "page": "2"}),
    "cohorts": ("analytics:cohorts", [], {}),
    "customers_export": ("analytics:customers_export", ["csv"], {}),
    "export_segments": ("analytics:table_export", ["segments", "csv"], {}),
    "export_channels": ("analytics:table_export", ["channels", "xlsx"], {}),
    "export_cohorts": ("analytics:table_export", ["cohort_retention", "csv"], {}),
    "export_trend": ("analytics:table_export", ["trend", "csv"], {}),
}
MANAGER = {
    "dashboard": 18, "dashboard_filtered": 22, "ltv": 17, "ltv_overrides": 17, "settings": 6,
    "customers": 6, "customers_segment": 6, "customers_one_segment": 7, "cohorts": 5,
    "customers_export": 9,
    "export_segments": 9, "export_channels": 16, "export_cohorts": 8, "export_trend": 9,
}  # fmt: skip
# Every export also writes its audit trail: the export's job row and its "exported" event.
# A rep reads the cells of her own customers and her cohort tables and CLV histograms.
REP = {
    "dashboard": 17, "dashboard_filtered": 19, "ltv": 10, "ltv_overrides": 10, "customers": 6,
    "customers_segment": 6, "customers_one_segment": 7, "cohorts": 6,
}  # fmt: skip
# Reads that travel as COPY on PostgreSQL (frames.sql_frame), which the query log does not see:
# the orders behind a filtered cohort table.
COPY_READS = {
    "manager": {"dashboard_filtered": 1},
    "rep": {"dashboard_filtered": 1},
}


def _count(c, name: str) -> int:
    route, args, query = PAGES[name]
    with CaptureQueriesContext(connection) as queries:
        response = c.get(reverse(route, args=args), query)
        assert response.status_code == 200, name
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(queries)


@pytest.mark.parametrize(("persona", "expected"), [("manager", MANAGER), ("rep", REP)])
def test_every_value_page_runs_a_pinned_number_of_queries(client, personas, persona, expected):
    build_world(personas)
    c = client_for(client, getattr(personas, persona))
    counts = {name: _count(c, name) for name in expected}
    if connection.vendor == "postgresql":
        copies = COPY_READS[persona]
        expected = {name: n - copies.get(name, 0) for name, n in expected.items()}
    assert counts == expected, f"measured {counts}"


def test_a_reps_figures_read_no_customer_rows_but_her_top_customers(client, personas):
    # Every figure of her dashboard and LTV page comes from her cells, cohort tables and
    # histograms: the only read of the snapshot's customer rows is her ten top customers.
    build_world(personas)
    c = client_for(client, personas.rep)
    for name, rows in (("dashboard", 1), ("ltv", 0), ("cohorts", 0)):
        route, args, query = PAGES[name]
        with CaptureQueriesContext(connection) as queries:
            assert c.get(reverse(route, args=args), query).status_code == 200
        reads = [q["sql"] for q in queries if "analytics_customervalue" in q["sql"]]
        assert len(reads) == rows, (name, reads)


def test_the_value_card_runs_a_pinned_number_of_queries(personas, django_assert_num_queries):
    world = build_world(personas)
    request = RequestFactory().get("/")
    request.user = personas.rep
    template = Template("{% load value_ui %}{% customer_value_card contact %}")
    with django_assert_num_queries(4):
        template.render(Context({"request": request, "contact": world.ana}))
