"""Lead routing: rules that give each new lead a rep, a task due within the SLA and a notice.

`assign_submission` listens to processed submissions. A contact that already has an active
owner stays with that rep (the relationship is theirs); otherwise the first matching rule
picks among its active members (`webforms.routing`) under a row lock on the rule, so round
robin stays fair when submissions arrive at once. The rep gets a task ("Llamar dentro de
24 h") due at submission + SLA and an in-app notification; the assignment is kept as a row
for speed to lead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.activities import services as activity_services
from clientela.activities.choices import ActivityKind
from clientela.activities.queries import open_task_counts
from clientela.contacts import services as contact_services
from clientela.contacts.models import Contact
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.delivery.services import queue_emails
from clientela.timeline.services import build_event, record_events
from clientela.webforms import routing
from clientela.webforms.choices import AssignmentStrategy, RoutingVerb
from clientela.webforms.models import AssignmentRule, LeadAssignment, PendingConsent, Submission
from clientela.webforms.queries import may_route_leads
from clientela.webforms.services.mailing import email_rep, rep_email
from clientela.webforms.services.submitting import FollowUp, batch_memo

logger = logging.getLogger("clientela.webforms")
Errors = dict[str, list[str]]
MAX_SLA_HOURS = 24 * 30


def _require(actor: User) -> None:
    if not may_route_leads(actor):
        raise Forbidden(_("Your role cannot change lead routing."))


# --- Rules ------------------------------------------------------------------------------------


def _values(text: Any) -> list[str]:
    """Return the comma-separated values of a criterion field (or a list), trimmed, unique."""
    items = text if isinstance(text, list) else str(text or "").split(",")
    seen: dict[str, None] = {}
    for item in items:
        value = str(item).strip()[:100]
        if value:
            seen.setdefault(value, None)
    return list(seen)[:50]


def _active_users(ids: Sequence[Any], errors: Errors, field: str) -> list[User]:
    try:
        wanted = {int(pk) for pk in ids}
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Choose people from the list."))
        return []
    users = list(User.objects.filter(pk__in=wanted, is_active=True))
    if len(users) != len(wanted):
        errors.setdefault(field, []).append(_("Choose active people from the list."))
    return users


def _rule_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[User]]:
    errors: Errors = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > 120:
        errors["name"] = [_("Use at most %(n)s characters.") % {"n": 120}]
    strategy = str(data.get("strategy") or AssignmentStrategy.ROUND_ROBIN)
    if strategy not in AssignmentStrategy.values:
        errors["strategy"] = [_("Choose how the rule picks the rep.")]
    members = _active_users(list(data.get("members") or []), errors, "members")
    fixed = _active_users(
        [data["fixed_owner"]] if data.get("fixed_owner") else [], errors, "fixed_owner"
    )
    fallback = _active_users(
        [data["fallback_owner"]] if data.get("fallback_owner") else [], errors, "fallback_owner"
    )
    if strategy == AssignmentStrategy.FIXED and not fixed:
        errors.setdefault("fixed_owner", []).append(_("Choose who always gets these leads."))
    if strategy != AssignmentStrategy.FIXED and not members and "members" not in errors:
        errors["members"] = [_("Choose at least one rep.")]
    raw_sla = data.get("sla_hours", 24)
    try:
        sla = int(raw_sla if raw_sla not in (None, "") else 24)
    except (TypeError, ValueError):
        sla = -1
    if not 1 <= sla <= MAX_SLA_HOURS:
        errors["sla_hours"] = [
            _("Enter whole hours between 1 and %(max)s.") % {"max": MAX_SLA_HOURS}
        ]
    criteria = {name: _values(data.get(name)) for name in routing.CRITERIA}
    criteria["countries"] = [value.upper()[:2] for value in criteria["countries"]]
    texts = {}
    for key in ("task_es", "task_en"):
        texts[key] = str(data.get(key) or "").strip()[:200]
    if not texts["task_es"] and not texts["task_en"]:
        errors["task_es"] = [_("Write the rep's task in Spanish, English or both.")]
    if errors:
        raise ValidationFailed(errors)
    values = {
        "name": name,
        "strategy": strategy,
        "fixed_owner": fixed[0] if fixed else None,
        "fallback_owner": fallback[0] if fallback else None,
        "sla_hours": sla,
        "criteria": {k: v for k, v in criteria.items() if v},
        "is_active": bool(data.get("is_active", True)),
        **texts,
    }
    return values, members


def save_rule(
    rule: AssignmentRule | None,
    *,
    actor: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> AssignmentRule:
    """Create a rule (last in order) or change one; Conflict when someone saved it meanwhile."""
    _require(actor)
    values, members = _rule_values(data)
    with transaction.atomic():
        if rule is None:
            last = AssignmentRule.objects.aggregate(top=Max("position"))["top"]
            rule = AssignmentRule.objects.create(position=(last or 0) + 1, **values)
        else:
            locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
            if expected_version is not None and locked.version != expected_version:
                raise Conflict(_("Someone changed this rule meanwhile. Reload it and try again."))
            for key, value in values.items():
                setattr(locked, key, value)
            locked.version += 1
            locked.save()
            rule = locked
        rule.members.set(members)
        record_event(RoutingVerb.RULE_SAVED, actor=actor, target=rule, via=via,
                     data={"name": rule.name, "strategy": rule.strategy})  # fmt: skip
    return rule


def delete_rule(rule: AssignmentRule, *, actor: User, via: str = Via.UI) -> None:
    """Delete a rule; leads it assigned keep their owner."""
    _require(actor)
    with transaction.atomic():
        record_event(RoutingVerb.RULE_DELETED, actor=actor, target=rule, via=via,
                     data={"name": rule.name})  # fmt: skip
        rule.delete()


def move_rule(rule: AssignmentRule, *, actor: User, offset: int) -> None:
    """Move a rule up (-1) or down (+1) in the order rules are tried."""
    _require(actor)
    with transaction.atomic():
        rules = list(AssignmentRule.objects.select_for_update().order_by("position", "id"))
        index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
        if index is None:
            raise NotFound(_("Rule not found."))
        target = max(0, min(len(rules) - 1, index + offset))
        rules.insert(target, rules.pop(index))
        for position, each in enumerate(rules, start=1):
            if each.position != position:
                AssignmentRule.objects.filter(pk=each.pk).update(position=position)


# --- Assigning --------------------------------------------------------------------------------


def lead_facts(submission: Submission, contact: Contact) -> routing.LeadFacts:
    """Return what routing looks at for a processed submission."""
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    product = payload.get("product")
    return routing.LeadFacts(
        form=submission.form.public_id,
        source=contact.source or submission.source,
        product=product if isinstance(product, str) else "",
        country=contact.country,
        city=contact.city,
        language=contact.language or submission.language,
    )


def _routing_memo() -> dict[str, Any]:
    """Return what routing keeps for the running follow-up batch.

    The batch's transaction holds the locks of the rules it used, so their turn and their
    reps cannot change under it.
    """
    memo: dict[str, Any] = batch_memo().setdefault("routing", {})
    return memo


def _people(rule: AssignmentRule) -> tuple[list[int], int | None, int | None]:
    """Return the rule's active members, and its fixed and fallback owners when active."""
    members = list(rule.members.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    wanted = {pk for pk in (rule.fixed_owner_id, rule.fallback_owner_id) if pk is not None}
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    fixed = rule.fixed_owner_id if rule.fixed_owner_id in active else None
    fallback = rule.fallback_owner_id if rule.fallback_owner_id in active else None
    return members, fixed, fallback


def _pick(rule: AssignmentRule) -> int | None:
    """Choose the rule's rep (the caller holds the rule's row lock)."""
    people = _routing_memo().setdefault("people", {})
    if rule.pk not in people:
        people[rule.pk] = _people(rule)
    members, fixed, fallback = people[rule.pk]
    open_leads = open_task_counts(members) if rule.strategy == AssignmentStrategy.LEAST_OPEN else {}
    waited: dict[int, float] = {}
    if rule.strategy == AssignmentStrategy.LEAST_OPEN:
        latest = (
            LeadAssignment.objects.filter(owner_id__in=members)
            .values("owner_id")
            .annotate(at=Max("assigned_at"))
            .order_by()
        )
        waited = {row["owner_id"]: row["at"].timestamp() for row in latest}
        # Leads the running batch gave but has not written yet (`assign_batch`).
        for owner_id, (count, at) in _routing_memo().get("placed", {}).items():
            open_leads[owner_id] = open_leads.get(owner_id, 0) + count
            waited[owner_id] = at
    return routing.choose(
        rule.strategy,
        members=members,
        fixed_owner=fixed,
        fallback=fallback,
        last_owner_id=rule.last_owner_id,
        open_leads=open_leads,
        last_assigned=waited,
    )


def _route(
    facts: routing.LeadFacts, *, turns: dict[int, int] | None = None
) -> tuple[AssignmentRule | None, User | None]:
    """Return the rule that takes the lead and its rep (under the rule's row lock).

    A round-robin turn is written at once, or kept in `turns` (rule → rep) for the caller to
    write once per batch.
    """
    memo = _routing_memo()
    if "rules" not in memo:
        rules = list(AssignmentRule.objects.filter(is_active=True).order_by("position", "id"))
        memo["rules"] = [
            (rule.pk, routing.Criteria.from_json(rule.criteria or {})) for rule in rules
        ]
    chosen = routing.first_match(memo["rules"], facts)
    if chosen is None:
        return None, None
    locked = memo.setdefault("locked", {})
    rule = locked.get(chosen)
    if rule is None:
        rule = locked[chosen] = AssignmentRule.objects.select_for_update().get(pk=chosen)
    owner_id = _pick(rule)
    if owner_id is None:
        return rule, None
    if rule.strategy == AssignmentStrategy.ROUND_ROBIN:
        if turns is None:
            AssignmentRule.objects.filter(pk=rule.pk).update(last_owner_id=owner_id)
        else:
            turns[rule.pk] = owner_id
        rule.last_owner_id = owner_id
    owners = memo.setdefault("owners", {})
    if owner_id not in owners:
        owners[owner_id] = User.objects.get(pk=owner_id)
    return rule, owners[owner_id]


def assign_submission(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent] = ()
) -> LeadAssignment | None:
    """Give a processed submission's lead a rep, a task and a notice (a submission listener).

    Runs once per submission (a retried one finds its assignment). Returns None when no rule
    takes the lead and the contact has no owner: it stays unassigned, visible as such.
    """
    if LeadAssignment.objects.filter(submission=submission).exists():
        return None
    now = timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        rule: AssignmentRule | None = None
        owner = contact.owner if contact.owner is not None and contact.owner.is_active else None
        if owner is None:
            rule, owner = _route(lead_facts(submission, contact))
            if owner is not None:
                contact = contact_services.route_contact(contact, owner=owner, via=Via.FORM)
        if owner is None:
            return None
        sla = dt.timedelta(hours=rule.sla_hours if rule else 24)
        due = submission.created_at + sla
        language = owner.language or "es"
        subject = rule.task_text(language) if rule else ""
        with translation.override(language):
            subject = subject or _("Call within 24 h")
            task = activity_services.create_task(
                owner=owner,
                subject=subject,
                due_at=due,
                contact=contact,
                source="webforms.assignment",
                # A planned call: ticked done, it is the rep's first touch for speed to lead.
                kind=ActivityKind.CALL,
                actor=None,
                via=Via.FORM,
            )
            name = str(contact) or contact.email or contact.phone
            activity_services.notify(
                owner,
                _("New lead: %(name)s") % {"name": name},
                _("From the form “%(form)s”. First contact due %(due)s.")
                % {
                    "form": submission.form.name,
                    "due": timezone.localtime(due).strftime("%d/%m %H:%M"),
                },
                url=reverse("contacts:contact_detail", args=[contact.pk]),
            )
        assignment = LeadAssignment.objects.create(
            submission=submission,
            contact=contact,
            rule=rule,
            owner=owner,
            # Speed by source reads "facebook" / "google" where the ad said so, else the channel.
            source=(contact.last_utm_source or contact.source or submission.source)[:20],
            submitted_at=submission.created_at,
            assigned_at=now,
            due_at=due,
            task=task,
        )
        public_url = str(settings.CLIENTELA["PUBLIC_URL"])
        try:
            # Queued with the assignment (one commit); a rep address the outbox refuses
            # leaves the lead assigned all the same.
            with transaction.atomic():
                email_rep(assignment, public_url)
        except ValidationFailed as exc:
            logger.warning("the new-lead e-mail to %s was not queued: %s", owner, exc.errors)
        record_event(
            RoutingVerb.ASSIGNED,
            actor=None,
            target=contact,
            via=Via.FORM,
            contact_id=contact.pk,
            data={"owner": owner.get_full_name() or owner.username,
                  "rule": rule.name if rule else "", "sla_hours": int(sla.total_seconds() // 3600)},
        )  # fmt: skip
    return assignment


def assign_batch(items: Sequence[FollowUp]) -> list[LeadAssignment]:
    """Assign a follow-up batch's leads as `assign_submission` does each, written in bulk.

    The same choices in the same order (round robin goes on from lead to lead) and the same
    rows — the contacts' owners, the tasks, the notices, the assignments, the reps' e-mails
    and the events — as one statement per kind for the batch. Idempotent as
    `assign_submission`: a submission with an assignment is skipped.
    """
    done = set(
        LeadAssignment.objects.filter(
            submission__in=[item.submission.pk for item in items]
        ).values_list("submission_id", flat=True)
    )
    todo = [item for item in items if item.submission.pk not in done]
    if not todo:
        return []
    now = timezone.now()
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk__in={item.contact.pk for item in todo})
        .order_by("pk")
    }
    turns: dict[int, int] = {}
    placed: dict[int, tuple[int, float]] = _routing_memo().setdefault("placed", {})
    routed: dict[int, User] = {}
    leads: list[tuple[Submission, Contact, AssignmentRule | None, User]] = []
    for item in todo:
        contact = contacts.get(item.contact.pk)
        if contact is None:
            continue
        rule: AssignmentRule | None = None
        owner = routed.get(contact.pk)  # an earlier lead of the same contact in this batch
        if owner is None and contact.owner is not None and contact.owner.is_active:
            owner = contact.owner
        if owner is None:
            rule, owner = _route(lead_facts(item.submission, contact), turns=turns)
            if owner is not None:
                routed[contact.pk] = owner
        if owner is None:
            continue
        count, _at = placed.get(owner.pk, (0, 0.0))
        placed[owner.pk] = (count + 1, now.timestamp())
        leads.append((item.submission, contact, rule, owner))
    for rule_id, owner_id in turns.items():
        AssignmentRule.objects.filter(pk=rule_id).update(last_owner_id=owner_id)
    if routed:
        contact_services.route_contacts(
            [(contacts[pk], owner) for pk, owner in routed.items()], via=Via.FORM
        )
    if not leads:
        return []
    drafts: list[dict[str, Any]] = []
    notices: list[tuple[User, str, str, str]] = []
    for submission, contact, rule, owner in leads:
        due = submission.created_at + dt.timedelta(hours=rule.sla_hours if rule else 24)
        language = owner.language or "es"
        subject = rule.task_text(language) if rule else ""
        with translation.override(language):
            drafts.append(
                {"owner": owner, "subject": subject or _("Call within 24 h"), "due_at": due,
                 "contact": contact, "source": "webforms.assignment", "kind": ActivityKind.CALL}
            )  # fmt: skip
            notices.append(_notice(submission, contact, owner, due))
    tasks = activity_services.create_tasks(drafts, via=Via.FORM)
    activity_services.notify_many(notices)
    assignments = [
        LeadAssignment(
            submission=submission, contact=contact, rule=rule, owner=owner,
            source=(contact.last_utm_source or contact.source or submission.source)[:20],
            submitted_at=submission.created_at, assigned_at=now, due_at=draft["due_at"], task=task,
        )
        for (submission, contact, rule, owner), draft, task in zip(leads, drafts, tasks, strict=True)
    ]  # fmt: skip
    if connection.features.can_return_rows_from_bulk_insert:
        LeadAssignment.objects.bulk_create(assignments)
    else:
        for assignment in assignments:
            assignment.save()
    public_url = str(settings.CLIENTELA["PUBLIC_URL"])
    emails = [rep_email(assignment, public_url) for assignment in assignments]
    queue_emails([email for email in emails if email is not None], on_invalid=_rep_refused)
    record_events(
        build_event(
            RoutingVerb.ASSIGNED, actor=None, target=contact, via=Via.FORM, contact_id=contact.pk,
            data=_assigned_data(owner, rule, submission, assignment),
        )
        for (submission, contact, rule, owner), assignment in zip(leads, assignments, strict=True)
    )  # fmt: skip
    # Written now: the counts of least-open leads read them from here on.
    placed.clear()
    return assignments


