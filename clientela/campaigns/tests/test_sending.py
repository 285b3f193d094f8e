"""A campaign goes from its audience to a real SMTP server: snapshot, queue, render, send."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clientela.campaigns.choices import CampaignState, Exclusion, Phase
from clientela.campaigns.models import CampaignRecipient
from clientela.campaigns.queries import audience_counts
from clientela.campaigns.services import sending
from clientela.campaigns.tests.factories import (
    EnteredCampaignFactory,
    EnteredTemplateFactory,
    build_audience,
)
from clientela.core.exceptions import Conflict, Forbidden
from clientela.delivery.choices import MessageState
from clientela.delivery.models import Message
from clientela.delivery.services.sending import send_due

pytestmark = pytest.mark.django_db


def _campaign(personas, audience, **extra):
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    return EnteredCampaignFactory.create(
        actor=personas.marketer, template=template, segments=[audience.segment], **extra
    )


def test_the_audience_counts_every_exclusion_by_reason(personas):
    audience = build_audience()
    campaign = _campaign(personas, audience)

    counts = audience_counts(campaign)

    assert counts.members == 7
    assert counts.sendable == 3
    assert counts.excluded == {
        Exclusion.NO_CONSENT: 2,
        Exclusion.UNSUBSCRIBED: 1,
        Exclusion.BOUNCED: 0,
        Exclusion.COMPLAINED: 0,
        Exclusion.INVALID: 1,
    }


def test_a_campaign_reaches_each_consenting_contact_once_personalised_in_their_language(
    personas, smtp_server
):
    audience = build_audience()
    campaign = _campaign(personas, audience, from_name="Tienda Andina", cost="100000")

    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)
    sending.advance(campaign.pk)  # a retried run snapshots and queues nobody twice

    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 3
    assert Message.objects.filter(group=f"campaign:{campaign.pk}").count() == 3
    assert (
        not Message.objects.filter(group=f"campaign:{campaign.pk}").exclude(html_body="").exists()
    )

    result = send_due(owner="test")
    assert result["sent"] == 3

    received = {m.recipients[0]: m for m in smtp_server.messages}
    assert set(received) == {c.email for c in audience.sendable}
    ana = received["ana@example.co"]
    assert ana.message["Subject"] == "Novedades de este mes, Ana"
    assert "Tienda Andina" in ana.message["From"]
    html = ana.part("text/html")
    assert "Hola Ana" in html and "Leer más" in html
    text = ana.part("text/plain")
    assert "Hola Ana" in text and "Leer más (https://example.com)" in text
    unsubscribe = re.search(r"Cancelar suscripción \((https?://\S+/m/u/\S+)\)", text)
    assert unsubscribe is not None and unsubscribe.group(1) in html
    # Marketing mail: one-click unsubscribe (RFC 8058) and tracked links, through delivery.
    assert unsubscribe.group(1) in ana.message["List-Unsubscribe"]
    assert ana.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/m/c/" in html and "/m/o/" in html
    assert "Cancelar suscripción" in html
    john = received["john@example.com"]
    assert john.message["Subject"] == "This month's news, John"
    assert "Unsubscribe" in john.part("text/html")
    luis = received["luis@correo.example"]
    assert "Hola amigo" in luis.part("text/html")  # the fallback of an empty first name

    sending.advance(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENT
    assert campaign.exclusions[Exclusion.NO_CONSENT] == 2
    assert sending.progress(campaign)["percent"] == 100


def test_contact_values_are_escaped_in_the_html_part(personas, smtp_server):
    audience = build_audience()
    audience.ana.first_name = '<img src=x onerror="alert(1)">'
    audience.ana.save()
    campaign = _campaign(personas, audience)

    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)
    send_due(owner="test")

    [ana] = [m for m in smtp_server.messages if m.recipients == ["ana@example.co"]]
    html = ana.part("text/html")
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html


def test_pause_holds_what_has_not_left_and_resume_sends_it_once(personas, smtp_server):
    audience = build_audience()
    campaign = _campaign(personas, audience)
    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)

    sending.pause_campaign(campaign, actor=personas.marketer)
    assert send_due(owner="test")["sent"] == 0
    assert Message.objects.filter(state=MessageState.HELD).count() == 3
    with pytest.raises(Conflict):
        sending.pause_campaign(campaign, actor=personas.marketer)

    sending.resume_campaign(campaign, actor=personas.marketer)
    assert send_due(owner="test")["sent"] == 3
    assert sorted(m.recipients[0] for m in smtp_server.messages) == sorted(
        c.email for c in audience.sendable
    )


def test_cancel_sends_nothing_more(personas, smtp_server):
    audience = build_audience()
    campaign = _campaign(personas, audience)
    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)

    sending.cancel_campaign(campaign, actor=personas.marketer)

    assert send_due(owner="test")["sent"] == 0
    assert smtp_server.messages == []
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CANCELLED


def test_only_a_role_with_the_send_capability_sends(personas):
    audience = build_audience()
    campaign = _campaign(personas, audience)
    with pytest.raises(Forbidden):
        sending.send_campaign(campaign, actor=personas.rep)


def test_a_scheduled_campaign_waits_for_its_moment(personas):
    audience = build_audience()
    campaign = _campaign(personas, audience)
    at = timezone.now() + dt.timedelta(hours=2)
    sending.send_campaign(campaign, actor=personas.marketer, mode="at", at=at)

    assert sending.run_due(now=timezone.now()) == 0
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()

    assert sending.run_due(now=at + dt.timedelta(seconds=1)) == 1
    messages = Message.objects.filter(group=f"campaign:{campaign.pk}")
    assert messages.count() == 3
    assert all(m.next_attempt_at >= at for m in messages)


def test_throttling_spreads_messages_per_minute_and_per_domain(personas):
    audience = build_audience()
    campaign = _campaign(personas, audience, per_minute=2, per_domain_minute=1)
    sending.send_campaign(campaign, actor=personas.marketer)
    now = timezone.now()
    sending.advance(campaign.pk, now=now)

    times = {r.email: r.send_at for r in CampaignRecipient.objects.filter(campaign=campaign)}
    minutes = sorted(round(((t or now) - now).total_seconds() / 60) for t in times.values())
    # Two of the three at once would pass the per-minute limit, but ana and luis share no
    # domain; the per-minute limit pushes the third to the next minute.
    assert minutes == [0, 0, 1]


def test_an_ab_test_sends_the_sample_first_then_the_winner_to_the_rest(personas, smtp_server):
    audience = build_audience()
    campaign = _campaign(
        personas,
        audience,
        ab_target="subject",
        subject_b_es="¡Solo para usted, {{ contacto.nombre }}!",
        subject_b_en="Just for you, {{ contact.first_name }}!",
        ab_sample_percent=50,
        ab_wait_hours=1,
    )
    sending.send_campaign(campaign, actor=personas.marketer)
    start = timezone.now() - dt.timedelta(hours=2)  # the sample went out two hours ago
    sending.advance(campaign.pk, now=start)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.TESTING

    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    sample = recipients.filter(phase=Phase.TEST)
    rest = recipients.filter(phase=Phase.REST)
    assert sample.count() + rest.count() == 3
    assert Message.objects.filter(group=f"campaign:{campaign.pk}").count() == sample.count()
    send_due(owner="test")
    assert len(smtp_server.messages) == sample.count()

    # Before the wait is over nothing more goes out; after it, the rest gets the winner.
    sending.advance(campaign.pk, now=start + dt.timedelta(minutes=30))
    assert Message.objects.filter(group=f"campaign:{campaign.pk}").count() == sample.count()
    sending.advance(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.ab_decided_at is not None
    assert campaign.variants.filter(is_winner=True).count() == 1
    send_due(owner="test")
    assert sorted(m.recipients[0] for m in smtp_server.messages) == sorted(
        c.email for c in audience.sendable
    )
    subjects = [m.message["Subject"] for m in smtp_server.messages]
    assert all(re.search(r"(Novedades|news|Solo para usted|Just for you)", s) for s in subjects)


def test_a_local_hour_campaign_reaches_each_recipient_at_that_hour_in_their_zone(personas):
    audience = build_audience()
    audience.ana.country = "CO"
    audience.ana.save()
    audience.john.country = "ES"
    audience.john.save()
    campaign = _campaign(personas, audience)
    bogota = ZoneInfo("America/Bogota")
    at = dt.datetime(2099, 12, 15, 9, 0, tzinfo=bogota)
    sending.send_campaign(campaign, actor=personas.marketer, mode="local", at=at)

    # Snapshotting starts when 9:00 comes in the first time zone (UTC+14).
    assert sending.run_due(now=at - dt.timedelta(hours=20)) == 0
    assert sending.run_due(now=at - dt.timedelta(hours=19)) == 1
    times = {r.email: r.send_at for r in CampaignRecipient.objects.filter(campaign=campaign)}
    assert times["ana@example.co"] == at
    assert times["john@example.com"] == dt.datetime(
        2099, 12, 15, 9, 0, tzinfo=ZoneInfo("Europe/Madrid")
    )


def test_suppressed_addresses_are_left_out_by_reason_and_never_queued(personas):
    from clientela.delivery.tests.factories import SuppressionFactory

    audience = build_audience()
    SuppressionFactory.create(email=audience.luis.email, reason="hard_bounce")
    SuppressionFactory.create(email=audience.john.email, reason="complaint")
    campaign = _campaign(personas, audience)

    counts = audience_counts(campaign)
    assert counts.sendable == 1
    assert counts.excluded[Exclusion.BOUNCED] == 1
    assert counts.excluded[Exclusion.COMPLAINED] == 1

    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)
    queued = Message.objects.filter(group=f"campaign:{campaign.pk}")
    assert list(queued.values_list("to_address", flat=True)) == [audience.ana.email]


def test_a_contact_who_left_the_campaigns_topic_is_left_out_as_unsubscribed(personas):
    from clientela.delivery.models import TopicOptOut

    audience = build_audience()
    campaign = _campaign(personas, audience)  # a newsletter
    TopicOptOut.objects.create(email=audience.john.email, topic="newsletter")
    TopicOptOut.objects.create(email=audience.ana.email, topic="promotions")

    counts = audience_counts(campaign)
    assert counts.sendable == 2
    assert counts.excluded[Exclusion.UNSUBSCRIBED] == 2  # eva withdrew consent, john the topic
