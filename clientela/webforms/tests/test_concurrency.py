"""100 parallel submissions on PostgreSQL: identical ones make one submission and one contact;
different renderings with the same e-mail make one contact. The request stores (the idempotency
key holds the first guarantee); concurrent workers make the contacts (the locks on the e-mail
and the dedupe inside each batch hold the second)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from clientela.contacts.models import Contact
from clientela.webforms.choices import SubmissionState
from clientela.webforms.models import Submission
from clientela.webforms.services.submitting import process_received
from clientela.webforms.tests.factories import answer, webinar_form

PARALLEL = 100
# At most this many requests hold a database connection at once (PostgreSQL's default limit
# is 100 connections, shared with the rest of the machine); all 100 start together.
CONNECTIONS = 40


def _run_parallel(bodies: list[dict[str, Any]], url: str) -> list[int]:
    barrier = threading.Barrier(len(bodies))
    gate = threading.BoundedSemaphore(CONNECTIONS)
    statuses: list[int] = []

    def send(body: dict[str, Any]) -> None:
        try:
            barrier.wait()
            with gate:
                response = Client().post(
                    url, json.dumps(body), content_type="application/json",
                    HTTP_ACCEPT="application/json",
                )  # fmt: skip
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _run_workers(count: int, batch: int) -> int:
    """Run `count` workers at once over the received submissions; return how many they made."""
    barrier = threading.Barrier(count)
    done: list[int] = []

    def work() -> None:
        try:
            barrier.wait()
            done.append(process_received(batch=batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


@pytest.fixture
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgresql")
def test_it_makes_one_contact_of_a_hundred_identical_parallel_submissions() -> None:
    form = webinar_form()
    body = answer(form, first_name="Ana", email="ana@example.co", utm_source="facebook")
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    statuses = _run_parallel([body] * PARALLEL, url)
    assert statuses == [201] * PARALLEL
    assert Submission.objects.count() == 1
    assert _run_workers(4, batch=10) == 1
    assert Contact.objects.filter(email="ana@example.co").count() == 1
    assert Submission.objects.get().state == SubmissionState.PROCESSED


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgresql")
def test_it_makes_one_contact_of_a_hundred_renderings_with_one_email() -> None:
    form = webinar_form()
    bodies = [answer(form, first_name=f"Ana {n}", email="ana@example.co") for n in range(PARALLEL)]
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    statuses = _run_parallel(bodies, url)
    assert statuses == [201] * PARALLEL
    assert not Contact.objects.exists()  # the requests only stored
    # Four workers at once, batches of 7: every batch holds the same e-mail.
    assert _run_workers(4, batch=7) == PARALLEL
    assert Submission.objects.filter(state=SubmissionState.PROCESSED).count() == PARALLEL
    assert Contact.objects.filter(email="ana@example.co").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_postgresql")
def test_concurrent_workers_make_one_contact_per_person_across_batches() -> None:
    form = webinar_form()
    # 20 people, 5 posts each, interleaved: each person's posts land in different batches.
    bodies = [
        answer(form, first_name=f"P{n % 20}", email=f"p{n % 20}@example.co") for n in range(100)
    ]
    url = reverse("webforms:public", kwargs={"public_id": form.public_id})
    assert _run_parallel(bodies, url) == [201] * 100
    assert _run_workers(4, batch=9) == 100
    assert Contact.objects.count() == 20
    assert set(Contact.objects.values_list("email", flat=True)) == {
        f"p{n}@example.co" for n in range(20)
    }
