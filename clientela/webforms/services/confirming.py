"""Double opt-in: the signed confirmation link and the consent it activates, with its proof."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clientela.contacts import services as contact_services
from clientela.contacts.choices import ConsentStatus
from clientela.core.exceptions import NotFound
from clientela.timeline.choices import Via
from clientela.timeline.services import record_event
from clientela.webforms.choices import FormVerb
from clientela.webforms.models import PendingConsent
from clientela.webforms.services.submitting import consent_proof

_SALT = "clientela.webforms.confirm"


def confirmation_token(pending: PendingConsent) -> str:
    """Return the signed, timestamped token of a pending consent's confirmation link."""
    return signing.TimestampSigner(salt=_SALT).sign(pending.token)


def confirmation_url(pending: PendingConsent) -> str:
    """Return the absolute confirmation link (CLIENTELA["PUBLIC_URL"] + /f/confirm/<token>)."""
    path = reverse("webforms:confirm", kwargs={"token": confirmation_token(pending)})
    return str(settings.CLIENTELA["PUBLIC_URL"]) + path


def pending_from_token(token: str) -> PendingConsent:
    """Return the pending consent a genuine, unexpired token names; NotFound otherwise."""
    days: Any = settings.CLIENTELA["CONFIRM_MAX_AGE_DAYS"]
    max_age = 86400 * int(days)
    try:
        raw = signing.TimestampSigner(salt=_SALT).unsign(token[:200], max_age=max_age)
    except (signing.BadSignature, ValueError):
        raise NotFound("invalid or expired confirmation link") from None
    pending = (
        PendingConsent.objects.select_related("submission__form", "form_consent", "contact")
        .filter(token=raw)
        .first()
    )
    if pending is None:
        raise NotFound("invalid confirmation link")
    return pending


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation click did."""

    pending: PendingConsent
    already: bool


def confirm_consent(token: str, *, ip: str | None, user_agent: str) -> Confirmation:
    """Activate a pending marketing consent (granted, with the proof); a second click changes nothing."""
    found = pending_from_token(token)
    with transaction.atomic():
        pending = PendingConsent.objects.select_for_update().get(pk=found.pk)
        if pending.confirmed_at is not None:
            return Confirmation(found, already=True)
        now = timezone.now()
        consent = found.form_consent
        proof = {
            **consent_proof(found.submission, consent),
            "consent_text_version": pending.text_version,
            "confirmed_at": now.isoformat(),
            "confirm_ip": ip,
            "confirm_user_agent": user_agent[:300],
        }
        contact_services.record_consent(
            found.contact,
            actor=None,
            channel=consent.channel,
            purpose=consent.purpose,
            status=ConsentStatus.GRANTED,
            source=f"form:{found.submission.form.public_id}",
            proof=json.dumps(proof, ensure_ascii=False),
            via=Via.FORM,
        )
        PendingConsent.objects.filter(pk=pending.pk).update(
            confirmed_at=now, confirm_ip=ip, confirm_user_agent=user_agent[:300]
        )
        record_event(
            FormVerb.CONSENT_CONFIRMED,
            actor=None,
            target=found.submission,
            via=Via.FORM,
            contact_id=found.contact_id,
            data={"form": found.submission.form.name, "channel": consent.channel,
                  "purpose": consent.purpose, "text_version": pending.text_version},
        )  # fmt: skip
    found.confirmed_at = now
    return Confirmation(found, already=False)