def _notice(
    submission: Submission, contact: Contact, owner: User, due: dt.datetime
) -> tuple[User, str, str, str]:
    """Return the rep's in-app notice of a new lead (in the active language)."""
    name = str(contact) or contact.email or contact.phone
    return (
        owner,
        _("New lead: %(name)s") % {"name": name},
        _("From the form “%(form)s”. First contact due %(due)s.")
        % {"form": submission.form.name, "due": timezone.localtime(due).strftime("%d/%m %H:%M")},
        reverse("contacts:contact_detail", args=[contact.pk]),
    )


def _assigned_data(
    owner: User, rule: AssignmentRule | None, submission: Submission, assignment: LeadAssignment
) -> dict[str, Any]:
    sla = assignment.due_at - submission.created_at
    return {"owner": owner.get_full_name() or owner.username,
            "rule": rule.name if rule else "", "sla_hours": int(sla.total_seconds() // 3600)}  # fmt: skip


def _rep_refused(email: Mapping[str, Any], error: ValidationFailed) -> None:
    # A rep address the outbox refuses leaves the lead assigned all the same.
    logger.warning("the new-lead e-mail to %s was not queued: %s", email.get("to"), error.errors)


def assign_safely(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> None:
    """Assign as a submission listener: a failure is logged, never lost silently."""
    try:
        assign_submission(submission, contact, pending)
    except Exception:
        # Its savepoint is rolled back: what routing kept in memory may be ahead of the rows.
        batch_memo().pop("routing", None)
        logger.exception("lead routing failed for submission %s", submission.pk)
