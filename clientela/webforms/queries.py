"""Reads for the form builder, the submissions screens, the API and the public endpoints."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.choices import Entity
from clientela.contacts.models import CustomField
from clientela.contacts.queries import custom_fields_for
from clientela.core.compiled import CompiledQuery
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX
from clientela.webforms.choices import FormStatus
from clientela.webforms.models import (
    AssignmentRule,
    Form,
    FormConsent,
    FormField,
    LandingPage,
    LeadAssignment,
    LeadSource,
    Submission,
)
from clientela.webforms.speed import Lead, SpeedRow, past_sla, summarise


def may_manage_forms(user: Any) -> bool:
    """Whether the user may build forms and read their submissions."""
    return has_capability(user, "webforms.manage")


def forms_visible_to(user: Any) -> QuerySet[Form]:
    """Return the forms the user may open (all of them with the capability, none without)."""
    if not may_manage_forms(user):
        return Form.objects.none()
    return Form.objects.all()


def forms_with_counts(user: Any) -> QuerySet[Form]:
    """Return the visible forms with their submission count (one query for the list)."""
    return (
        forms_visible_to(user)
        .annotate(submission_count=Count("submissions"))
        .order_by("name", "id")
    )


def get_form_for_user(user: Any, pk: Any) -> Form:
    """Return a form the user may manage: NotFound when there is none, Forbidden without the right."""
    try:
        number = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("Form not found.")) from exc
    if not 1 <= number <= DB_INT_MAX:
        raise NotFound(_("Form not found."))
    form = Form.objects.filter(pk=number).first()
    if form is None:
        raise NotFound(_("Form not found."))
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))
    return form


def form_parts(form: Form) -> tuple[list[FormField], list[FormConsent]]:
    """Return the form's fields (with their custom fields) and consents, in order."""
    fields = list(form.fields.select_related("custom_field").order_by("position", "id"))
    consents = list(form.consents.order_by("position", "id"))
    return fields, consents


@dataclass(frozen=True)
class FormSpec:
    """What validating and processing a submission reads besides the form: shared, read-only."""

    fields: tuple[FormField, ...]
    consents: tuple[FormConsent, ...]
    definitions: dict[str, CustomField]  # the active contact custom fields, by key


# Public submissions read the same form thousands of times: its parts are kept per process,
# keyed by the form's public id and version (every builder change bumps the version, so another
# process's change is seen at the next request), dropped on any local save of a field, consent
# or custom field (signals, apps.py), and at the latest after SPEC_SECONDS (a custom field
# changed in another process: its definitions carry no form version).
SPEC_SECONDS = 30.0
SPEC_MAX = 256
_SPECS: dict[tuple[str, int], tuple[float, FormSpec]] = {}


def form_spec(form: Form) -> FormSpec:
    """Return the form's fields, consents and contact custom fields, cached per form version."""
    key = (form.public_id, form.version)
    now = time.monotonic()
    hit = _SPECS.get(key)
    if hit is not None and now - hit[0] < SPEC_SECONDS:
        return hit[1]
    fields, consents = form_parts(form)
    spec = FormSpec(tuple(fields), tuple(consents), custom_fields_for(Entity.CONTACT))
    if len(_SPECS) >= SPEC_MAX:
        _SPECS.clear()
    _SPECS[key] = (now, spec)
    return spec


def forget_form_specs(**_signal: Any) -> None:
    """Drop every cached form spec (a signal receiver: a field, consent or custom field changed)."""
    _SPECS.clear()


def published_form(public_id: Any) -> Form | None:
    """Return the form behind a public id (published or not; the view decides), else None.

    Every public post and page view asks this first: the query is compiled once per process
    and its row made a Form as the ORM would (`Model.from_db`).
    """
    if not isinstance(public_id, str) or not 10 <= len(public_id) <= 32:
        return None
    row = _BY_PUBLIC_ID.first(public_id)
    return None if row is None else Form.from_db("default", _FORM_COLUMNS, row)


_FORM_COLUMNS = [f.attname for f in Form._meta.concrete_fields]
_BY_PUBLIC_ID = CompiledQuery(
    lambda public_id: (
        Form.objects.filter(public_id=public_id)
        .exclude(status=FormStatus.ARCHIVED)
        .order_by("pk")
        .values_list(*_FORM_COLUMNS)[:1]
    ),
    (str,),
)


def submissions_of(form: Form, *, state: str = "") -> QuerySet[Submission]:
    """Return the form's submissions, newest first, optionally in one state."""
    rows = (
        Submission.objects.filter(form=form)
        .select_related("contact")
        .order_by("-created_at", "-id")
    )
    if state:
        rows = rows.filter(state=state)
    return rows


def get_submission_for_user(user: Any, form: Form, pk: Any) -> Submission:
    """Return one submission of a form the user manages (NotFound otherwise)."""
    try:
        number = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("Submission not found.")) from exc
    if not 1 <= number <= DB_INT_MAX:
        raise NotFound(_("Submission not found."))
    found = submissions_of(form).filter(pk=number).first()
    if found is None:
        raise NotFound(_("Submission not found."))
    return found


