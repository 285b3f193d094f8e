"""Demo e-mail campaigns: last month's newsletter, an A/B launch, and a draft A/B promotion.

The newsletter went to the ready-made "e-mail marketing audience" a month ago, through the real
path (snapshot, bulk queueing); its messages are then marked delivered at the time they would
have left, and — where delivery records engagement — a seeded share of recipients opened it
(some opens by machines), clicked, bought within the attribution window, unsubscribed or
bounced. The launch went to the same audience twelve days ago as an A/B test of its subject:
the sample received both subjects and opened them (the personalised one more often), after the
wait the scheduler's own step chose the winner from those opens, and the rest received it. The
promotion is a draft to a static list, so its screen shows who would be left out and why.
Everything is drawn from a seeded generator; nothing is dated after `now`.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import User
from clientela.campaigns.models import Campaign
from clientela.campaigns.reports import group_of
from clientela.campaigns.services import sending
from clientela.campaigns.services.campaigns import create_campaign
from clientela.campaigns.services.templates import create_from_starter
from clientela.contacts.models import Contact
from clientela.delivery.choices import MessageState
from clientela.delivery.models import Message, MessageEvent
from clientela.orders.models import Order
from clientela.segments.models import Segment
from clientela.segments.services import save_as_list

NEWSLETTER = "Boletín de noviembre"
PROMOTION = "Promoción de diciembre"
LAUNCH = "Lanzamiento Florida Central"
LAUNCH_SUBJECTS = {
    "subject_es": "Abrimos la venta de Florida Central",
    "subject_en": "Florida Central is now on sale",
    "subject_b_es": '{{ contacto.nombre|default:"Hola" }}, su lote en Florida Central',
    "subject_b_en": '{{ contact.first_name|default:"Hello" }}, your lot in Florida Central',
}
# Human open rates of the launch's variants (the personalised subject B does better).
LAUNCH_OPEN_RATES = {"A": 0.22, "B": 0.34}
LINKS = (
    "https://www.tierrasflorida.co/lotes/florida-central",
    "https://www.tierrasflorida.co/financiacion",
)


def seed_campaigns(*, seed: int = 2026, now: dt.datetime | None = None) -> Campaign | None:
    """Create the demo's campaigns once (found again by name); return the newsletter."""
    if Campaign.objects.filter(name=NEWSLETTER).exists():
        return Campaign.objects.get(name=NEWSLETTER)
    now = now or timezone.now()
    rng = random.Random(seed)
    marketer = User.objects.get(username="mercadeo")
    audience = Segment.objects.filter(
        code="email_marketing_consent", deleted_at__isnull=True
    ).first()
    if audience is None:
        return None
    newsletter_template = create_from_starter(actor=marketer, code="newsletter", via="seed")
    promotion_template = create_from_starter(actor=marketer, code="promotion", via="seed")
    newsletter = create_campaign(
        actor=marketer,
        via="seed",
        data={
            "name": NEWSLETTER,
            "template": newsletter_template.pk,
            "from_name": "Tierras Florida",
            "segments": [audience.pk],
            "cost": "350000",
            "attribution_days": 7,
        },
    )
    sent_at = now - dt.timedelta(days=30)
    sending.send_campaign(newsletter, actor=marketer, via="seed")
    sending.advance(newsletter.pk, now=sent_at)
    _deliver(newsletter, sent_at, rng, now)
    sending.advance(newsletter.pk, now=sent_at + dt.timedelta(hours=1))
    # "Send now" was pressed when it was sent, not when the demo was loaded.
    Campaign.objects.filter(pk=newsletter.pk).update(scheduled_at=sent_at)

    _seed_launch(marketer, audience, promotion_template.pk, random.Random(seed + 1), now)

    listed = save_as_list(
        actor=marketer,
        name="Feria inmobiliaria Bogotá",
        contacts=list(Contact.objects.order_by("id").values_list("pk", flat=True)[:300]),
        via="seed",
    )
    create_campaign(
        actor=marketer,
        via="seed",
        data={
            "name": PROMOTION,
            "template": promotion_template.pk,
            "from_name": "Tierras Florida",
            "segments": [listed.pk],
            "ab_target": "subject",
            "subject_b_es": '{{ contacto.nombre|default:"Hola" }}, su lote con 20 % menos',
            "ab_sample_percent": 20,
            "ab_wait_hours": 4,
            "cost": "500000",
        },
    )
    newsletter.refresh_from_db()
    return newsletter


