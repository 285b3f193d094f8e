"""Consent decisions per channel and purpose, appended with their source and proof."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus, ContactVerb
from clientela.contacts.models import Consent, Contact
from clientela.contacts.services.records import require_capability, require_public_via
from clientela.contacts.validation import Errors
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events


def record_consent(
    contact: Contact,
    *,
    actor: User | None,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    proof: str = "",
    via: str = Via.UI,
) -> Consent:
    """Append a consent decision with its source and proof (Habeas Data / GDPR).

    The actor None is a public form's visitor (via=Via.FORM): a consent given in the form, or
    confirmed by the link of the double opt-in message.
    """
    decision = ConsentDecision(channel, purpose, status, source, proof)
    [consent] = record_consents(contact, actor=actor, decisions=[decision], via=via)
    return consent


@dataclass(frozen=True)
class ConsentDecision:
    """One consent decision to record: channel, purpose, status, where it was given, proof."""

    channel: str
    purpose: str
    status: str
    source: str = ""
    proof: str = ""


def _check(decision: ConsentDecision) -> None:
    errors: Errors = {}
    if decision.channel not in ConsentChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    if decision.purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if decision.status not in ConsentStatus.values:
        errors["status"] = [_("Choose granted, denied, withdrawn or awaiting confirmation.")]
    if decision.status == ConsentStatus.GRANTED and not (
        decision.source.strip() or decision.proof.strip()
    ):
        errors["source"] = [_("Say where the consent was given (form, call, signed document…).")]
    if errors:
        raise ValidationFailed(errors)


def record_consents(
    contact: Contact,
    *,
    actor: User | None,
    decisions: Sequence[ConsentDecision],
    via: str = Via.UI,
    events: Sequence[Event] = (),
    preceding: Sequence[Event] = (),
) -> list[Consent]:
    """Append several consent decisions at once (one INSERT), as `record_consent` does each.

    Their timeline events are written in one statement together with `events`, the caller's
    own events of the same write (a form submission's), which are recorded even without
    decisions; `preceding` are the caller's events that come before the consents' (the
    contact's creation), in the same statement.
    """
    [written] = record_consents_many(
        [ContactConsents(contact, decisions, events, preceding)], actor=actor, via=via
    )
    return written


@dataclass(frozen=True)
class ContactConsents:
    """One contact's consent decisions for `record_consents_many`, with the caller's events."""

    contact: Contact
    decisions: Sequence[ConsentDecision]
    events: Sequence[Event] = ()
    preceding: Sequence[Event] = ()


def record_consents_many(
    items: Sequence[ContactConsents], *, actor: User | None, via: str = Via.UI
) -> list[list[Consent]]:
    """Record several contacts' decisions as `record_consents` does each, in one INSERT.

    The events of all of them (each contact's `preceding`, consent events, then `events`)
    are one more statement. Everything is checked before anything is written.
    """
    require_public_via(actor, via)
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    for item in items:
        for decision in item.decisions:
            _check(decision)
    # Checked before writing: inside a caller's transaction no savepoint is needed.
    with transaction.atomic(savepoint=False):
        return _write(items, actor=actor, via=via)


def _write(
    items: Sequence[ContactConsents], *, actor: User | None, via: str
) -> list[list[Consent]]:
    recorded_by = actor if actor is not None and actor.pk else None
    rows = [
        [
            Consent(
                contact=item.contact,
                channel=d.channel,
                purpose=d.purpose,
                status=d.status,
                source=d.source.strip()[:200],
                proof=d.proof.strip(),
                recorded_by=recorded_by,
            )
            for d in item.decisions
        ]
        for item in items
    ]
    consents = [c for row in rows for c in row]
    if len(consents) == 1:
        consents[0].save()
    elif consents:
        Consent.objects.bulk_create(consents)
    written: list[Event] = []
    for item, row in zip(items, rows, strict=True):
        written += list(item.preceding)
        written += [
            build_event(
                ContactVerb.CONSENT,
                actor=actor,
                target=item.contact,
                via=via,
                contact_id=item.contact.pk,
                data={
                    "channel": c.channel,
                    "purpose": c.purpose,
                    "status": c.status,
                    "source": c.source,
                },
            )
            for c in row
        ]
        written += list(item.events)
    if written:
        record_events(written)
    return rows
