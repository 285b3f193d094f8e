"""Activities (tasks, calls, e-mails, meetings) and the in-app notifications of each user."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.activities.choices import (
    TOUCH_KINDS,
    ActivityKind,
    Attendance,
    Direction,
    Outcome,
    Priority,
    Reminder,
)


class Activity(models.Model):
    """Something a user must do or did with a customer: a task, a call, an e-mail or a meeting.

    An activity with `done_at` set is done: a call, e-mail or meeting recorded that way is a
    *logged* touch (speed-to-lead counts the first); one without is open (pending), due at
    `due_at` when it has a date.
    """

    kind = models.CharField(
        _("kind"), max_length=12, choices=ActivityKind.choices, default=ActivityKind.TASK
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,  # (contact, done_at) below serves lookups and cascades
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    # The deal it is about (deals sits above activities: referenced by name, never imported).
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,  # the owner indexes below serve lookups
    )
    # When it is due; for a meeting, when it starts (and `ends_at` when it ends).
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, blank=True
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, blank=True
    )
    # The other users at a meeting (the contact is `contact`).
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="+"
    )
    reminder_minutes = models.PositiveIntegerField(
        _("reminder"), null=True, blank=True, choices=Reminder.choices
    )
    # When the reminder is due (due_at - reminder_minutes) and when it went out (claimed once).
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # What made it, for programs: "webforms.assignment", "demo", "" when a person entered it.
    source = models.CharField(_("source"), max_length=60, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "My open tasks by due date" (and open-task counts per owner).
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(done_at__isnull=True),
                name="activity_open_owner_due_idx",
            ),
            # "Done recently" on My tasks.
            models.Index(fields=["owner", "done_at"], name="activity_owner_done_idx"),
            # A contact's open tasks and its first logged touch since a moment (speed-to-lead).
            models.Index(fields=["contact", "done_at"], name="activity_contact_done_idx"),
            models.Index(
                fields=["contact", "done_at"],
                condition=Q(done_at__isnull=False, kind__in=[str(k) for k in TOUCH_KINDS]),
                name="activity_contact_touch_idx",
            ),
            models.Index(fields=["-created_at", "-id"], name="activity_recent_idx"),
            # The reminder worker: reminders due and not yet sent.
            models.Index(
                fields=["remind_at"],
                condition=Q(reminded_at__isnull=True, remind_at__isnull=False),
                name="activity_reminder_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or str(self.get_kind_display())

    @property
    def is_done(self) -> bool:
        """Whether the activity is done (logged or completed)."""
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        """Whether an open activity is past its due moment."""
        return self.done_at is None and self.due_at is not None and self.due_at < timezone.now()

    @property
    def title(self) -> str:
        """The subject, or the kind's name when there is none ("Call")."""
        return str(self)


class Notification(models.Model):
    """A message in one user's in-app inbox (the bell): a title, a text and an internal link."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the recipient indexes below serve lookups and cascades
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        """Whether the recipient has read it."""
        return self.read_at is not None


class CalendarFeed(models.Model):
    """A user's secret iCalendar address: only the SHA-256 of its token is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"
