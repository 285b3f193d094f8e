"""Reports, A/B winners and segment conditions over delivery's message events.

These need delivery's `MessageEvent` (opens, clicks, bounces, complaints, unsubscribes), which
mail operations add; until it is installed they are skipped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.campaigns.reports import build_report, metric_contacts
from clientela.campaigns.services import sending
from clientela.campaigns.tests.factories import (
    EnteredCampaignFactory,
    EnteredTemplateFactory,
    build_audience,
)
from clientela.delivery.models import Message, MessageEvent
from clientela.orders.tests.factories import OrderFactory
from clientela.segments.engine import members
from clientela.segments.tree import parse

pytestmark = [
    pytest.mark.django_db,
]


def _sent_campaign(personas, **extra):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    campaign = EnteredCampaignFactory.create(
        actor=personas.marketer, template=template, segments=[audience.segment], **extra
    )
    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)
    sent_at = timezone.now() - dt.timedelta(days=3)
    Message.objects.filter(group=f"campaign:{campaign.pk}").update(state="sent", sent_at=sent_at)
    messages = {m.to_address: m for m in Message.objects.filter(group=f"campaign:{campaign.pk}")}
    return audience, campaign, messages, sent_at


def _event(message, kind, at, **extra):
    return MessageEvent.objects.create(message=message, kind=kind, at=at, **extra)


def test_the_report_counts_people_not_events_and_keeps_machines_apart(personas):
    audience, campaign, messages, sent_at = _sent_campaign(personas, cost="100000")
    ana, john, luis = (messages[c.email] for c in audience.sendable)
    _event(ana, "open", sent_at + dt.timedelta(hours=1))
    _event(ana, "open", sent_at + dt.timedelta(hours=2))
    _event(john, "open", sent_at + dt.timedelta(seconds=2), machine=True)
    click_at = sent_at + dt.timedelta(hours=1, minutes=1)
    _event(ana, "click", click_at, url="https://example.com/a")
    _event(ana, "click", click_at, url="https://example.com/b")
    _event(luis, "bounce_hard", sent_at + dt.timedelta(minutes=1))
    OrderFactory.create(contact=audience.ana, ordered_at=click_at + dt.timedelta(days=2),
                        amount=Decimal("250000"), amount_company_currency=Decimal("250000"))  # fmt: skip
    OrderFactory.create(contact=audience.ana, ordered_at=click_at + dt.timedelta(days=9),
                        amount=Decimal("90000"), amount_company_currency=Decimal("90000"))  # fmt: skip

    report = build_report(campaign)

    total = report.total
    assert (total.recipients, total.sent, total.delivered) == (3, 3, 2)
    assert (total.unique_opens, total.total_opens, total.machine_opens) == (1, 2, 1)
    assert (total.unique_clicks, total.total_clicks) == (1, 2)
    assert total.bounced_hard == 1
    assert total.revenue == Decimal("250000") and total.orders == 1  # the second is past 7 days
    assert report.roi == 150.0
    assert {url for url, _people, _clicks in report.links} == {
        "https://example.com/a",
        "https://example.com/b",
    }
    assert list(metric_contacts(campaign, "opened")) == [audience.ana]
    assert list(metric_contacts(campaign, "bounced_hard")) == [audience.luis]


def test_the_ab_winner_is_the_variant_more_people_opened(personas, monkeypatch):
    # Three recipients and a 50 % sample left the sample empty one time in eight (the hash of
    # campaign and contact ids): here all three are in it, alternating A, B, A.
    monkeypatch.setattr(sending, "_in_sample", lambda campaign_id, contact_id, percent: True)
    _audience, campaign, messages, _sent_at = _sent_campaign(
        personas, ab_target="subject", subject_b_es="Otro asunto", ab_sample_percent=50,
        ab_wait_hours=1,
    )  # fmt: skip
    assert sorted(m.ref[0] for m in messages.values()) == ["A", "A", "B"]
    # The one B recipient opens: B wins though A has more recipients.
    opened = next(m for m in messages.values() if m.ref.startswith("B:"))
    _event(opened, "open", timezone.now())
    campaign.refresh_from_db()
    winner = sending.decide_winner(campaign, now=timezone.now(), force=True)
    assert winner is not None and winner.label == opened.ref[0]


def test_segments_find_who_opened_or_clicked_in_the_last_days(personas):
    audience, campaign, messages, _sent_at = _sent_campaign(personas)
    _event(messages[audience.ana.email], "open", timezone.now() - dt.timedelta(days=1))
    _event(messages[audience.john.email], "open", timezone.now() - dt.timedelta(days=20))
    _event(messages[audience.luis.email], "open", timezone.now(), machine=True)

    recent = parse({"all": [{"field": "email_opened", "op": "yes", "days": 7}]})
    ever = parse({"all": [{"field": "email_opened", "op": "yes", "campaign": str(campaign.pk)}]})

    assert set(members(recent)) == {audience.ana}
    assert set(members(ever)) == {audience.ana, audience.john}
