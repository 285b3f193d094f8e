"""Forms of the activity screens: they parse text; the services validate and explain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import User
from clientela.activities.choices import (
    TOUCH_KINDS,
    ActivityKind,
    Attendance,
    Direction,
    Outcome,
    Priority,
    Reminder,
)
from clientela.activities.services import DURATION_MAX, NOTES_MAX, PLACE_MAX, SUBJECT_MAX
from clientela.core.exceptions import ValidationFailed
from clientela.core.numbers import DB_INT_MAX

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def moment_field(label: Any, *, help_text: Any = "") -> forms.DateTimeField:
    """Return a date-and-time field shown as the browser's date-time picker."""
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=MOMENT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (unknown fields on the whole form)."""
    for name, messages in exc.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, ValidationError(message))


class TaskForm(forms.Form):
    """A task (or a planned call, e-mail or meeting) to do; the owner only for who may assign."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(
        label=_("What to do"),
        max_length=SUBJECT_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("Call to confirm the visit")}),
    )
    due_at = moment_field(
        _("Due / starts"), help_text=_("Leave it empty for a task without a date.")
    )
    ends_at = moment_field(_("Ends"), help_text=_("Meetings: when it ends."))
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL, required=False
    )
    owner = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=PLACE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Show flat, Calle Mayor 12")}),
    )
    attendees = forms.TypedMultipleChoiceField(
        label=_("Other attendees"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    attendance = forms.ChoiceField(
        label=_("Attendance"), choices=Attendance.choices, required=False
    )
    reminder_minutes = forms.TypedChoiceField(
        label=_("Reminder"),
        choices=[("", _("No reminder")), *Reminder.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=DURATION_MAX, required=False
    )
    contact = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=DB_INT_MAX
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=DB_INT_MAX
    )

    def __init__(
        self,
        *args: Any,
        owners: list[User] | None = None,
        people: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.TypedChoiceField)
        if owners:
            owner.choices = [(u.pk, u.get_full_name() or u.username) for u in owners]
        else:
            del self.fields["owner"]
        attendees = self.fields["attendees"]
        assert isinstance(attendees, forms.TypedMultipleChoiceField)
        attendees.choices = [(u.pk, u.get_full_name() or u.username) for u in people or []]

    def clean(self) -> dict[str, Any]:
        """Check a meeting's end comes after its start (the service checks it again)."""
        data = super().clean() or {}
        start, end = data.get("due_at"), data.get("ends_at")
        if end is not None and data.get("kind") == ActivityKind.MEETING:
            if start is None:
                self.add_error("due_at", _("Give the start of the meeting."))
            elif end <= start:
                self.add_error("ends_at", _("The end must be after the start."))
        return data


class LogForm(forms.Form):
    """A call, e-mail or meeting that happened (by default just now)."""

    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=[(str(k), label) for k, label in ActivityKind.choices if k in TOUCH_KINDS],
        widget=forms.RadioSelect,
        initial=ActivityKind.CALL,
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=SUBJECT_MAX,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Asked about the plots in Ocala")}),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=0, max_value=DURATION_MAX, required=False
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False
    )
    place = forms.CharField(label=_("Place"), max_length=PLACE_MAX, required=False)
    attendance = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(str(k), label) for k, label in Attendance.choices if k != Attendance.PENDING],
        required=False,
    )
    done_at = moment_field(_("When"), help_text=_("Leave it empty for just now."))
    notes = forms.CharField(
        label=_("Notes"),
        max_length=NOTES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BoardFilterForm(forms.Form):
    """Filters of My tasks: kind, and whose tasks (for who may assign)."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *ActivityKind.choices], required=False
    )
    owner = forms.ChoiceField(label=_("Whose"), required=False)

    def __init__(self, *args: Any, owners: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        if owners:
            owner.choices = [
                ("", _("Mine")),
                ("all", _("Everyone's")),
                *((str(u.pk), u.get_full_name() or u.username) for u in owners),
            ]
        else:
            del self.fields["owner"]
