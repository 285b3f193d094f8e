"""Activity screens: My tasks, the task form, logging a touch, completing; the notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners, users_visible_to
from clientela.activities import services
from clientela.activities.choices import ActivityKind
from clientela.activities.forms import BoardFilterForm, LogForm, TaskForm, show_errors
from clientela.activities.ical import build_feed
from clientela.activities.models import Activity
from clientela.activities.queries import (
    calendar_activities,
    calendar_feed_of,
    can_assign,
    can_write,
    feed_activities,
    get_activity_for_user,
    get_feed_user,
    get_notification_for_user,
    notifications_of,
    task_board,
    unread_count,
)
from clientela.contacts.models import Contact
from clientela.contacts.queries import get_contact_for_user
from clientela.core.exceptions import Conflict, NotFound, ValidationFailed
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    id_param,
    is_htmx_request,
    page_number,
    paginate,
    querystring,
)
from clientela.core.users import AuthenticatedHttpRequest

NOTIFICATIONS_CAP = 1000


def _back(request: AuthenticatedHttpRequest, default: str) -> str:
    """Return the `next` address sent with the form when it is one of ours, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _owners(user: User) -> list[User]:
    """Return the people the user may give tasks to (empty without activities.assign)."""
    return (
        list(assignable_owners(user).order_by("first_name", "last_name", "id"))
        if can_assign(user)
        else []
    )


@domain_errors
@require_GET
def my_tasks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the user's tasks: overdue, today, upcoming, without a date, and done recently."""
    user = request.user
    owners = _owners(user)
    form = BoardFilterForm(request.GET or None, owners=owners)
    kind, whose = "", None
    owner_id: int | None = user.pk
    if form.is_valid():
        kind = form.cleaned_data.get("kind") or ""
        chosen = form.cleaned_data.get("owner") or ""
        if chosen == "all":
            owner_id = None
        elif chosen:
            owner_id = int(chosen)
            whose = next((u for u in owners if u.pk == owner_id), None)
    board = task_board(user, owner_id=owner_id, kind=kind)
    return render(
        request,
        "activities/my_tasks.html",
        {
            "board": board,
            "groups": [
                ("overdue", _("Overdue"), board.overdue),
                ("today", _("Today"), board.today),
                ("upcoming", _("Upcoming"), board.upcoming),
                ("undated", _("No due date"), board.undated),
            ],
            "form": form,
            "whose": whose,
            "everyone": owner_id is None,
            "can_write": can_write(user),
            "can_change_all": can_write(user) and can_assign(user),
            "next": request.get_full_path(),
        },
    )


def _people(user: User) -> list[User]:
    """Return the users who may be invited to a meeting (active colleagues the user sees)."""
    return list(
        users_visible_to(user).filter(is_active=True).order_by("first_name", "last_name", "id")
    )


def _task_initial(activity: Activity) -> dict[str, Any]:
    return {
        "kind": activity.kind,
        "subject": activity.subject,
        "due_at": activity.due_at,
        "ends_at": activity.ends_at,
        "priority": activity.priority,
        "direction": activity.direction,
        "place": activity.place,
        "attendees": [u.pk for u in activity.attendees.all()],
        "attendance": activity.attendance,
        "reminder_minutes": activity.reminder_minutes,
        "owner": activity.owner_id,
        "notes": activity.notes,
        "outcome": activity.outcome,
        "duration_minutes": activity.duration_minutes,
        "contact": activity.contact_id,
        "version": activity.version,
    }