def _record_number(pk: Any) -> int | None:
    """Return a primary key as a storable positive number, or None for anything else."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= DB_INT_MAX else None


# --- Landing pages and lead sources (form managers) ---------------------------------------------


def pages_visible_to(user: Any) -> QuerySet[LandingPage]:
    """Return the landing pages the user may open (all with `webforms.manage`, none without)."""
    if not may_manage_forms(user):
        return LandingPage.objects.none()
    return LandingPage.objects.all()


def get_page_for_user(user: Any, pk: Any) -> LandingPage:
    """Return a landing page: NotFound when there is none, Forbidden without the right."""
    number = _record_number(pk)
    page = LandingPage.objects.filter(pk=number).first() if number else None
    if page is None:
        raise NotFound(_("Page not found."))
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))
    return page


def lead_sources_visible_to(user: Any) -> QuerySet[LeadSource]:
    """Return the lead sources the user may open (all with `webforms.manage`, none without)."""
    if not may_manage_forms(user):
        return LeadSource.objects.none()
    return LeadSource.objects.all()


def get_lead_source_for_user(user: Any, pk: Any) -> LeadSource:
    """Return a lead source: NotFound when there is none, Forbidden without the right."""
    number = _record_number(pk)
    source = LeadSource.objects.filter(pk=number).first() if number else None
    if source is None:
        raise NotFound(_("Lead source not found."))
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))
    return source


# --- Lead routing and speed to lead -------------------------------------------------------------


def may_route_leads(user: Any) -> bool:
    """Whether the user may read and change the routing rules and see speed to lead."""
    return has_capability(user, "webforms.route_leads")


def routing_rules() -> QuerySet[AssignmentRule]:
    """Return every routing rule in the order they are tried, with their people."""
    return AssignmentRule.objects.select_related("fixed_owner", "fallback_owner").prefetch_related(
        "members"
    )


def rules_visible_to(user: Any) -> QuerySet[AssignmentRule]:
    """Return the routing rules the user may read (all with `webforms.route_leads`, else none)."""
    if not may_route_leads(user):
        return AssignmentRule.objects.none()
    return routing_rules()


def get_rule_for_user(user: Any, pk: Any) -> AssignmentRule:
    """Return a routing rule: NotFound when there is none, Forbidden without the right."""
    number = _record_number(pk)
    rule = routing_rules().filter(pk=number).first() if number else None
    if rule is None:
        raise NotFound(_("Routing rule not found."))
    if not may_route_leads(user):
        raise Forbidden(_("Your role cannot change lead routing."))
    return rule


@dataclass(frozen=True)
class SpeedReport:
    """Speed to lead over a period: per rep, per source, and the leads waiting past their SLA."""

    days: int
    leads: int
    by_owner: list[tuple[str, SpeedRow]]
    by_source: list[tuple[str, SpeedRow]]
    late: list[tuple[LeadAssignment, float]]  # (assignment, hours waited so far)
    slowest_minutes: float


def speed_report(user: User, *, days: int = 30, now: dt.datetime | None = None) -> SpeedReport:
    """Measure how fast reps answered the leads assigned in the last `days` that `user` may see.

    A lead's wait ends at the first logged call, e-mail or meeting on its contact
    (activities.first_logged_touch); leads whose contact the user may not see are left out.
    """
    from clientela.activities.queries import first_logged_touch
    from clientela.contacts.choices import Source
    from clientela.contacts.queries import contacts_visible_to

    now = now or timezone.now()
    rows = list(
        LeadAssignment.objects.filter(
            submitted_at__gte=now - dt.timedelta(days=days),
            contact__in=contacts_visible_to(user).values("pk"),
        )
        .select_related("owner", "contact")
        .order_by("submitted_at")[:20_000]
    )
    touches = first_logged_touch(
        [row.contact_id for row in rows], {row.contact_id: row.submitted_at for row in rows}
    )
    leads = [
        (
            row,
            Lead(
                submitted_at=row.submitted_at,
                owner_id=row.owner_id,
                source=row.source,
                sla=row.due_at - row.submitted_at,
                first_touch_at=touches.get(row.contact_id),
            ),
        )
        for row in rows
    ]
    owners = {row.owner_id: row.owner for row in rows}
    sources = dict(Source.choices)

    def owner_name(owner_id: Any) -> str:
        owner = owners.get(owner_id)
        return (owner.get_full_name() or owner.username) if owner else _("Nobody")

    plain = [lead for _row, lead in leads]
    by_owner = [(owner_name(r.key), r) for r in summarise(plain, lambda lead: lead.owner_id, now)]
    by_source = [
        (str(sources.get(str(r.key), r.key or _("Unknown"))), r)
        for r in summarise(plain, lambda lead: lead.source, now)
    ]
    late_ids = {id(lead) for lead in past_sla(plain, now)}
    late = [
        (row, lead.waited(now).total_seconds() / 3600)
        for row, lead in leads
        if id(lead) in late_ids
    ]
    slowest = max((r.median_minutes or 0.0 for _n, r in by_owner), default=0.0)
    return SpeedReport(days, len(rows), by_owner, by_source, late[:200], slowest)
