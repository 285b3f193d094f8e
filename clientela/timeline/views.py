"""The audit log: who changed what, when and through which channel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clientela.accounts.models import User
from clientela.accounts.queries import users_visible_to
from clientela.core.events import RECORD_TYPES, verb_choices
from clientela.core.exports import export_download
from clientela.core.http import wants_partial
from clientela.core.users import AuthenticatedHttpRequest
from clientela.timeline.queries import (
    AuditFilters,
    audit_page,
    can_read_audit_log,
    iter_audit_rows,
    record_type_choices,
)


class AuditFilterForm(forms.Form):
    """Filters of the audit log (parsed from the query string)."""

    actor = forms.TypedChoiceField(
        label=gettext_lazy("Who"), required=False, coerce=int, empty_value=None
    )
    verb = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    record_type = forms.ChoiceField(label=gettext_lazy("Record type"), required=False)
    record_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(u.pk, str(u)) for u in users.order_by("first_name", "last_name", "username")]
        self._choices("actor", [("", gettext_lazy("Everyone")), *people])
        self._choices("verb", [("", gettext_lazy("Any action")), *verb_choices()])
        self._choices("record_type", [("", gettext_lazy("Any record")), *record_type_choices()])

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        """Check that the range does not end before it starts."""
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filters(self) -> AuditFilters:
        """Return the cleaned values as query filters."""
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor"),
            verb=data.get("verb") or "",
            record_type=data.get("record_type") or "",
            record_id=data.get("record_id") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def record_url(target_type: str, target_id: str) -> str | None:
    """Link to the record's card, when that screen exists."""
    record_type = RECORD_TYPES.get(target_type)
    name = record_type.url_name if record_type else None
    if not name or not target_id.isdigit():
        return None
    return reverse(name, args=[int(target_id)])


def _filters(request: AuthenticatedHttpRequest) -> tuple[AuditFilterForm, AuditFilters]:
    if not can_read_audit_log(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None, users=users_visible_to(request.user))
    filters = form.to_filters() if form.is_valid() else AuditFilters()
    return form, filters


@require_GET
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the filtered audit log, newest first, one keyset page at a time."""
    form, filters = _filters(request)
    page = audit_page(request.user, filters, request.GET.get("after", ""))
    for row in page.rows:
        event = row["event"]
        # Notes, consents and merges belong to a contact or company: link to its card.
        if event.contact_id:
            row["url"] = record_url("contacts.contact", str(event.contact_id))
        elif event.company_id:
            row["url"] = record_url("contacts.company", str(event.company_id))
        else:
            row["url"] = record_url(event.target_type, event.target_id)
    query = filters.as_query()
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "is_first_page": not request.GET.get("after"),
        "first_url": "?" + urlencode(query) if query else "?",
        "next_url": "?" + urlencode({**query, "after": page.next_cursor})
        if page.next_cursor
        else None,
        "export_url": reverse("timeline:audit_export") + ("?" + urlencode(query) if query else ""),
    }
    template = "timeline/audit_log.html"
    if wants_partial(request):
        template += "#results"
    return render(request, template, context)


def _csv_rows(user: User, filters: AuditFilters) -> Iterator[list[Any]]:
    tz = timezone.get_current_timezone()
    for row in iter_audit_rows(user, filters):
        event = row["event"]
        changes = "; ".join(
            f"{label}: {old} → {new}" if new is not None else f"{label}: {old}"
            for label, old, new in row["details"]
        )
        yield [
            event.created_at.astimezone(tz),
            str(event.actor) if event.actor else _("System"),
            row["verb"],
            row["type_label"],
            event.target_id,
            row["record"],
            row["via"],
            changes,
        ]


@require_GET
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Serve the filtered audit log as CSV (formula injection neutralised; audited itself)."""
    _form, filters = _filters(request)
    headers = [
        _("When"),
        _("Who"),
        _("What"),
        _("Record type"),
        _("Record id"),
        _("Record"),
        _("Via"),
        _("Changes"),
    ]
    return export_download(
        actor=request.user,
        kind="audit_log",
        fmt="csv",
        headers=headers,
        rows=_csv_rows(request.user, filters),
        name="audit-log",
        title=_("Audit log export"),
        filters=request.GET.dict(),
    )
