"""Lead routing on the database: rules in order, fair round robin, the rep's task and notice."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from clientela.activities.models import Activity, Notification
from clientela.contacts.tests.factories import ContactFactory
from clientela.timeline.models import Event
from clientela.webforms.choices import AssignmentStrategy
from clientela.webforms.models import AssignmentRule, LeadAssignment, Submission
from clientela.webforms.services import assigning
from clientela.webforms.services.submitting import process_received, process_submission
from clientela.webforms.tests.factories import SubmissionFactory, answer, webinar_form

pytestmark = pytest.mark.django_db


def _rule(personas: Any, **values: Any) -> AssignmentRule:
    data = {
        "name": "Todos",
        "strategy": AssignmentStrategy.ROUND_ROBIN,
        "members": [personas.rep.pk, personas.rep2.pk],
        "sla_hours": 24,
        "task_es": "Llamar dentro de 24 h",
        "task_en": "Call within 24 h",
        **values,
    }
    return assigning.save_rule(None, actor=personas.manager, data=data)


def _lead(form: Any, email: str, **payload: Any) -> Submission:
    submission = SubmissionFactory.create(
        form=form, payload={"first_name": "Lead", "email": email, **payload}
    )
    return process_submission(submission.pk)


def _assign(submission: Submission) -> LeadAssignment | None:
    assert submission.contact is not None
    return assigning.assign_submission(submission, submission.contact)


def test_it_gives_leads_in_turn_with_a_task_a_notice_and_a_timeline_line(personas: Any) -> None:
    form = webinar_form()
    _rule(personas)
    owners = []
    for n in range(4):
        assignment = _assign(_lead(form, f"lead{n}@example.co"))
        assert assignment is not None
        owners.append(assignment.owner_id)
    assert owners == [personas.rep.pk, personas.rep2.pk, personas.rep.pk, personas.rep2.pk]
    last = LeadAssignment.objects.order_by("-id").first()
    assert last is not None and last.contact.owner_id == personas.rep2.pk
    assert last.task_id is not None
    task = Activity.objects.get(pk=last.task_id)
    assert task.subject == "Llamar dentro de 24 h" and task.owner_id == personas.rep2.pk
    assert task.due_at == last.submitted_at + (last.due_at - last.submitted_at)
    assert (last.due_at - last.submitted_at).total_seconds() == 24 * 3600
    notice = Notification.objects.filter(recipient=personas.rep2).latest("id")
    assert "Lead" in notice.title and notice.url.endswith(f"/contacts/{last.contact_id}/")
    event = Event.objects.get(verb="lead_assigned", contact_id=last.contact_id)
    assert event.actor is None and event.data["rule"] == "Todos"


def test_it_tries_rules_in_order_and_skips_those_that_do_not_match(personas: Any) -> None:
    form = webinar_form()
    _rule(personas, name="Todos", members=[personas.rep.pk])
    medellin = _rule(personas, name="Medellín", members=[personas.rep2.pk], cities="medellin")
    assigning.move_rule(medellin, actor=personas.manager, offset=-1)
    there = _assign(_lead(form, "m@example.co", city="Medellín"))
    here = _assign(_lead(form, "c@example.co", city="Cali"))
    assert there is not None and here is not None
    assert (there.owner_id, there.rule_id) == (personas.rep2.pk, medellin.pk)
    assert here.owner_id == personas.rep.pk


def test_it_keeps_a_contact_with_its_active_owner(personas: Any) -> None:
    form = webinar_form()
    _rule(personas, members=[personas.rep2.pk])
    ContactFactory.create(email="cliente@example.co", owner=personas.rep)
    assignment = _assign(_lead(form, "cliente@example.co"))
    assert assignment is not None and assignment.owner_id == personas.rep.pk
    assert assignment.rule_id is None


def test_it_skips_inactive_reps_and_falls_back(personas: Any) -> None:
    form = webinar_form()
    _rule(personas, members=[personas.rep.pk, personas.rep2.pk], fallback_owner=personas.manager.pk)
    personas.rep.is_active = False
    personas.rep.save(update_fields=["is_active"])
    first = _assign(_lead(form, "a@example.co"))
    personas.rep2.is_active = False
    personas.rep2.save(update_fields=["is_active"])
    second = _assign(_lead(form, "b@example.co"))
    assert first is not None and first.owner_id == personas.rep2.pk
    assert second is not None and second.owner_id == personas.manager.pk


def test_it_gives_the_rep_with_fewest_open_tasks(personas: Any) -> None:
    form = webinar_form()
    _rule(personas, strategy=AssignmentStrategy.LEAST_OPEN)
    first = _assign(_lead(form, "a@example.co"))
    second = _assign(_lead(form, "b@example.co"))
    assert first is not None and second is not None
    assert {first.owner_id, second.owner_id} == {personas.rep.pk, personas.rep2.pk}


def test_it_leaves_a_lead_no_rule_takes_without_an_owner(personas: Any) -> None:
    form = webinar_form()
    _rule(personas, cities="Pasto")
    submission = _lead(form, "x@example.co", city="Cali")
    assert _assign(submission) is None
    assert submission.contact is not None and submission.contact.owner_id is None


def test_it_assigns_once_even_when_the_listener_runs_twice(personas: Any) -> None:
    form = webinar_form()
    _rule(personas)
    submission = _lead(form, "x@example.co")
    assert _assign(submission) is not None
    assert _assign(submission) is None
    assert LeadAssignment.objects.count() == Activity.objects.count() == 1


def test_a_public_post_is_answered_at_once_and_routed_by_the_worker(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from clientela.webforms.models import Submission
    from clientela.webforms.services.submitting import FOLLOW_UP_SCHEDULE, follow_up_pending

    form = webinar_form()
    _rule(personas)
    data = answer(form, first_name="Ana", email="ana@example.co")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("webforms:public", kwargs={"public_id": form.public_id}),
            json.dumps(data), content_type="application/json", HTTP_ACCEPT="application/json",
        )  # fmt: skip
    assert response.status_code == 201
    # The request stored the lead and woke the worker; it made no contact and routed nobody.
    assert not LeadAssignment.objects.exists() and Submission.objects.get().contact is None
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [FOLLOW_UP_SCHEDULE]
    assert process_received() == 1 and follow_up_pending() == 1
    assignment = LeadAssignment.objects.get()
    assert assignment.owner_id == personas.rep.pk
    assert Submission.objects.get().followed_up_at is not None
    # A second run (the schedule's safety net, a duplicate wake-up) routes nobody again.
    assert follow_up_pending() == 0
    assert LeadAssignment.objects.count() == 1


def test_it_validates_a_rule_with_field_messages(personas: Any) -> None:
    from clientela.core.exceptions import Forbidden, ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        assigning.save_rule(None, actor=personas.manager, data={"name": "", "sla_hours": 0,
                                                                "task_es": ""})  # fmt: skip
    assert {"name", "members", "sla_hours", "task_es"} <= set(caught.value.errors)
    with pytest.raises(Forbidden):
        _rule_as(personas.rep, personas)


def _rule_as(actor: Any, personas: Any) -> AssignmentRule:
    return assigning.save_rule(
        None, actor=actor, data={"name": "x", "members": [personas.rep.pk], "task_es": "x"}
    )


@pytest.mark.django_db(transaction=True)
def test_round_robin_stays_fair_when_leads_arrive_at_once(personas: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locks need PostgreSQL")
    form = webinar_form()
    _rule(personas)
    submissions = [_lead(form, f"p{n}@example.co") for n in range(20)]
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def work(chunk: list[Submission]) -> None:
        try:
            barrier.wait()
            for submission in chunk:
                _assign(submission)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(submissions[i::10],)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    counts = Counter(LeadAssignment.objects.values_list("owner_id", flat=True))
    assert counts == {personas.rep.pk: 10, personas.rep2.pk: 10}


def test_the_rule_screens_save_order_and_delete(client: Any, personas: Any) -> None:
    client.force_login(personas.manager)
    page = client.get(reverse("webforms:rules"))
    assert page.status_code == 200 and "Asignación de prospectos" in page.content.decode()
    response = client.post(
        reverse("webforms:rule_create"),
        {"name": "Bogotá", "strategy": "round_robin", "members": [personas.rep.pk],
         "sla_hours": 4, "task_es": "Llamar ya", "cities": "Bogotá, Chía", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    rule = AssignmentRule.objects.get()
    assert rule.criteria == {"cities": ["Bogotá", "Chía"]} and rule.sla_hours == 4
    bad = client.post(reverse("webforms:rule_edit", args=[rule.pk]), {"name": "", "strategy": "x"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert client.post(reverse("webforms:rule_delete", args=[rule.pk])).status_code == 302
    assert not AssignmentRule.objects.exists()
