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


class ActivityVerb(models.TextChoices):
    """Timeline verbs of activities (registered with their sentences in ActivitiesConfig.ready)."""

    TASK_CREATED = "task_created", _("task created")
    LOGGED = "activity_logged", _("activity logged")
    COMPLETED = "activity_completed", _("task completed")
    REOPENED = "activity_reopened", _("task reopened")
    CHANGED = "activity_changed", _("activity changed")
    DELETED = "activity_deleted", _("activity deleted")


class Period(models.TextChoices):
    """The groups of the "My tasks" page."""

    OVERDUE = "overdue", _("Overdue")
    TODAY = "today", _("Today")
    UPCOMING = "upcoming", _("Upcoming")
    UNDATED = "undated", _("No due date")
    DONE = "done", _("Done recently")
