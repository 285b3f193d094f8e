"""Agenda (issue 12 §6): activity fields, My day, calendar, iCalendar feed, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from clientela.activities import services
from clientela.activities.choices import ActivityKind, Attendance, Direction, Priority
from clientela.activities.models import Activity, CalendarFeed, Notification
from clientela.activities.tests.factories import ActivityFactory, EnteredTaskFactory
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.core.testing import client_for
from clientela.delivery.models import Message
from clientela.delivery.services.sending import send_due
from clientela.testing.access import bearer_headers

pytestmark = pytest.mark.django_db


def _soon(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, Any]:
    return dict(exc.value.errors)


def _message(exc: pytest.ExceptionInfo[ValidationFailed], field: str) -> str:
    value = _errors(exc)[field]
    return str(value[0] if isinstance(value, list) else value)


# --- fields ------------------------------------------------------------------------------------


def test_it_creates_a_meeting_with_end_place_attendees_and_pending_attendance(personas) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    meeting = services.create_task(
        owner=personas.rep,
        subject="Visita al apartamento",
        kind=ActivityKind.MEETING,
        due_at=_soon(24),
        ends_at=_soon(25),
        place="Calle 93 #11-20",
        attendees=[personas.rep2.pk, personas.rep.pk, personas.rep2.pk],
        contact=contact,
        actor=personas.rep,
        priority=Priority.HIGH,
        reminder_minutes=60,
    )
    assert meeting.attendance == Attendance.PENDING
    assert meeting.place == "Calle 93 #11-20" and meeting.priority == Priority.HIGH
    assert list(meeting.attendees.all()) == [personas.rep2]  # the owner is not an attendee
    assert meeting.due_at is not None
    assert meeting.remind_at == meeting.due_at - dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"ends_at": "start"}, "ends_at", "The end must be after the start."),
        ({"ends_at": "early"}, "ends_at", "The end must be after the start."),
        ({"ends_at": "too_long"}, "ends_at", "A meeting cannot last more than a day."),
        ({"due_at": None, "ends_at": "later"}, "due_at", "Give the start of the meeting."),
        ({"priority": "urgent"}, "priority", "Select a valid priority."),
        ({"reminder_minutes": 7}, "reminder_minutes", "Select a valid reminder."),
        ({"reminder_minutes": "x"}, "reminder_minutes", "Select a valid reminder."),
        ({"attendees": [99_999_999]}, "attendees", "Select valid users."),
        ({"attendees": ["x"]}, "attendees", "Select valid users."),
        ({"place": "x" * 201}, "place", "Use at most 200 characters."),
    ],
)
def test_it_refuses_each_bad_meeting_value_with_a_field_message(
    personas, extra: dict[str, Any], field: str, message: str
) -> None:
    start = _soon(24)
    moments = {
        "start": start,
        "early": start - dt.timedelta(hours=1),
        "too_long": start + dt.timedelta(hours=25),
        "later": start + dt.timedelta(hours=1),
    }
    values: dict[str, Any] = {"due_at": start, **extra}
    if "ends_at" in values:
        values["ends_at"] = moments[values["ends_at"]]
    with pytest.raises(ValidationFailed) as exc:
        services.create_task(
            owner=personas.rep, subject="Visita", kind=ActivityKind.MEETING,
            actor=personas.rep, **values,
        )  # fmt: skip
    assert _message(exc, field) == message
    assert not Activity.objects.exists()


def test_it_refuses_a_bad_direction_and_keeps_direction_on_calls_only(personas) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    with pytest.raises(ValidationFailed) as exc:
        services.log_activity(
            kind=ActivityKind.CALL, contact=contact, direction="sideways", actor=personas.rep
        )
    assert _message(exc, "direction") == "Select inbound or outbound."
    call = services.log_activity(
        kind=ActivityKind.CALL, contact=contact, direction="inbound", actor=personas.rep
    )
    email = services.log_activity(
        kind=ActivityKind.EMAIL, contact=contact, direction="inbound", actor=personas.rep
    )
    assert call.direction == Direction.INBOUND and email.direction == ""


def test_it_records_attended_and_no_show_meetings_on_the_contact_timeline(
    client: Client, personas
) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep)
    meeting = services.create_task(
        owner=personas.rep, subject="Visita lote 7", kind=ActivityKind.MEETING,
        due_at=_soon(-2), ends_at=_soon(-1), contact=contact, actor=personas.rep,
    )  # fmt: skip
    services.update_activity(meeting, actor=personas.rep, data={"attendance": "no_show"})
    logged = services.log_activity(
        kind=ActivityKind.MEETING, contact=contact, subject="Firma", place="Notaría 5",
        actor=personas.rep,
    )  # fmt: skip
    assert logged.attendance == Attendance.ATTENDED
    with pytest.raises(ValidationFailed) as exc:
        services.update_activity(meeting, actor=personas.rep, data={"attendance": "maybe"})
    assert _message(exc, "attendance") == "Select a valid attendance."
    personas.rep.language = "en"
    personas.rep.save()
    html = client_for(client, personas.rep).get(
        reverse("contacts:contact_detail", args=[contact.pk])
    )
    text = html.content.decode()
    assert "No-show" in text and "Notaría 5" in text and "Attended" in text


def test_it_completes_a_pending_meeting_as_attended_and_clears_its_reminder(personas) -> None:
    meeting = services.create_task(
        owner=personas.rep, subject="Visita", kind=ActivityKind.MEETING, due_at=_soon(2),
        reminder_minutes=10, actor=personas.rep,
    )  # fmt: skip
    assert meeting.remind_at is not None
    done = services.complete_activity(meeting, actor=personas.rep)
    assert done.attendance == Attendance.ATTENDED and done.remind_at is None


def test_the_form_shows_field_errors_for_a_meeting_that_ends_before_it_starts(
    client: Client, personas
) -> None:
    personas.rep.language = "en"
    personas.rep.save()
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"),
        {
            "kind": "meeting",
            "subject": "Visita",
            "due_at": "2030-05-01T10:00",
            "ends_at": "2030-05-01T09:00",
            "priority": "normal",
            "reminder_minutes": "",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["ends_at"] == ["The end must be after the start."]
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"),
        {"kind": "task", "subject": "Llamar", "priority": "urgent", "reminder_minutes": "7"},
    )
    form = response.context["form"]
    assert "priority" in form.errors and "reminder_minutes" in form.errors
    assert not Activity.objects.exists()


def test_the_form_creates_a_meeting_with_its_attendees(client: Client, personas) -> None:
    response = client_for(client, personas.rep).post(
        reverse("activities:activity_create"),
        {
            "kind": "meeting",
            "subject": "Visita al lote",
            "due_at": "2030-05-01T10:00",
            "ends_at": "2030-05-01T11:00",
            "place": "Lote 7, Chía",
            "attendees": [str(personas.rep2.pk)],
            "priority": "high",
            "reminder_minutes": "60",
        },
    )
    assert response.status_code == 302
    meeting = Activity.objects.get()
    assert meeting.kind == "meeting" and meeting.place == "Lote 7, Chía"
    assert list(meeting.attendees.all()) == [personas.rep2]
    assert meeting.reminder_minutes == 60 and meeting.priority == "high"


# --- API ---------------------------------------------------------------------------------------


def test_the_api_creates_and_shows_the_new_fields(client: Client, personas) -> None:
    headers: dict[str, Any] = dict(bearer_headers(personas.rep))
    body = {
        "kind": "meeting",
        "subject": "Visita",
        "due_at": "2030-05-01T15:00:00Z",
        "ends_at": "2030-05-01T16:00:00Z",
        "place": "Oficina",
        "attendees": [personas.rep2.pk],
        "priority": "high",
        "reminder_minutes": 1440,
    }
    response = client.post("/api/v1/activities", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["place"] == "Oficina" and data["priority"] == "high"
    assert data["attendance"] == "pending" and data["reminder_minutes"] == 1440
    assert [a["id"] for a in data["attendees"]] == [personas.rep2.pk]
    response = client.patch(
        f"/api/v1/activities/{data['id']}",
        {"attendance": "attended", "direction": None},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200 and response.json()["attendance"] == "attended"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_at": "2030-05-01T14:00:00Z"}, "ends_at"),
        ({"priority": "urgent"}, "priority"),
        ({"reminder_minutes": 5}, "reminder_minutes"),
        ({"direction": "sideways"}, "direction"),
        ({"attendees": [99_999_999]}, "attendees"),
        ({"place": "x" * 201}, "place"),
    ],
)
def test_the_api_answers_each_bad_value_with_its_field(
    client: Client, personas, body: dict[str, Any], field: str
) -> None:
    payload = {"kind": "meeting", "subject": "Visita", "due_at": "2030-05-01T15:00:00Z", **body}
    response = client.post(
        "/api/v1/activities", payload, content_type="application/json",
        **dict[str, Any](bearer_headers(personas.rep)),
    )  # fmt: skip
    assert response.status_code in (400, 422), response.content
    assert field in response.content.decode()
    assert not Activity.objects.exists()


# --- My day and the calendar --------------------------------------------------------------------


def test_my_day_lists_todays_tasks_and_meetings_in_time_order(client: Client, personas) -> None:
    now = timezone.localtime()
    if now.hour >= 21:  # the two moments must stay today
        now = now - dt.timedelta(hours=3)
    later = now + dt.timedelta(hours=2)
    ActivityFactory.create(owner=personas.rep, subject="Tarea tarde", due_at=later)
    ActivityFactory.create(
        owner=personas.rep, subject="Reunión antes", kind="meeting", place="Sala 2",
        due_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    with time_at(now):
        html = client_for(client, personas.rep).get(reverse("activities:my_tasks")).content
    text = html.decode()
    today = text[text.index('id="group-today"') : text.index('id="group-upcoming"')]
    assert today.index("Reunión antes") < today.index("Tarea tarde")
    assert "Sala 2" in today and reverse("activities:calendar") in text


def time_at(moment: dt.datetime) -> Any:
    """Travel to `moment` (time-machine), ticking."""
    import time_machine

    return time_machine.travel(moment, tick=True)


def test_the_calendar_week_shows_the_activities_of_the_week_in_one_query(
    client: Client, personas
) -> None:
    monday = dt.date(2030, 5, 6)
    zone = timezone.get_current_timezone()
    for day in range(7):
        for hour in (9, 15):
            ActivityFactory.create(
                owner=personas.rep, subject=f"Cita {day}-{hour}", kind="meeting",
                due_at=dt.datetime(2030, 5, 6 + day, hour, tzinfo=zone),
            )  # fmt: skip
    ActivityFactory.create(
        owner=personas.rep, subject="Semana siguiente",
        due_at=dt.datetime(2030, 5, 13, 9, tzinfo=zone),
    )  # fmt: skip
    ActivityFactory.create(
        owner=personas.rep2, subject="De otro", due_at=dt.datetime(2030, 5, 7, 9, tzinfo=zone)
    )
    signed_in = client_for(client, personas.rep)
    url = reverse("activities:calendar") + f"?view=week&date={monday + dt.timedelta(days=2)}"
    signed_in.get(url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(url)
    text = response.content.decode()
    activity_queries = [q for q in queries.captured_queries if "activities_activity" in q["sql"]]
    assert len(activity_queries) == 1
    assert "Cita 0-9" in text and "Cita 6-15" in text
    assert "Semana siguiente" not in text and "De otro" not in text
    assert text.index("Cita 0-9") < text.index("Cita 0-15") < text.index("Cita 1-9")
    month = signed_in.get(reverse("activities:calendar") + "?view=month&date=2030-05-20")
    assert "Semana siguiente" in month.content.decode()
    assert "date=2030-04-01" in month.content.decode()  # previous month


def test_the_calendar_user_picker_offers_only_whom_the_manager_may_see(
    client: Client, personas
) -> None:
    zone = timezone.get_current_timezone()
    ActivityFactory.create(
        owner=personas.rep, subject="Cita del rep", due_at=dt.datetime(2030, 5, 7, 9, tzinfo=zone)
    )
    url = reverse("activities:calendar") + f"?date=2030-05-07&owner={personas.rep.pk}"
    assert "Cita del rep" in client_for(client, personas.manager).get(url).content.decode()
    # A rep may not open a colleague's calendar: it does not exist for them.
    other = reverse("activities:calendar") + f"?date=2030-05-07&owner={personas.rep.pk}"
    assert client_for(client, personas.rep2).get(other).status_code == 404
    assert (
        client_for(client, personas.rep2)
        .get(reverse("activities:calendar") + "?date=nonsense&view=month")
        .status_code
        == 200
    )


# --- the iCalendar feed ------------------------------------------------------------------------


def test_the_feed_serves_tasks_and_meetings_in_utc_and_a_revoked_token_answers_404(
    client: Client, personas
) -> None:
    contact = EnteredContactFactory.create(actor=personas.rep, email="ana@example.co")
    meeting = services.create_task(
        owner=personas.rep, subject="Visita", kind=ActivityKind.MEETING, due_at=_soon(24),
        ends_at=_soon(25), place="Calle 93", attendees=[personas.rep2.pk], contact=contact,
        actor=personas.rep,
    )  # fmt: skip
    task = EnteredTaskFactory.create(actor=personas.rep, due_at=_soon(5), priority="high")
    cancelled = services.create_task(
        owner=personas.rep, subject="Cancelada", kind=ActivityKind.MEETING, due_at=_soon(30),
        actor=personas.rep,
    )  # fmt: skip
    services.update_activity(cancelled, actor=personas.rep, data={"attendance": "cancelled"})
    deleted = EnteredTaskFactory.create(actor=personas.rep, subject="Borrada", due_at=_soon(6))
    services.delete_activity(deleted, actor=personas.rep)
    EnteredTaskFactory.create(actor=personas.rep2, subject="De otro", due_at=_soon(7))
    token = services.regenerate_calendar_feed(actor=personas.rep)
    assert CalendarFeed.objects.get().token_hash != token  # only the hash is stored

    url = reverse("activities_public:ical_feed", args=[token])
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(c["uid"]): c for c in calendar.walk() if c.name in ("VEVENT", "VTODO")}
    assert set(events) == {f"activity-{meeting.pk}@clientela", f"activity-{task.pk}@clientela"}
    event = events[f"activity-{meeting.pk}@clientela"]
    assert event.name == "VEVENT" and str(event["location"]) == "Calle 93"
    assert event.decoded("dtstart") == meeting.due_at
    utc_start = meeting.due_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{utc_start}".encode() in response.content  # times in UTC
    assert event.decoded("dtend") == meeting.ends_at
    attendees = [str(a) for a in event.get("attendee")]
    assert "mailto:rep2@example.co" in attendees and "mailto:ana@example.co" in attendees
    todo = events[f"activity-{task.pk}@clientela"]
    assert todo.name == "VTODO" and todo.decoded("due") == task.due_at
    assert int(todo["priority"]) == 1 and int(event["sequence"]) == 0

    services.update_activity(meeting, actor=personas.rep, data={"place": "Calle 94"})
    again = Calendar.from_ical(Client().get(url).content)
    [changed] = [c for c in again.walk("VEVENT") if str(c["uid"]) == str(event["uid"])]
    assert int(changed["sequence"]) == 1 and str(changed["location"]) == "Calle 94"

    new_token = services.regenerate_calendar_feed(actor=personas.rep)
    assert Client().get(url).status_code == 404  # the old address stopped working
    new_url = reverse("activities_public:ical_feed", args=[new_token])
    assert Client().get(new_url).status_code == 200
    assert services.revoke_calendar_feed(actor=personas.rep) is True
    assert Client().get(new_url).status_code == 404
    assert Client().get(reverse("activities_public:ical_feed", args=["nope"])).status_code == 404


def test_the_feed_page_shows_the_address_once(client: Client, personas) -> None:
    signed_in = client_for(client, personas.rep)
    response = signed_in.post(reverse("activities:calendar_feed"))
    text = response.content.decode()
    assert 'data-testid="feed-url"' in text and "/ical/" in text
    again = signed_in.get(reverse("activities:calendar_feed")).content.decode()
    assert 'data-testid="feed-url"' not in again and "/ical/" not in again
    signed_in.post(reverse("activities:calendar_feed_revoke"))
    assert not CalendarFeed.objects.exists()


# --- reminders ---------------------------------------------------------------------------------


def test_a_reminder_is_sent_once_in_app_and_by_email_in_the_owners_language(
    personas, smtp_server
) -> None:
    personas.rep.language = "en"
    personas.rep.save()
    activity = services.create_task(
        owner=personas.rep, subject="Llamar a Ana", due_at=_soon(0.1), reminder_minutes=10,
        actor=personas.rep,
    )  # fmt: skip
    not_yet = services.create_task(
        owner=personas.rep, subject="Mañana", due_at=_soon(30), reminder_minutes=60,
        actor=personas.rep,
    )  # fmt: skip
    assert services.send_due_reminders() == 1
    assert services.send_due_reminders() == 0  # a second worker finds nothing to claim
    [note] = Notification.objects.filter(recipient=personas.rep)
    assert note.title == "Reminder: Llamar a Ana"
    [message] = Message.objects.filter(kind=services.REMINDER_KIND)
    assert message.to_address == "rep@example.co"
    send_due(owner="test")
    [received] = smtp_server.messages
    assert received.message["Subject"] == "Reminder: Llamar a Ana"
    assert "Open your agenda" in received.part("text/plain")
    activity.refresh_from_db()
    not_yet.refresh_from_db()
    assert activity.reminded_at is not None and not_yet.reminded_at is None
    # Moving the task sets a new reminder, sent again when its time comes.
    services.update_activity(activity, actor=personas.rep, data={"due_at": _soon(0.05)})
    activity.refresh_from_db()
    assert activity.reminded_at is None
    with translation.override("es"):
        assert services.send_due_reminders() == 1


def test_the_claim_is_a_conditional_update_so_a_reminder_claimed_elsewhere_is_skipped(
    personas,
) -> None:
    activity = services.create_task(
        owner=personas.rep, subject="Llamar", due_at=_soon(0.1), reminder_minutes=10,
        actor=personas.rep,
    )  # fmt: skip
    # Another worker claimed it between this worker's read and its update.
    Activity.objects.filter(pk=activity.pk).update(reminded_at=timezone.now())
    assert services.send_due_reminders() == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL")
def test_two_workers_send_each_reminder_exactly_once_on_postgresql(personas) -> None:
    import threading

    from django.db import connections

    for n in range(30):
        services.create_task(
            owner=personas.rep, subject=f"Tarea {n}", due_at=_soon(0.1), reminder_minutes=10,
            actor=personas.rep,
        )  # fmt: skip
    counts: list[int] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            counts.append(services.send_due_reminders())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 30
    assert Notification.objects.filter(recipient=personas.rep).count() == 30
    assert Message.objects.filter(kind=services.REMINDER_KIND).count() == 30
