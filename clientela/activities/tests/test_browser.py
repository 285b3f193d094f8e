"""Real Chromium against the production server with the demo company: a rep opens a contact,
logs a call, creates a task, completes it on "My day" with one click, and sees the bell's
count drop after reading a notification."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clientela.testing.browser import sign_in, tr
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("activities-server"), demo_contacts=120) as running:
        yield running


def test_it_lets_a_rep_log_a_call_plan_a_task_complete_it_and_read_a_notification(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "ana")
    bell = page.locator("a.bell .bell-count")
    expect(bell).to_have_text("2")  # the demo left Ana two unread notifications
    card = page.locator("#home-panel .start-tasks")
    expect(card).to_contain_text("Mis tareas de hoy")
    # The demo's two overdue tasks, and the collection tasks of its overdue instalments.
    expect(card).to_contain_text(re.compile(r"\b\d+ tareas están vencidas\."))
    overdue = int(re.search(r"(\d+) tareas están vencidas", card.inner_text()).group(1))  # type: ignore[union-attr]
    assert overdue >= 2
    page.screenshot(path=str(shots / "activities-start.png"), full_page=True)

    # Open one of her contacts from the list.
    page.goto(f"{server.url}/contacts/")
    page.locator("table a[href^='/contacts/']").first.click()
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    panel = page.locator("#activities-panel")
    expect(panel.get_by_role("heading", name="Actividades")).to_be_visible()

    # Log a call: who answered, how long.
    panel.get_by_text("Registrar una llamada, un correo o una reunión").click()
    log = panel.locator("form.log-form")
    log.get_by_label("Llamada").check()
    log.get_by_label("Asunto").fill("Le conté de los lotes en Ocala")
    log.get_by_label("Resultado").select_option("reached")
    log.get_by_label("Minutos").fill("7")
    log.get_by_role("button", name="Registrar").click()
    expect(page.locator(".messages")).to_contain_text("Registrado en el historial: Llamada")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("registró una llamada: «Le conté de los lotes en Ocala»")
    expect(timeline).to_contain_text("Contestó · 7 min")

    # Plan the next step as a task.
    panel = page.locator("#activities-panel")
    panel.get_by_text("Crear una tarea").click()
    task_form = panel.locator("#new-task form")
    task_form.get_by_label("Qué hay que hacer").fill("Enviar el plano del lote 14")
    task_form.get_by_role("button", name="Crear tarea").click()
    expect(page.locator(".messages")).to_contain_text("Tarea creada.")
    expect(page.locator("#activities-panel")).to_contain_text("Enviar el plano del lote 14")
    page.screenshot(path=str(shots / "activities-contact.png"), full_page=True)

    # Complete it on "Mis tareas" with one click (HTMX swaps the row).
    page.locator("nav.sidebar").get_by_role("link", name="Actividades").click()
    # The agenda ("My day"), in Spanish once the catalogue has it.
    expect(page.get_by_role("heading", name=tr("My day"))).to_be_visible()
    row = page.locator("li.task", has_text="Enviar el plano del lote 14")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Completar «Enviar el plano del lote 14»").click()
    expect(row).to_have_class(re.compile(r"task-done"))
    page.screenshot(path=str(shots / "activities-my-tasks.png"), full_page=True)
    page.reload()
    done = page.locator("#group-done li.task", has_text="Enviar el plano del lote 14")
    expect(done).to_be_visible()

    # Read a notification: the bell's count drops.
    page.locator("a.bell").click()
    page.wait_for_url(f"{server.url}/activities/notifications/")
    expect(page.locator("li.notification.unread")).to_have_count(2)
    page.locator("li.notification.unread").first.get_by_role(
        "button", name="Marcar como leída"
    ).click()
    expect(page.locator("li.notification.unread")).to_have_count(1)
    expect(page.locator("a.bell .bell-count")).to_have_text("1")
    page.screenshot(path=str(shots / "activities-notifications.png"), full_page=True)

    # On a phone the page still fits.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/activities/")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(shots / "activities-phone.png"), full_page=True)


def test_it_opens_the_calendar_week_creates_a_meeting_and_sees_it_in_the_agenda(
    page: Page, server: RunningServer, shots: Path
) -> None:
    import datetime as dt

    from django.utils import timezone

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "carlos")
    page.goto(f"{server.url}/activities/calendar/")
    expect(page.locator(".calendar.view-week .calendar-day")).to_have_count(7)
    expect(page.locator(".calendar-day.today")).to_have_count(1)
    page.screenshot(path=str(shots / "agenda-calendar-week-1280.png"), full_page=True)

    start = (timezone.localtime() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    end = start + dt.timedelta(hours=1)
    page.locator(".page-actions a[href*='kind=meeting']").click()
    form = page.locator("form:has(input[name=subject])")
    expect(form.locator("select[name=kind]")).to_have_value("meeting")
    form.locator("input[name=subject]").fill("Visita al lote 12 con la familia Rojas")
    form.locator("input[name=due_at]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=ends_at]").fill(end.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=place]").fill("Sala de ventas Chía")
    form.locator("select[name=priority]").select_option("high")
    form.locator("select[name=reminder_minutes]").select_option("60")
    form.locator("button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/activities/calendar/"))

    page.goto(f"{server.url}/activities/calendar/?date={start.date().isoformat()}")
    item = page.locator(".cal-item", has_text="Visita al lote 12 con la familia Rojas")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(start.strftime("%H:%M"))
    expect(item).to_contain_text("Sala de ventas Chía")
    page.screenshot(path=str(shots / "agenda-calendar-meeting-1280.png"), full_page=True)

    page.goto(f"{server.url}/activities/")
    row = page.locator("li.task", has_text="Visita al lote 12 con la familia Rojas")
    expect(row).to_contain_text("Sala de ventas Chía")
    expect(row).to_contain_text(f"{start:%H:%M}–{end:%H:%M}")
    page.screenshot(path=str(shots / "agenda-my-day-1280.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "agenda-my-day-390.png"), full_page=True)
    page.goto(f"{server.url}/activities/calendar/?view=month&date={start.date().isoformat()}")
    expect(page.locator(".cal-item", has_text="Visita al lote 12")).to_have_count(1)
    page.screenshot(path=str(shots / "agenda-calendar-month-390.png"), full_page=True)
    page.goto(f"{server.url}/activities/calendar/?date={start.date().isoformat()}")
    page.screenshot(path=str(shots / "agenda-calendar-week-390.png"), full_page=True)
