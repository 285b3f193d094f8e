"""Choices of activities: kinds, call outcomes and the timeline verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    """What an activity is: a task to do, or a touch with a customer."""

    TASK = "task", _("Task")
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")


# The kinds that count as touching the customer (speed-to-lead counts the first logged one).
TOUCH_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)


class Outcome(models.TextChoices):
    """How a call (or another touch) went."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Left a voicemail")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Asked to call back")


class Priority(models.TextChoices):
    """How urgent a task is."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class Direction(models.TextChoices):
    """Who called whom."""

    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Attendance(models.TextChoices):
    """How a meeting went: still to happen, held, the customer did not come, or called off."""

    PENDING = "pending", _("Pending")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(models.IntegerChoices):
    """When to remind the owner of an activity, in minutes before it is due."""

    AT_TIME = 0, _("At the time")
    TEN_MINUTES = 10, _("10 minutes before")
    ONE_HOUR = 60, _("1 hour before")
    ONE_DAY = 1440, _("1 day before")


class ActivityVerb(models.TextChoices):
    """Timeline verbs of activities (registered with their sentences in ActivitiesConfig.ready)."""

    TASK_CREATED = "task_created", _("task created")
    LOGGED = "activity_logged", _("activity logged")
    COMPLETED = "activity_completed", _("task completed")
    REOPENED = "activity_reopened", _("task reopened")
    CHANGED = "activity_changed", _("activity changed")
    DELETED = "activity_deleted", _("activity deleted")


class FeedVerb(models.TextChoices):
    """Audit verbs of the personal calendar feed address."""

    CREATED = "calendar_feed_created", _("calendar address created")
    REVOKED = "calendar_feed_revoked", _("calendar address revoked")


class Period(models.TextChoices):
    """The groups of the "My tasks" page."""

    OVERDUE = "overdue", _("Overdue")
    TODAY = "today", _("Today")
    UPCOMING = "upcoming", _("Upcoming")
    UNDATED = "undated", _("No due date")
    DONE = "done", _("Done recently")