@domain_errors
@require_http_methods(["GET", "POST"])
def activity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a task for oneself (or, for who may assign, for someone else)."""
    user = request.user
    forbid_unless(can_write(user), _("Your role can only read activities."))
    owners = _owners(user)
    contact_id = id_param(request.POST if request.method == "POST" else request.GET, "contact")
    contact: Contact | None = get_contact_for_user(user, contact_id) if contact_id else None
    default = (
        reverse("contacts:contact_detail", args=[contact.pk])
        if contact
        else reverse("activities:my_tasks")
    )
    people = _people(user)
    if request.method == "POST":
        form = TaskForm(request.POST, owners=owners, people=people)
        if form.is_valid():
            data = form.cleaned_data
            owner = next((u for u in owners if u.pk == data.get("owner")), user)
            try:
                services.create_task(
                    owner=owner,
                    subject=data["subject"],
                    due_at=data.get("due_at"),
                    contact=contact,
                    notes=data.get("notes") or "",
                    kind=data["kind"],
                    actor=user,
                    priority=data.get("priority") or "",
                    ends_at=data.get("ends_at"),
                    place=data.get("place") or "",
                    attendees=data.get("attendees") or [],
                    direction=data.get("direction") or "",
                    reminder_minutes=data.get("reminder_minutes"),
                )
            except ValidationFailed as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Task created."))
                return redirect(_back(request, default))
    else:
        initial: dict[str, Any] = {"owner": user.pk, "contact": contact_id}
        if request.GET.get("kind") in ActivityKind.values:
            initial["kind"] = request.GET["kind"]
        start = _start_param(request)
        if start is not None:
            initial["due_at"] = start
        form = TaskForm(initial=initial, owners=owners, people=people)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "contact": contact, "next": _back(request, default), "activity": None},
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change an activity; a concurrent change is caught by the version and explained."""
    user = request.user
    activity = get_activity_for_user(user, pk, write=True)
    owners = _owners(user)
    if owners and activity.owner not in owners:
        owners.append(activity.owner)
    default = reverse("activities:my_tasks")
    people = _people(user)
    if request.method == "POST":
        form = TaskForm(request.POST, owners=owners, people=people)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("contact", None)
            if activity.kind == ActivityKind.TASK:  # a plain task has no outcome or duration
                data.pop("outcome", None)
                data.pop("duration_minutes", None)
            if activity.kind != ActivityKind.MEETING or not data.get("attendance"):
                data.pop("attendance", None)
            version = data.pop("version", None)
            if "owner" not in form.fields:
                data.pop("owner", None)
            try:
                services.update_activity(activity, actor=user, data=data, expected_version=version)
            except ValidationFailed as exc:
                show_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Activity saved."))
                return redirect(_back(request, default))
    else:
        form = TaskForm(initial=_task_initial(activity), owners=owners, people=people)
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "contact": activity.contact,
            "activity": activity,
            "next": _back(request, default),
        },
    )


def _row_response(request: AuthenticatedHttpRequest, activity: Activity) -> HttpResponse:
    """After a one-click change: the row again for HTMX, else back where the user was."""
    if is_htmx_request(request):
        return render(
            request,
            "activities/includes/activity_row.html",
            {"a": activity, "can_change": True, "next": _back(request, "")},
        )
    return redirect(_back(request, reverse("activities:my_tasks")))


@domain_errors
@require_POST
def activity_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark an activity done with one click."""
    activity = get_activity_for_user(request.user, pk, write=True)
    activity = services.complete_activity(activity, actor=request.user)
    return _row_response(request, activity)


@domain_errors
@require_POST
def activity_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Open a done activity again."""
    activity = get_activity_for_user(request.user, pk, write=True)
    activity = services.reopen_activity(activity, actor=request.user)
    return _row_response(request, activity)


