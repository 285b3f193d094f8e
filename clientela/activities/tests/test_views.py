"""Screens: My tasks, the task form, one-click completion, the contact panel, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.activities.choices import ActivityKind
from clientela.activities.models import Activity, Notification
from clientela.activities.tests.factories import (
    ActivityFactory,
    EnteredTaskFactory,
    NotificationFactory,
    build_world,
)
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


def test_it_groups_my_tasks_by_overdue_today_upcoming_and_done(
    client: Client, personas: Any
) -> None:
    now = timezone.now()
    rep = personas.rep
    ActivityFactory.create(owner=rep, subject="Atrasada", due_at=now - dt.timedelta(hours=3))
    ActivityFactory.create(owner=rep, subject="Mañana", due_at=now + dt.timedelta(days=2))
    ActivityFactory.create(owner=rep, subject="Sin fecha", due_at=None)
    ActivityFactory.create(owner=rep, subject="Hecha", done_at=now - dt.timedelta(hours=1))
    ActivityFactory.create(owner=personas.rep2, subject="De otro")
    html = client_for(client, rep).get(reverse("activities:my_tasks")).content.decode()
    overdue = html.index('id="group-overdue"')
    upcoming = html.index('id="group-upcoming"')
    undated = html.index('id="group-undated"')
    done = html.index('id="group-done"')
    assert overdue < html.index("Atrasada") < html.index('id="group-today"')
    assert upcoming < html.index("Mañana") < undated < html.index("Sin fecha") < done
    assert done < html.index("Hecha")
    assert "De otro" not in html


def test_it_shows_a_manager_someone_elses_tasks_but_never_a_rep(
    client: Client, personas: Any
) -> None:
    ActivityFactory.create(owner=personas.rep2, subject="Tarea de rep2")
    url = reverse("activities:my_tasks") + f"?owner={personas.rep2.pk}"
    assert "Tarea de rep2" in client_for(client, personas.manager).get(url).content.decode()
    assert "Tarea de rep2" not in client_for(client, personas.rep).get(url).content.decode()
    everyone = reverse("activities:my_tasks") + "?owner=all"
    assert "Tarea de rep2" not in client_for(client, personas.rep).get(everyone).content.decode()


def test_it_completes_a_task_with_one_htmx_click(client: Client, personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep, subject="Enviar plano")
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_complete", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'class="task task-done"' in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is not None


def test_it_creates_a_task_from_the_form(client: Client, personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"),
        {"kind": "call", "subject": "Llamar el martes", "due_at": "2030-05-04T10:30",
         "contact": contact.pk, "next": f"/contacts/{contact.pk}/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/"
    task = Activity.objects.get()
    assert task.kind == ActivityKind.CALL and task.contact == contact and task.owner == personas.rep
    assert timezone.localtime(task.due_at).hour == 10


def test_it_sends_nobody_to_another_site_after_saving(client: Client, personas: Any) -> None:
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"),
        {"kind": "task", "subject": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("activities:my_tasks")


def test_it_shows_field_errors_on_the_task_form(client: Client, personas: Any) -> None:
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"), {"kind": "task", "subject": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Activity.objects.exists()


def test_it_explains_a_concurrent_change_on_the_edit_form(client: Client, personas: Any) -> None:
    task = EnteredTaskFactory.create(actor=personas.rep)
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_edit", args=[task.pk]),
        {"kind": "task", "subject": "Nuevo", "version": 7},
    )
    assert response.status_code == 200
    assert "Someone else changed this activity meanwhile" in response.content.decode()


def test_it_logs_a_call_from_the_contact_card(client: Client, personas: Any) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    signed_in = client_for(client, personas.rep)
    card = signed_in.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert 'id="activities-panel"' in card and "Log a call, e-mail or meeting" in card
    response = signed_in.post(
        reverse("activities:contact_log", args=[contact.pk]),
        {"kind": "call", "subject": "Primer contacto", "outcome": "reached", "duration_minutes": 4},
    )
    assert response.status_code == 302
    call = Activity.objects.get()
    assert call.done_at is not None and call.contact == contact
    card = signed_in.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert "logged a call" in card and "Primer contacto" in card


def test_it_hides_the_log_forms_from_a_read_only_role(client: Client, personas: Any) -> None:
    world = build_world(personas)
    url = reverse("contacts:contact_detail", args=[world.contact.pk])
    card = client_for(client, personas.colleague).get(url).content.decode()
    assert 'id="activities-panel"' in card and world.task.subject in card
    assert 'id="log-activity"' not in card


def test_it_lists_and_reads_notifications_and_the_bell_counts_them(
    client: Client, personas: Any
) -> None:
    first = NotificationFactory.create(recipient=personas.rep, title="Nuevo lead: Ana")
    NotificationFactory.create(recipient=personas.rep, title="Nuevo lead: Luis")
    NotificationFactory.create(recipient=personas.rep2, title="De rep2")
    signed_in = client_for(client, personas.rep)
    home = signed_in.get("/").content.decode()
    assert reverse("activities:notification_badge") in home  # the bell asks after the page
    badge = signed_in.get(reverse("activities:notification_badge")).content.decode()
    assert ">2</span>" in badge
    page = signed_in.get(reverse("activities:notifications")).content.decode()
    assert "Nuevo lead: Ana" in page and "De rep2" not in page
    response = signed_in.post(reverse("activities:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.url
    assert ">1</span>" in signed_in.get(reverse("activities:notification_badge")).content.decode()
    signed_in.post(reverse("activities:notifications_read_all"))
    assert not Notification.objects.filter(recipient=personas.rep, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=personas.rep2, read_at__isnull=True).exists()


def test_it_corrects_the_outcome_of_a_logged_call(client: Client, personas: Any) -> None:
    from clientela.activities.tests.factories import LoggedActivityFactory

    contact = EnteredContactFactory.create(actor=personas.rep)
    call = LoggedActivityFactory.create(actor=personas.rep, contact=contact)
    signed_in = client_for(client, personas.rep)
    form = signed_in.get(reverse("activities:activity_edit", args=[call.pk])).content.decode()
    assert 'name="outcome"' in form and 'name="duration_minutes"' in form
    response = signed_in.post(
        reverse("activities:activity_edit", args=[call.pk]),
        {"kind": "call", "subject": "Primera llamada", "outcome": "voicemail",
         "duration_minutes": 1, "version": call.version},
    )  # fmt: skip
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.outcome == "voicemail" and call.duration_minutes == 1 and call.done_at


def test_it_lists_todays_and_overdue_tasks_on_the_start_page(client: Client, personas: Any) -> None:
    now = timezone.now()
    ActivityFactory.create(
        owner=personas.rep, subject="Atrasada", due_at=now - dt.timedelta(days=1)
    )
    ActivityFactory.create(
        owner=personas.rep, subject="Otro mes", due_at=now + dt.timedelta(days=40)
    )
    ActivityFactory.create(
        owner=personas.rep2, subject="De rep2", due_at=now - dt.timedelta(hours=1)
    )
    html = client_for(client, personas.rep).get(reverse("core:home_panel")).content.decode()
    assert "My tasks for today" in html and "1 task is overdue." in html
    assert "Atrasada" in html and "Otro mes" not in html and "De rep2" not in html
