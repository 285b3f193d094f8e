"""The follow-up written in bulk per batch: the same rows as one submission at a time, once.

`follow_up_pending` runs each listener's batch variant (routing: owners, tasks, notices,
assignments, the reps' e-mails; mailing: welcome and confirmations) with one statement per kind
of row; these tests hold it to the one-by-one listeners' rows, to round-robin and least-open
fairness, to idempotency (a retried batch adds nothing) and to the fall-back when a batch fails.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.activities import services as activity_services
from clientela.activities.models import Activity, Notification
from clientela.delivery.models import Message
from clientela.segments.models import PendingContact
from clientela.timeline.models import Event
from clientela.webforms.choices import AssignmentStrategy
from clientela.webforms.models import AssignmentRule, LeadAssignment, PendingConsent, Submission
from clientela.webforms.services import assigning, submitting
from clientela.webforms.services.submitting import follow_up_pending, process_submission
from clientela.webforms.tests.factories import SubmissionFactory, webinar_form

pytestmark = pytest.mark.django_db


def _rule(personas: Any, **values: Any) -> AssignmentRule:
    data = {
        "name": "Todos", "strategy": AssignmentStrategy.ROUND_ROBIN, "sla_hours": 24,
        "members": [personas.rep.pk, personas.rep2.pk], "task_es": "Llamar dentro de 24 h",
        **values,
    }  # fmt: skip
    return assigning.save_rule(None, actor=personas.manager, data=data)


def _form() -> Any:
    return webinar_form(
        welcome_subject_es="Hola {{ first_name }}",
        welcome_body_es="Gracias {{ first_name }} por inscribirse.",
    )


def _leads(form: Any, names: list[str]) -> list[Submission]:
    consent = form.consents.get()
    out = []
    for name in names:
        submission = SubmissionFactory.create(
            form=form,
            payload={"first_name": name, "email": f"{name.lower()}@example.co",
                     "utm_source": "facebook", consent.input_name: "1"},
        )  # fmt: skip
        out.append(process_submission(submission.pk))
    return out


def _rows(submission: Submission) -> dict[str, Any]:
    """Everything the follow-up wrote for one submission, its own ids and names masked."""
    assignment = LeadAssignment.objects.select_related("contact", "task").get(submission=submission)
    contact = assignment.contact
    task = assignment.task
    assert task is not None
    masks = {
        reverse("contacts:contact_detail", args=[contact.pk]): "<contact-url>",
        contact.first_name: "<name>",
        contact.email: "<email>",
        submission.reference: "<reference>",
        f"webforms.lead_assigned:{assignment.pk}": "<assignment-key>",
        timezone.localtime(assignment.due_at).strftime("%d/%m/%Y %H:%M"): "<due>",
        timezone.localtime(assignment.due_at).strftime("%d/%m %H:%M"): "<due>",
        assignment.due_at.isoformat(): "<due>",
    }
    for pending in PendingConsent.objects.filter(submission=submission):
        masks[pending.token] = "<token>"

    def mask(value: Any) -> str:
        text = str(value)
        for raw, masked in masks.items():
            text = text.replace(raw, masked)
        # The confirmation link is signed with the moment it was made.
        return re.sub(r"<token>:[\w:-]+", "<signed-token>", text)

    messages = sorted(
        tuple(mask(getattr(m, f)) for f in (
            "kind", "channel", "to_address", "from_address", "reply_to", "subject", "html_body",
            "text_body", "language", "headers", "idempotency_key", "source", "purpose", "state",
            "queued_by_id", "attempts",
        ))
        for m in Message.objects.filter(contact=contact)
    )  # fmt: skip
    events = sorted(
        (e.verb, e.via, e.actor_id, e.target_type, e.target_repr == str(contact),
         mask({k: v for k, v in e.data.items() if k != "activity_id"}))
        for e in Event.objects.filter(contact_id=contact.pk)
    )  # fmt: skip
    notices = sorted(
        (n.recipient_id, mask(n.title), mask(n.body), mask(n.url))
        for n in Notification.objects.filter(url__endswith=f"/contacts/{contact.pk}/")
    )
    return {
        "assignment": (assignment.rule_id, assignment.owner_id, assignment.source,
                       assignment.due_at - assignment.submitted_at),
        "task": (task.kind, task.subject, task.owner_id, task.due_at == assignment.due_at,
                 task.source, task.contact_id == contact.pk, task.created_by_id, task.done_at),
        "owner": (contact.owner_id, contact.version),
        "messages": messages,
        "events": events,
        "notices": notices,
    }  # fmt: skip


def test_the_batch_writes_what_one_submission_at_a_time_wrote(
    personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _form()
    _rule(personas)
    # One at a time (no batch variants), then the same shape of leads in bulk.
    one_by_one = _leads(form, ["Ana", "Bea"])
    with monkeypatch.context() as patch:
        patch.setattr(submitting, "BATCH_LISTENERS", {})
        assert follow_up_pending() == 2
    bulk = _leads(form, ["Cruz", "Dora"])
    assert follow_up_pending() == 2
    first, second = [_rows(s) for s in one_by_one], [_rows(s) for s in bulk]
    for a, b in zip(first, second, strict=True):
        for key in a:
            assert a[key] == b[key], key
    # Three e-mails each: welcome, confirmation, the rep's.
    assert all(len(rows["messages"]) == 3 for rows in first + second)
    assert LeadAssignment.objects.count() == Activity.objects.count() == 4


def test_round_robin_goes_on_in_order_through_batches(personas: Any) -> None:
    form = _form()
    _rule(personas)
    _leads(form, [f"Lead{n}" for n in range(7)])
    assert follow_up_pending(batch=3) == 7
    owners = list(
        LeadAssignment.objects.order_by("submission_id").values_list("owner_id", flat=True)
    )
    assert owners == [personas.rep.pk, personas.rep2.pk] * 3 + [personas.rep.pk]
    assert AssignmentRule.objects.get().last_owner_id == personas.rep.pk


def test_least_open_counts_the_leads_its_own_batch_gave(personas: Any) -> None:
    form = _form()
    _rule(personas, strategy=AssignmentStrategy.LEAST_OPEN)
    _leads(form, [f"Lead{n}" for n in range(6)])
    assert follow_up_pending() == 6
    counts = Counter(LeadAssignment.objects.values_list("owner_id", flat=True))
    assert counts == {personas.rep.pk: 3, personas.rep2.pk: 3}


def test_a_retried_batch_creates_nothing_twice(personas: Any) -> None:
    form = _form()
    _rule(personas)
    _leads(form, ["Ana", "Bea", "Cruz"])
    assert follow_up_pending() == 3
    counted = [
        model.objects.count() for model in (LeadAssignment, Activity, Notification, Message, Event)
    ]
    # A worker died after writing (its commit lost the marks only): the batch runs again.
    Submission.objects.update(followed_up_at=None)
    assert follow_up_pending() == 3
    assert counted == [
        model.objects.count() for model in (LeadAssignment, Activity, Notification, Message, Event)
    ]


def test_a_failing_batch_is_followed_up_one_submission_at_a_time(
    personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _form()
    _rule(personas)
    _leads(form, ["Ana", "Bea", "Cruz"])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the bulk path broke")

    monkeypatch.setattr(activity_services, "create_tasks", broken)
    assert follow_up_pending() == 3
    # Nothing of the failed bulk attempt is left; each lead was routed once, in turn.
    owners = list(
        LeadAssignment.objects.order_by("submission_id").values_list("owner_id", flat=True)
    )
    assert owners == [personas.rep.pk, personas.rep2.pk, personas.rep.pk]
    assert Activity.objects.count() == Notification.objects.count() == 3
    assert Message.objects.count() == 9


def test_a_batch_costs_a_fixed_number_of_statements(personas: Any) -> None:
    form = _form()
    _rule(personas)
    _leads(form, ["Ana"])
    with CaptureQueriesContext(connection) as one:
        follow_up_pending()
    _leads(form, [f"Lead{n}" for n in range(20)])
    PendingContact.objects.all().delete()
    with CaptureQueriesContext(connection) as twenty:
        follow_up_pending()
    # Twenty leads cost what one did, give or take the statements per rep (the second rep's
    # owner UPDATE and look-up) and SQLite's split of a long INSERT (at most 999 parameters).
    assert len(twenty.captured_queries) <= len(one.captured_queries) + 4
    marks = [q for q in twenty.captured_queries if "segments_pendingcontact" in q["sql"]]
    assert len(marks) == 1
    assert PendingContact.objects.count() == 20