@domain_errors
@require_POST
def activity_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete an activity (its events stay on the timeline)."""
    activity = get_activity_for_user(request.user, pk, write=True)
    services.delete_activity(activity, actor=request.user)
    messages.success(request, _("Activity deleted."))
    return redirect(_back(request, reverse("activities:my_tasks")))


@domain_errors
@require_http_methods(["GET", "POST"])
def contact_log(request: AuthenticatedHttpRequest, contact_pk: int) -> HttpResponse:
    """Log a call, e-mail or meeting with a contact (the card's panel posts here)."""
    user = request.user
    contact = get_contact_for_user(user, contact_pk)
    forbid_unless(can_write(user), _("Your role can only read activities."))
    detail = reverse("contacts:contact_detail", args=[contact.pk])
    form = LogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.log_activity(
                kind=data["kind"],
                contact=contact,
                subject=data.get("subject") or "",
                done_at=data.get("done_at"),
                outcome=data.get("outcome") or "",
                duration_minutes=data.get("duration_minutes"),
                notes=data.get("notes") or "",
                actor=user,
                direction=data.get("direction") or "",
                place=data.get("place") or "",
                attendance=data.get("attendance") or "",
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("Logged on the timeline: %(kind)s.") % {"kind": activity.get_kind_display()},
            )
            return redirect(_back(request, detail))
    return render(request, "activities/log_form.html", {"form": form, "contact": contact})


# --- notifications ---------------------------------------------------------------------------


@require_GET
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the user's notifications, unread ones marked."""
    page = paginate(notifications_of(request.user), page_number(request.GET), cap=NOTIFICATIONS_CAP)
    return render(
        request,
        "activities/notifications.html",
        {
            "page": page,
            "unread": unread_count(request.user),
            "prev_url": querystring(request.GET, page=page.number - 1),
            "next_url": querystring(request.GET, page=page.number + 1),
        },
    )


@domain_errors
@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark a notification read and follow its link (or come back to the list)."""
    notification = get_notification_for_user(request.user, pk)
    services.mark_read(notification, actor=request.user)
    if request.POST.get("stay") or not notification.url:
        return redirect("activities:notifications")
    return redirect(notification.url)


@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark every notification read."""
    services.mark_all_read(actor=request.user)
    return redirect("activities:notifications")


@require_GET
def notification_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Return the bell's unread count (fetched by the header after the page loads)."""
    return render(request, "activities/includes/badge.html", {"unread": unread_count(request.user)})


# --- calendar ----------------------------------------------------------------------------------


def _start_param(request: AuthenticatedHttpRequest) -> dt.datetime | None:
    """Return the `start` moment a calendar cell sent ("2026-12-07T09:00"), or None."""
    raw = request.GET.get("start") or ""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            moment = moment.replace(hour=9)
        return timezone.make_aware(moment)
    return None


def _day_param(request: AuthenticatedHttpRequest) -> dt.date:
    """Return the day the calendar is about (`date=YYYY-MM-DD`), today when missing or bad."""
    try:
        day = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        return timezone.localdate()
    if not dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
        return timezone.localdate()
    return day


@dataclass
class CalendarDay:
    """One day cell of the calendar: its date, whether it is in the month shown, its rows."""

    day: dt.date
    in_month: bool
    is_today: bool
    activities: list[Activity]


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@domain_errors
@require_GET
def calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the user's activities (or, for who may assign, a colleague's) by week or month."""
    user = request.user
    view = "month" if request.GET.get("view") == "month" else "week"
    day = _day_param(request)
    owners = _owners(user)
    owner_id: int | None = user.pk
    whose: User | None = None
    chosen = id_param(request.GET, "owner")
    if chosen and chosen != user.pk:
        whose = next((u for u in owners if u.pk == chosen), None)
        if whose is None:  # not someone whose calendar the user may see
            raise NotFound(_("Calendar not found."))
        owner_id = whose.pk
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=7)
        prev_day, next_day = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
    else:
        month_start = day.replace(day=1)
        first = month_start - dt.timedelta(days=month_start.weekday())
        following = _shift_month(month_start, 1)
        last = following + dt.timedelta(days=(7 - following.weekday()) % 7)
        prev_day, next_day = _shift_month(month_start, -1), following
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last, dt.time.min, tzinfo=zone)
    rows = calendar_activities(user, owner_id=owner_id, start=start, end=end)
    by_day: dict[dt.date, list[Activity]] = {}
    for activity in rows:
        moment = activity.due_at or activity.done_at
        assert moment is not None
        by_day.setdefault(timezone.localtime(moment).date(), []).append(activity)
    today = timezone.localdate()
    days = [
        CalendarDay(
            d,
            view == "week" or d.month == day.month,
            d == today,
            by_day.get(d, []),
        )
        for d in (first + dt.timedelta(days=i) for i in range((last - first).days))
    ]
    base = {"view": view}
    if whose is not None:
        base["owner"] = str(whose.pk)
    return render(
        request,
        "activities/calendar.html",
        {
            "view": view,
            "day": day,
            "days": days,
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "first": first,
            "last": last - dt.timedelta(days=1),
            "owners": owners,
            "whose": whose,
            "can_write": can_write(user),
            "prev_url": querystring(base, date=prev_day.isoformat()),
            "next_url": querystring(base, date=next_day.isoformat()),
            "today_url": querystring(base),
            "week_url": querystring({**base, "view": "week"}, date=day.isoformat()),
            "month_url": querystring({**base, "view": "month"}, date=day.isoformat()),
            "next": request.get_full_path(),
        },
    )


# --- the personal iCalendar feed ---------------------------------------------------------------


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("activities_public:ical_feed", args=[token]))


@domain_errors
@require_http_methods(["GET", "POST"])
def calendar_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the user's calendar address settings; POST makes a new secret address (shown once)."""
    user = request.user
    token = ""
    if request.method == "POST":
        token = services.regenerate_calendar_feed(actor=user)
    return render(
        request,
        "activities/calendar_feed.html",
        {
            "feed": calendar_feed_of(user),
            "feed_url": _feed_url(request, token) if token else "",
        },
    )


@domain_errors
@require_POST
def calendar_feed_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Revoke the user's calendar address: calendar apps stop receiving updates."""
    if services.revoke_calendar_feed(actor=request.user):
        messages.success(request, _("Calendar address revoked."))
    return redirect("activities:calendar_feed")


@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve a user's iCalendar feed to whoever holds its secret address (404 otherwise)."""
    try:
        user = get_feed_user(token)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    body = build_feed(user, feed_activities(user))
    services.touch_calendar_feed(user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="clientela.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
