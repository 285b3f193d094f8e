"""100 quotes made at the same moment get 100 distinct, consecutive numbers (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from clientela.billing import services
from clientela.billing.models import DocumentCounter, Quote
from clientela.billing.tests.factories import usd_rate
from clientela.deals.models import Deal
from clientela.deals.tests.factories import (
    DealLineFactory,
    EnteredDealFactory,
    real_estate_pipeline,
)

QUOTES = 100
THREADS = 25  # PostgreSQL's default 100 connections, shared with the other test worker


@pytest.mark.django_db(transaction=True)
def test_parallel_quotes_get_consecutive_numbers(personas: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")
    usd_rate()
    pipeline = real_estate_pipeline()
    deals = []
    for _n in range(QUOTES):
        deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
        DealLineFactory.create(deal=deal)
        deals.append(deal.pk)
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(ids: list[int]) -> None:
        try:
            barrier.wait()
            for pk in ids:
                services.create_quote(Deal.objects.get(pk=pk), actor=personas.rep)
        except BaseException as exc:  # reported below: a thread's error must fail the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(deals[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    sequences = sorted(Quote.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, QUOTES + 1))
    assert len(set(Quote.objects.values_list("number", flat=True))) == QUOTES
    assert DocumentCounter.objects.get(series="COT").last == QUOTES
