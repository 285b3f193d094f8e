"""Unsubscribes and preferences: the one-click POST, the mailto address, the preference page.

Leaving marketing e-mail withdraws the contact's marketing e-mail consent in the ledger
(`contacts.services.record_consent`), suppresses the address for marketing kinds and puts
the unsubscribe on the timeline; doing it twice changes nothing more. Leaving only some
topics records topic opt-outs; choosing topics again after an unsubscribe grants the consent
again with the preference page as its source and lifts the unsubscribe.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.utils import timezone

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.queries import current_consents
from clientela.contacts.services.consents import record_consent
from clientela.core.events import Via
from clientela.delivery.choices import MailOpsVerb, MessageEventKind, SuppressionReason
from clientela.delivery.models import Message, MessageEvent, Suppression, TopicOptOut
from clientela.delivery.services import event_data
from clientela.delivery.services.suppression import suppress
from clientela.delivery.topics import TOPICS
from clientela.timeline.services import record_event


def _consent_status(message: Message) -> str | None:
    if message.contact is None:
        return None
    latest = current_consents(message.contact).get((ConsentChannel.EMAIL, ConsentPurpose.MARKETING))
    return latest.status if latest is not None else None


def unsubscribe(message: Message, *, how: str) -> bool:
    """Take the recipient of `message` off marketing e-mail; False when they already were.

    `how` says where the request came from ("one-click", "mailto", "preference page",
    "complaint", a provider's name); it is the consent's source and the event's detail.
    """
    address = message.to_address.strip().lower()
    with transaction.atomic():
        already = Suppression.objects.filter(email=address).exists()
        if already and _consent_status(message) != ConsentStatus.GRANTED:
            return False
        MessageEvent.objects.create(
            message=message, kind=MessageEventKind.UNSUBSCRIBE, detail=how[:200], posted=True
        )
        if message.contact is not None and _consent_status(message) != ConsentStatus.WITHDRAWN:
            record_consent(
                message.contact,
                actor=None,
                channel=ConsentChannel.EMAIL,
                purpose=ConsentPurpose.MARKETING,
                status=ConsentStatus.WITHDRAWN,
                source=f"unsubscribe: {how}"[:200],
                proof=f"message {message.message_id}",
                via=Via.FORM,
            )
        record_event(
            MailOpsVerb.UNSUBSCRIBED,
            actor=None,
            target=message,
            via=Via.FORM,
            data=event_data(message, how=how),
            contact_id=message.contact_id,
        )
        if not already:
            suppress(
                address,
                reason=SuppressionReason.UNSUBSCRIBED,
                actor=None,
                detail=how,
                message=message,
            )
    return True


def opted_out_topics(message: Message) -> set[str]:
    """Return the topics the recipient of `message` left."""
    address = message.to_address.strip().lower()
    return set(TopicOptOut.objects.filter(email=address).values_list("topic", flat=True))


def is_unsubscribed(message: Message) -> bool:
    """Whether the recipient of `message` is off marketing e-mail altogether."""
    address = message.to_address.strip().lower()
    return Suppression.objects.filter(email=address).exists()


def save_preferences(message: Message, *, keep: Collection[str]) -> None:
    """Keep the recipient on the topics in `keep` and off the others; none kept: unsubscribe."""
    wanted = {key for key in keep if key in TOPICS}
    if not wanted:
        unsubscribe(message, how="preference page")
        return
    address = message.to_address.strip().lower()
    with transaction.atomic():
        left = set(TOPICS) - wanted
        before = opted_out_topics(message)
        TopicOptOut.objects.filter(email=address, topic__in=wanted).delete()
        TopicOptOut.objects.bulk_create(
            [TopicOptOut(email=address, topic=key, created_at=timezone.now()) for key in left],
            ignore_conflicts=True,
        )
        back = Suppression.objects.filter(
            email=address, reason=SuppressionReason.UNSUBSCRIBED
        ).delete()[0]
        if back and message.contact is not None:
            record_consent(
                message.contact,
                actor=None,
                channel=ConsentChannel.EMAIL,
                purpose=ConsentPurpose.MARKETING,
                status=ConsentStatus.GRANTED,
                source="preference page",
                proof=f"topics {', '.join(sorted(wanted))}; message {message.message_id}",
                via=Via.FORM,
            )
        if before != left or back:
            record_event(
                MailOpsVerb.PREFERENCES,
                actor=None,
                target=message,
                via=Via.FORM,
                data=event_data(message, topics=sorted(wanted), left=sorted(left)),
                contact_id=message.contact_id,
            )
