"""Every sales page answers in a fixed number of queries, whatever the number of deals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.core.testing import client_for
from clientela.sales.tests.factories import build_sales_world, deal_on_path
from clientela.sales.tests.test_reports import OPENED

pytestmark = pytest.mark.django_db

PAGES = ("sales:overview", "sales:plan", "sales:activity", "sales:lost", "sales:customers")


@pytest.mark.parametrize("route", PAGES)
def test_a_page_costs_the_same_queries_with_ten_times_the_deals(
    client, personas, route, django_assert_max_num_queries
):
    world = build_sales_world(personas)
    signed = client_for(client, personas.manager)
    query = {"pipeline": world.pipeline.pk}
    signed.get(reverse(route), query)  # warm the session and role caches
    with CaptureQueriesContext(connection) as few:
        signed.get(reverse(route), query)
    for owner in (personas.rep, personas.rep2):
        for path in (["Nuevo", "Agendado", "Cierre ganado"], ["Nuevo", "Cierre perdido"]):
            for _ in range(5):
                deal_on_path(owner, world.pipeline, path, opened=OPENED)

    with django_assert_max_num_queries(len(few)):
        response = signed.get(reverse(route), query)
    assert response.status_code == 200
    assert len(few) <= 20  # PostgreSQL adds SAVEPOINT, SET LOCAL work_mem and RELEASE twice
