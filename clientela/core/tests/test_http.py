"""The shared HTTP helpers: capped paging, query strings, and the 403 page every module uses."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from clientela.core.http import PAGE_SIZE, page_number, paginate, querystring
from clientela.core.models import Job
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs():
    Job.objects.bulk_create([Job(kind="test", title=f"P{i:03}") for i in range(PAGE_SIZE * 2 + 5)])
    return Job.objects.order_by("title")


def test_a_short_list_is_not_counted(django_assert_num_queries):
    Job.objects.bulk_create([Job(kind="test", title=f"P{i}") for i in range(3)])
    with django_assert_num_queries(1):
        page = paginate(Job.objects.order_by("pk"), 1, cap=100)
    assert (page.total, page.has_next, page.total_is_capped) == (3, False, False)
    assert (page.start_index, page.end_index) == (1, 3)


def test_pages_know_their_neighbours_and_an_exact_total(jobs):
    middle = paginate(jobs, 2, cap=1_000)
    assert [j.title for j in middle.rows[:2]] == ["P050", "P051"]
    assert (middle.has_previous, middle.has_next, middle.total) == (True, True, 105)
    assert (middle.start_index, middle.end_index) == (51, 100)
    last = paginate(jobs, 3, cap=1_000)
    assert (len(last.rows), last.has_next, last.total) == (5, False, 105)


def test_the_total_is_capped_and_an_estimate_stands_in_only_above_the_cap(jobs):
    capped = paginate(jobs, 1, cap=60)
    assert (capped.total, capped.total_is_capped, capped.total_is_estimate) == (60, True, False)
    estimated = paginate(jobs, 1, cap=60, estimate=lambda: 1_000_000)
    assert (estimated.total, estimated.total_is_estimate) == (1_000_000, True)
    # An estimate below the cap (stale statistics) is not trusted: the rows are counted.
    small = paginate(jobs, 1, cap=1_000, estimate=lambda: 7)
    assert (small.total, small.total_is_estimate) == (105, False)
    unknown = paginate(jobs, 1, cap=1_000, estimate=lambda: None)
    assert unknown.total == 105


def test_a_known_total_is_shown_without_counting_the_rows(jobs, django_assert_num_queries):
    # One query for the page (and the extra row that says a next page exists), none to count.
    with django_assert_num_queries(1):
        known = paginate(jobs, 2, cap=60, known_total=lambda: 105)
    assert (known.total, known.total_is_capped, known.total_is_estimate) == (105, False, False)
    assert known.has_next and len(known.rows) == PAGE_SIZE
    # None: the total is not known that way, so the rows are counted (capped) as before.
    unknown = paginate(jobs, 1, cap=60, known_total=lambda: None)
    assert (unknown.total, unknown.total_is_capped) == (60, True)


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 1), ("3", 3), ("0", 1), ("-4", 1), ("x", 1), ("10000000", 100_000)]
)
def test_page_numbers_are_clamped(raw, expected):
    assert page_number(QueryDict(f"page={raw}")) == expected


def test_query_strings_keep_repeated_keys_and_drop_empty_ones():
    params = QueryDict("tag=vip&tag=b2b&q=&page=2&owner=5")
    assert querystring(params, page=None) == "?tag=vip&tag=b2b&owner=5"
    assert querystring(params, page=3, owner=None) == "?tag=vip&tag=b2b&page=3"
    assert querystring({"month": "2026-05", "channel": ""}, page=2) == "?month=2026-05&page=2"
    assert querystring(QueryDict(""), page=None) == "?"
    assert querystring({"q": "a&b=c"}) == "?q=a%26b%3Dc"


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_forbidden_action_shows_the_reason_in_the_users_language(client, personas, language):
    response = client_for(client, personas.outsider, language).get(reverse("contacts:import_start"))
    assert response.status_code == 403
    body = response.content.decode()
    title = {"es": "No puede hacer esto", "en": "You cannot do this"}[language]
    assert title in body
    reason = {"es": "Su rol no puede importar registros.", "en": "Your role cannot import records."}
    assert reason[language] in body
    assert 'href="/"' in body


def _htmx_request(**headers: str):
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    request = RequestFactory().get("/", headers=headers)
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    return request


def test_it_tells_an_htmx_request_from_a_request_for_a_fragment():
    from clientela.core.http import is_htmx_request, wants_partial

    plain = _htmx_request()
    fragment = _htmx_request(**{"HX-Request": "true", "HX-Target": "results"})
    boosted = _htmx_request(**{"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "main"})
    assert (is_htmx_request(plain), wants_partial(plain)) == (False, False)
    assert (is_htmx_request(fragment), wants_partial(fragment)) == (True, True)
    assert wants_partial(fragment, "results") and not wants_partial(fragment, "other")
    # A boosted link is HTMX, but it wants the whole page.
    assert (is_htmx_request(boosted), wants_partial(boosted)) == (True, False)


def test_the_shared_pagination_pages_with_htmx_when_given_a_target():
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    page = SimpleNamespace(has_previous=True, has_next=True, number=2)
    urls = {"page": page, "prev_url": "?page=1", "next_url": "?page=3"}
    plain = render_to_string("includes/pagination.html", urls)
    assert 'href="?page=3"' in plain and "hx-get" not in plain
    htmx = render_to_string("includes/pagination.html", {**urls, "hx_target": "#results"})
    assert 'hx-get="?page=3" hx-target="#results"' in htmx


def test_every_list_uses_the_one_pagination_include():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    copies = sorted(str(p.relative_to(root)) for p in (root / "clientela").rglob("pagination.html"))
    assert copies == ["clientela/templates/includes/pagination.html"]
    order_list = (root / "clientela/orders/templates/orders/order_list.html").read_text()
    assert '{% include "includes/pagination.html" with hx_target="#results" %}' in order_list
