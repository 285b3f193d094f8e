"""Consent decisions per channel and purpose, appended with their source and proof."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus, ContactVerb
from clientela.contacts.models import Consent, Contact
from clientela.contacts.services.records import require_capability, require_public_via
from clientela.contacts.validation import Errors
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Via
from clientela.timeline.services import record_event


@transaction.atomic
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
    require_public_via(actor, via)
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    errors: Errors = {}
    if channel not in ConsentChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if status not in ConsentStatus.values:
        errors["status"] = [_("Choose granted, denied, withdrawn or awaiting confirmation.")]
    if status == ConsentStatus.GRANTED and not (source.strip() or proof.strip()):
        errors["source"] = [_("Say where the consent was given (form, call, signed document…).")]
    if errors:
        raise ValidationFailed(errors)
    consent = Consent.objects.create(
        contact=contact, channel=channel, purpose=purpose, status=status,
        source=source.strip()[:200], proof=proof.strip(), recorded_by=actor if actor is not None and actor.pk else None,
    )  # fmt: skip
    record_event(
        ContactVerb.CONSENT, actor=actor, target=contact, via=via, contact_id=contact.pk,
        data={"channel": channel, "purpose": purpose, "status": status, "source": consent.source},
    )  # fmt: skip
    return consent
