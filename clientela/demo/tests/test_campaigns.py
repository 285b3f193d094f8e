"""The demo's campaigns make story 2 visible: last month's newsletter shows revenue and ROI."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clientela.accounts.models import User
from clientela.campaigns.choices import CampaignState, Phase
from clientela.campaigns.models import Campaign, CampaignRecipient
from clientela.core.testing import client_for
from clientela.delivery.choices import MessageState
from clientela.delivery.models import Message, MessageEvent
from clientela.demo.campaigns import LAUNCH, NEWSLETTER, seed_campaigns
from clientela.demo.orders import seed_orders
from clientela.demo.seeding import seed_contacts
from clientela.orders.models import Order

pytestmark = pytest.mark.django_db


def _revenue_from_rows(campaign: Campaign) -> Decimal:
    """Add up, row by row, the orders placed within the window after a human click."""
    clicks: dict[int, list[dt.datetime]] = {}
    for contact_id, at in MessageEvent.objects.filter(
        message__group=f"campaign:{campaign.pk}", kind="click", machine=False
    ).values_list("message__contact_id", "at"):
        clicks.setdefault(contact_id, []).append(at)
    window = dt.timedelta(days=campaign.attribution_days)
    return sum(
        (
            order.amount_company_currency
            for order in Order.objects.filter(contact_id__in=list(clicks))
            if any(
                order.ordered_at - window <= at <= order.ordered_at
                for at in clicks.get(order.contact_id or 0, [])
            )
        ),
        Decimal("0"),
    )


def test_the_demo_newsletter_report_shows_a_roi_computed_from_its_rows(client):
    seed_contacts(300, seed=2026)
    seed_orders(seed=2026, snapshots=0)
    seed_campaigns(seed=2026)
    newsletter = Campaign.objects.get(name=NEWSLETTER)
    revenue = _revenue_from_rows(newsletter)
    assert newsletter.cost > 0 and revenue > 0
    roi = round(float((revenue - newsletter.cost) / newsletter.cost * 100), 1)
    assert roi != 0

    marketer = User.objects.get(username="mercadeo")
    page = client_for(client, marketer, language="en").get(
        reverse("campaigns:report", args=[newsletter.pk])
    )

    shown = re.search(r'data-figure="roi"[^>]*>([^<]*)<', page.content.decode())
    assert shown is not None
    assert shown.group(1).strip() == f"{roi} %"


def test_the_demo_launch_was_sent_as_an_ab_test_and_its_page_shows_the_winner(client):
    seed_contacts(300, seed=2026)
    seed_campaigns(seed=2026)
    launch = Campaign.objects.get(name=LAUNCH)
    group = f"campaign:{launch.pk}"
    messages = Message.objects.filter(group=group)

    assert launch.state == CampaignState.SENT
    assert launch.ab_decided_at is not None and launch.finished_at is not None
    assert launch.ab_decided_at <= timezone.now()
    assert not MessageEvent.objects.filter(message__group=group, at__gt=timezone.now()).exists()
    assert set(messages.values_list("state", flat=True)) == {MessageState.SENT}
    recipients = CampaignRecipient.objects.filter(campaign=launch)
    assert messages.count() == recipients.count() > 0
    # The sample received both subjects; the winner is the one more of it opened (ties: A).
    sample = recipients.filter(phase=Phase.TEST)
    assert set(sample.values_list("variant__label", flat=True)) == {"A", "B"}
    opens = {
        label: messages.filter(
            ref__startswith=f"{label}:",
            pk__in=MessageEvent.objects.filter(
                kind="open", machine=False, at__lte=launch.ab_decided_at
            ).values("message_id"),
        ).count()
        for label in "AB"
    }
    assert opens["A"] + opens["B"] > 0
    winner = "B" if opens["B"] > opens["A"] else "A"
    assert list(launch.variants.filter(is_winner=True).values_list("label", flat=True)) == [winner]
    # The rest of the audience received the winning subject, after the decision.
    rest = recipients.filter(phase=Phase.REST)
    assert rest.exists()
    assert set(rest.values_list("variant__label", flat=True)) == {winner}
    rest_messages = messages.filter(
        ref__in=[f"{winner}:{pk}" for pk in rest.values_list("pk", flat=True)]
    )
    assert rest_messages.count() == rest.count()
    assert not rest_messages.filter(sent_at__lt=launch.ab_decided_at).exists()
    assert not rest_messages.filter(sent_at__isnull=True).exists()
    assert MessageEvent.objects.filter(message__group=group, kind="click").exists()

    marketer = User.objects.get(username="mercadeo")
    page = (
        client_for(client, marketer, language="en")
        .get(reverse("campaigns:detail", args=[launch.pk]))
        .content.decode()
    )

    for label in "AB":
        shown = re.search(rf'<dd data-variant="{label}">(.*?)</dd>', page, re.S)
        assert shown is not None
        variant = launch.variants.get(label=label)
        assert escape(variant.subject_es) in shown.group(1)
        assert ("Winner" in shown.group(1)) == (label == winner)
        result = re.search(rf'data-results="{label}">([^<]*)<', shown.group(1))
        assert result is not None
        of_variant = messages.filter(ref__startswith=f"{label}:")
        unique_opens = of_variant.filter(
            pk__in=MessageEvent.objects.filter(kind="open", machine=False).values("message_id")
        ).count()
        unique_clicks = of_variant.filter(
            pk__in=MessageEvent.objects.filter(kind="click", machine=False).values("message_id")
        ).count()
        assert result.group(1).strip() == (
            f"{of_variant.count()} sent · {unique_opens} unique opens · {unique_clicks} unique clicks"
        )


def test_the_demo_campaigns_were_sent_when_their_pages_say():
    """A sent demo campaign reads as sent in the past: created, then sent ("send at"), started
    and finished in that order, all before now (not at the moment the demo was loaded)."""
    seed_contacts(300, seed=2026)
    seed_campaigns(seed=2026)
    sent = Campaign.objects.filter(state=CampaignState.SENT)
    assert set(sent.values_list("name", flat=True)) == {NEWSLETTER, LAUNCH}
    for campaign in sent:
        assert campaign.scheduled_at is not None
        assert campaign.started_at is not None and campaign.finished_at is not None
        assert (
            campaign.created_at
            <= campaign.scheduled_at
            <= campaign.started_at
            <= campaign.finished_at
            < timezone.now() - dt.timedelta(days=1)
        ), campaign.name


def test_the_launch_report_compares_the_variants_by_rate_and_names_the_winner(client):
    seed_contacts(300, seed=2026)
    seed_campaigns(seed=2026)
    launch = Campaign.objects.get(name=LAUNCH)
    marketer = User.objects.get(username="mercadeo")
    page = (
        client_for(client, marketer, language="en")
        .get(reverse("campaigns:report", args=[launch.pk]))
        .content.decode()
    )
    winner = launch.variants.get(is_winner=True).label
    assert re.findall(r'data-winner="([AB])"', page) == [winner]
    for label in "AB":
        messages = Message.objects.filter(
            group=f"campaign:{launch.pk}", ref__startswith=f"{label}:"
        )
        sent = messages.filter(state=MessageState.SENT).count()
        human = MessageEvent.objects.filter(message__in=messages, machine=False)
        for kind, rate in (("open", "open"), ("click", "click")):
            people = human.filter(kind=kind).values("message_id").distinct().count()
            shown = re.search(rf'data-rate="{rate}-{label}">([\d.]+) %<', page)
            assert shown is not None, (rate, label)
            # No demo message bounced, so every sent message was delivered.
            assert float(shown.group(1)) == round(people * 100 / sent, 1)
