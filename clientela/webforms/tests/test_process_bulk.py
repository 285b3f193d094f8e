"""The worker turns received submissions into contacts in bulk: the same rows as one at a time.

`process_received` creates a batch's new people in one INSERT per kind of row and sends the
rest (updates of known contacts, a person's later submissions in the batch, invalid ones)
through the one-by-one path. These tests hold its rows to `process_submission`'s, run one at a
time over the same submissions, and pin the dedupe inside a batch, the fall-back when the bulk
step fails, and that a batch a worker never committed is taken again.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import transaction

from clientela.contacts import services as contact_services
from clientela.contacts.models import Consent, Contact
from clientela.contacts.tests.factories import ContactFactory, CustomFieldFactory
from clientela.timeline.models import Event
from clientela.webforms.choices import ContactTarget, FieldKind, SubmissionState
from clientela.webforms.models import PendingConsent, Submission
from clientela.webforms.services.submitting import process_received, process_submission
from clientela.webforms.tests.factories import FormFieldFactory, SubmissionFactory, webinar_form

pytestmark = pytest.mark.django_db


def _form() -> Any:
    form = webinar_form(tags=["webinar", "Mayo"])
    FormFieldFactory.create(form=form, target=ContactTarget.COMPANY_NAME)
    field = CustomFieldFactory.create(key="presupuesto")
    FormFieldFactory.create(form=form, kind=FieldKind.CUSTOM, target="", custom_field=field)
    return form


def _submissions(form: Any) -> list[Submission]:
    """A batch: new people, a known contact, a person twice, one found by phone, an invalid one."""
    consent = form.consents.get().input_name
    ContactFactory.create(first_name="Kim", email="kim@example.co", city="", phone="")
    posts = [
        {"first_name": "Ana", "email": "ana@example.co", "phone": "3001112233", "city": "Cali",
         "utm_source": "facebook", "utm_campaign": "mayo", consent: "1", "custom_presupuesto": "Alto",
         "company_name": "Acme"},
        {"first_name": "Kim", "email": "kim@example.co", "city": "Bogotá", consent: "1"},
        {"first_name": "Ana María", "email": "ana@example.co", "city": "", "utm_source": "google"},
        {"first_name": "Dan", "email": "dan@example.co", "phone": "3001112233"},
        {"first_name": "", "email": "nadie@example.co"},  # the name is required: fails alone
        {"first_name": "Eva", "email": "eva@example.co", consent: "1", "company_name": "acme"},
        {"first_name": "Fer", "phone": "3004445566", "email": "fer@example.co"},
    ]  # fmt: skip
    return [SubmissionFactory.create(form=form, payload=post) for post in posts]


def _timeless(data: Any) -> Any:
    """The data with its moments masked (each run writes its own)."""
    return json.loads(re.sub(r"\d{4}-\d\d-\d\d[ T][\d:.]+\+00:00", "<time>", json.dumps(data)))


def _rows(submissions: list[Submission]) -> dict[str, Any]:
    """Everything processing wrote, contacts numbered by their first submission, times masked."""
    order: dict[int, int] = {}
    subs = []
    for row in Submission.objects.filter(pk__in=[s.pk for s in submissions]).order_by("id"):
        if row.contact_id is not None:
            order.setdefault(row.contact_id, len(order))
        subs.append((row.state, row.error, row.attempts, order.get(row.contact_id or 0),
                     row.processed_at is not None))  # fmt: skip
    skip = {"id", "created_at", "updated_at", "first_touch_at", "last_touch_at", "company",
            "version"}  # fmt: skip
    contacts = {}
    for contact in Contact.objects.filter(pk__in=order):
        values = {
            f.attname: getattr(contact, f.attname)
            for f in Contact._meta.concrete_fields
            if f.name not in skip
        }
        values["company"] = contact.company.name if contact.company else None
        values["touched"] = (contact.first_touch_at is not None, contact.last_touch_at is not None)
        values["tags"] = sorted(contact.tags.values_list("name", flat=True))
        values["consents"] = [
            (c.channel, c.purpose, c.status, c.source, json.loads(c.proof))
            for c in Consent.objects.filter(contact=contact).order_by("id")
        ]
        values["pending"] = [
            (p.submission_id, p.form_consent_id, p.text_version, p.confirmed_at)
            for p in PendingConsent.objects.filter(contact=contact).order_by("id")
        ]
        values["events"] = [
            (e.verb, e.via, e.actor_id, e.target_type,
             order.get(int(e.target_id)) if e.target_type == "contacts.contact" else e.target_id,
             _timeless(e.data))
            for e in Event.objects.filter(contact_id=contact.pk).order_by("id")
        ]  # fmt: skip
        contacts[order[contact.pk]] = values
    return {"submissions": subs, "contacts": contacts}


def _one_by_one(submissions: list[Submission]) -> dict[str, Any]:
    """Process the submissions one at a time in a savepoint rolled back after reading the rows."""
    with transaction.atomic():
        for submission in submissions:
            process_submission(submission.pk)
        rows = _rows(submissions)
        transaction.set_rollback(True)
    return rows


def test_the_bulk_batch_writes_what_one_submission_at_a_time_writes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    form = _form()
    submissions = _submissions(form)
    one_by_one = _one_by_one(submissions)
    assert set(Submission.objects.values_list("state", flat=True)) == {SubmissionState.RECEIVED}
    assert process_received() == 6
    assert not [r for r in caplog.records if "in bulk failed" in r.getMessage()]
    bulk = _rows(submissions)
    assert one_by_one["submissions"] == bulk["submissions"]
    assert one_by_one["contacts"].keys() == bulk["contacts"].keys()
    for number, rows in one_by_one["contacts"].items():
        for key, value in rows.items():
            assert bulk["contacts"][number][key] == value, (number, key)
    # What the batch means: Ana once (her second post fills, never blanks), Dan found her by
    # phone, Kim updated, Eva and Fer new, the nameless one failed with its error.
    ana = Contact.objects.get(phone="+573001112233")
    assert (ana.first_name, ana.city, ana.email) == ("Dan", "Cali", "dan@example.co")
    assert ana.custom == {"presupuesto": "Alto"} and ana.first_utm_source == "facebook"
    assert Contact.objects.get(email="kim@example.co").city == "Bogotá"
    assert Contact.objects.filter(company__name="Acme").count() == 2
    assert Contact.objects.count() == 4
    failed = Submission.objects.get(state=SubmissionState.FAILED)
    assert "first_name" in json.loads(failed.error)


def test_a_failing_bulk_step_falls_back_to_one_submission_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = _form()
    submissions = _submissions(form)
    one_by_one = _one_by_one(submissions)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the bulk path broke")

    monkeypatch.setattr(contact_services, "record_consents_many", broken)
    assert process_received() == 6
    assert _rows(submissions) == one_by_one  # nothing of the failed attempt is left


def test_two_posts_of_one_new_person_in_a_batch_make_one_contact() -> None:
    form = _form()
    for name, city in (("Ana", "Cali"), ("Ana María", ""), ("Ana", "Pasto")):
        SubmissionFactory.create(
            form=form, payload={"first_name": name, "email": "ANA@example.co", "city": city}
        )
    assert process_received(batch=10) == 3
    contact = Contact.objects.get()
    assert (contact.first_name, contact.city) == ("Ana", "Pasto")
    assert set(Submission.objects.values_list("contact_id", flat=True)) == {contact.pk}
    verbs = list(Event.objects.filter(contact_id=contact.pk).values_list("verb", flat=True))
    assert verbs.count("created") == 1 and verbs.count("form_submitted") == 3


def test_a_batch_never_committed_is_taken_again() -> None:
    form = _form()
    SubmissionFactory.create(form=form, payload={"first_name": "Ana", "email": "a@example.co"})
    # A worker killed midway: its transaction never commits, the submission stays received.
    with transaction.atomic():
        assert process_received() == 1
        transaction.set_rollback(True)
    assert Submission.objects.get().state == SubmissionState.RECEIVED
    assert not Contact.objects.exists()
    assert process_received() == 1 and Contact.objects.count() == 1