def _mark_sent(messages: list[Message], sent_at: dt.datetime) -> None:
    """Mark messages accepted by the server from `sent_at` on, twenty a second."""
    for index, message in enumerate(messages):
        message.state = MessageState.SENT
        message.queued_at = message.next_attempt_at = sent_at
        message.sent_at = sent_at + dt.timedelta(seconds=index // 20)
        message.smtp_code = 250
        message.smtp_response = "250 2.0.0 Ok (demo)"
    Message.objects.bulk_update(
        messages,
        ["state", "queued_at", "next_attempt_at", "sent_at", "smtp_code", "smtp_response"],
    )


def _deliver(
    campaign: Campaign, sent_at: dt.datetime, rng: random.Random, now: dt.datetime
) -> None:
    """Mark the campaign's messages sent and, where delivery records them, add engagement."""
    messages = list(Message.objects.filter(group=group_of(campaign.pk)).order_by("id"))
    with transaction.atomic():
        _mark_sent(messages, sent_at)
        Campaign.objects.filter(pk=campaign.pk).update(created_at=sent_at - dt.timedelta(days=2))
        # Only contacts who existed when the newsletter left engage with it.
        existed = set(
            Contact.objects.filter(
                pk__in=[m.contact_id for m in messages], created_at__lt=sent_at
            ).values_list("pk", flat=True)
        )
        messages = [m for m in messages if m.contact_id in existed]
        by_contact = {m.contact_id: m for m in messages if m.contact_id}
        buyers = (
            Order.objects.filter(
                contact_id__in=list(by_contact),
                ordered_at__gt=sent_at + dt.timedelta(days=1),
                ordered_at__lt=min(now, sent_at + dt.timedelta(days=7)),
            )
            .values_list("contact_id", "ordered_at")
            .order_by("ordered_at")
        )
        events = []
        clicked: set[int] = set()
        for contact_id, ordered_at in buyers:
            if contact_id in clicked:
                continue
            message = by_contact[contact_id]
            click_at = ordered_at - dt.timedelta(hours=rng.randint(2, 20))
            events += [
                MessageEvent(message=message, kind="open", at=click_at - dt.timedelta(minutes=2)),
                MessageEvent(message=message, kind="click", at=click_at, url=LINKS[0]),
            ]
            clicked.add(contact_id)
        for message in messages:
            if message.contact_id in clicked:
                continue
            assert message.sent_at is not None
            roll = rng.random()
            at = message.sent_at + dt.timedelta(minutes=rng.randint(5, 3 * 24 * 60))
            if roll < 0.08:
                events.append(MessageEvent(message=message, kind="open", at=message.sent_at
                                    + dt.timedelta(seconds=3), machine=True))  # fmt: skip
            elif roll < 0.36:
                events.append(MessageEvent(message=message, kind="open", at=at))
                if rng.random() < 0.25:
                    events.append(MessageEvent(message=message, kind="click", at=at
                                        + dt.timedelta(minutes=1), url=rng.choice(LINKS)))  # fmt: skip
            elif roll < 0.365:
                events.append(MessageEvent(message=message, kind="unsubscribe", at=at))
            elif roll < 0.372:
                events.append(MessageEvent(message=message, kind="bounce_hard", at=message.sent_at
                                    + dt.timedelta(minutes=1)))  # fmt: skip
        MessageEvent.objects.bulk_create(events, batch_size=1000)


def _seed_launch(
    marketer: User, audience: Segment, template_id: int, rng: random.Random, now: dt.datetime
) -> Campaign:
    """Send the launch as an A/B subject test twelve days ago: sample, winner, then the rest."""
    campaign = create_campaign(
        actor=marketer,
        via="seed",
        data={
            "name": LAUNCH,
            "template": template_id,
            "from_name": "Tierras Florida",
            "segments": [audience.pk],
            "ab_target": "subject",
            **LAUNCH_SUBJECTS,
            "ab_sample_percent": 20,
            "ab_wait_hours": 4,
            "ab_metric": "opens",
            "cost": "420000",
            "attribution_days": 7,
        },
    )
    launched_at = now - dt.timedelta(days=12)
    decided_at = launched_at + dt.timedelta(hours=campaign.ab_wait_hours, minutes=5)
    sending.send_campaign(campaign, actor=marketer, via="seed")
    sending.advance(campaign.pk, now=launched_at)  # the snapshot; the sample is queued
    _deliver_variants(campaign, launched_at, rng, until=decided_at)
    # After the wait the scheduler's step picks the variant with more unique opens and queues
    # the rest with it; those messages leave then.
    sending.advance(campaign.pk, now=decided_at)
    _deliver_variants(campaign, decided_at, rng, until=min(now, decided_at + dt.timedelta(days=3)))
    sending.advance(campaign.pk, now=decided_at + dt.timedelta(hours=2))
    Campaign.objects.filter(pk=campaign.pk).update(
        created_at=launched_at - dt.timedelta(days=1), scheduled_at=launched_at
    )
    campaign.refresh_from_db()
    return campaign


def _deliver_variants(
    campaign: Campaign, sent_at: dt.datetime, rng: random.Random, *, until: dt.datetime
) -> None:
    """Mark the campaign's queued messages sent at `sent_at`; add opens and clicks by `until`."""
    messages = list(
        Message.objects.filter(group=group_of(campaign.pk), state=MessageState.QUEUED).order_by(
            "id"
        )
    )
    _mark_sent(messages, sent_at)
    existed = set(
        Contact.objects.filter(
            pk__in=[m.contact_id for m in messages], created_at__lt=sent_at
        ).values_list("pk", flat=True)
    )
    events: list[MessageEvent] = []
    for message in messages:
        if message.contact_id not in existed or message.sent_at is None:
            continue
        rate = LAUNCH_OPEN_RATES.get(message.ref[:1], LAUNCH_OPEN_RATES["A"])
        roll = rng.random()
        latest = max(int((until - message.sent_at).total_seconds() // 60) - 2, 6)
        at = message.sent_at + dt.timedelta(minutes=rng.randint(5, latest))
        if roll < 0.06:
            events.append(MessageEvent(message=message, kind="open", at=message.sent_at
                                       + dt.timedelta(seconds=3), machine=True))  # fmt: skip
        elif roll < 0.06 + rate:
            events.append(MessageEvent(message=message, kind="open", at=at))
            if rng.random() < 0.3:
                events.append(MessageEvent(message=message, kind="click", at=at
                                           + dt.timedelta(minutes=1), url=rng.choice(LINKS)))  # fmt: skip
        elif roll < 0.06 + rate + 0.004:
            events.append(MessageEvent(message=message, kind="unsubscribe", at=at))
    MessageEvent.objects.bulk_create(events, batch_size=1000)
