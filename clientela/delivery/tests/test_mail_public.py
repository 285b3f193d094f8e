"""The public links of sent e-mail: pixel, click redirect, one-click unsubscribe, preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent
from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery import links
from clientela.delivery.choices import MailOpsVerb, MessageEventKind, MessageState
from clientela.delivery.models import MessageEvent, Suppression, TopicOptOut
from clientela.delivery.services.engagement import post_events
from clientela.delivery.tests.factories import MessageFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

HUMAN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
def sent(marketing_kind):
    contact = ContactFactory.create(email="ana@example.co", language="es")
    Consent.objects.create(
        contact=contact, channel=ConsentChannel.EMAIL, purpose=ConsentPurpose.MARKETING,
        status=ConsentStatus.GRANTED, source="form",
    )  # fmt: skip
    return MessageFactory.create(
        kind=marketing_kind, contact=contact, to_address="ana@example.co", purpose="newsletter",
        state=MessageState.SENT, sent_at=timezone.now() - timedelta(minutes=5), language="es",
    )  # fmt: skip


def _path(url):
    return url.removeprefix(links.public_url())


def test_the_pixel_counts_an_open_and_answers_a_gif(sent):
    response = Client().get(_path(links.open_url(sent.token)), HTTP_USER_AGENT=HUMAN)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    [event] = MessageEvent.objects.all()
    assert (event.message_id, event.kind, event.machine) == (sent.pk, "open", False)


@pytest.mark.parametrize(
    ("agent", "age"),
    [("Mozilla/5.0", timedelta(minutes=5)), (HUMAN, timedelta(seconds=0))],
)
def test_it_flags_privacy_proxy_and_on_delivery_opens_as_machine(sent, agent, age):
    sent.sent_at = timezone.now() - age
    sent.save()
    Client().get(_path(links.open_url(sent.token)), HTTP_USER_AGENT=agent)
    assert MessageEvent.objects.get().machine is True


def test_a_click_redirects_to_the_signed_target_and_is_counted(sent):
    target = "https://tienda.example.co/oferta?a=1&b=2"
    response = Client().get(_path(links.click_url(sent.token, target)), HTTP_USER_AGENT=HUMAN)
    assert response.status_code == 302 and response["Location"] == target
    event = MessageEvent.objects.get()
    assert (event.kind, event.url, event.machine) == ("click", target, False)


def test_scanner_clicks_head_requests_and_fresh_deliveries_are_flagged(sent):
    url = _path(links.click_url(sent.token, "https://tienda.example.co/"))
    assert Client().head(url, HTTP_USER_AGENT=HUMAN).status_code == 302
    sent.sent_at = timezone.now()
    sent.save()
    Client().get(url, HTTP_USER_AGENT=HUMAN)
    assert list(MessageEvent.objects.values_list("machine", flat=True)) == [True, True]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t, s, u: (t, s, "https://evil.example.net/"),  # another target, same signature
        lambda t, s, u: (t[:-1] + ("0" if t[-1] != "0" else "1"), s, u),  # altered token
        lambda t, s, u: (t, s[:-1] + ("A" if s[-1] != "A" else "B"), u),  # altered signature
        lambda t, s, u: (t, s, "javascript:alert(1)"),
    ],
)
def test_only_signed_links_redirect(sent, tamper):
    target = "https://tienda.example.co/"
    token, signature = sent.token, links.sign(links.CLICK, sent.token, target)
    token, signature, target = tamper(token, signature, target)
    from urllib.parse import quote

    response = Client().get(f"/m/c/{token}/{signature}/?u={quote(target, safe='')}")
    assert response.status_code == 404
    assert not MessageEvent.objects.exists()


def test_a_forged_or_other_messages_pixel_is_refused(sent):
    other = MessageFactory.create()
    forged = f"/m/o/{sent.token}/{links.sign(links.OPEN, other.token)}.gif"
    assert Client().get(forged).status_code == 404
    assert (
        Client().get(f"/m/o/{'a' * 40}/{links.sign(links.OPEN, 'a' * 40)}.gif").status_code == 200
    )
    assert not MessageEvent.objects.exists()  # a signed token of no message stores nothing


def test_one_click_post_unsubscribes_at_once_without_csrf_and_only_once(sent):
    client = Client(enforce_csrf_checks=True)
    url = _path(links.unsubscribe_url(sent.token))
    for _ in range(2):
        response = client.post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("ana@example.co", "unsubscribed")
    latest = Consent.objects.filter(contact=sent.contact).order_by("-recorded_at", "-id")[0]
    assert latest.status == ConsentStatus.WITHDRAWN and "one-click" in latest.source
    assert MessageEvent.objects.filter(kind=MessageEventKind.UNSUBSCRIBE).count() == 1
    assert (
        Event.objects.filter(verb=MailOpsVerb.UNSUBSCRIBED, contact_id=sent.contact_id).count() == 1
    )


def test_the_preference_page_speaks_the_contacts_language_and_saves_topics(sent):
    client = Client(enforce_csrf_checks=True)
    url = _path(links.unsubscribe_url(sent.token))
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preferencias de correo" in text and "Boletín" in text and "ana@example.co" in text
    assert "sessionid" not in page.cookies

    saved = client.post(url, {"topics": ["promotions"], "action": "save"})
    assert saved.status_code == 200
    assert list(TopicOptOut.objects.values_list("topic", flat=True)) == ["newsletter"]
    assert not Suppression.objects.exists()

    client.post(url, {"action": "unsubscribe"})
    assert Suppression.objects.get().reason == "unsubscribed"

    # Choosing topics again grants the consent again (the page is its proof).
    client.post(url, {"topics": ["newsletter", "promotions"], "action": "save"})
    assert not Suppression.objects.exists() and not TopicOptOut.objects.exists()
    latest = Consent.objects.filter(contact=sent.contact).order_by("-recorded_at", "-id")[0]
    assert latest.status == ConsentStatus.GRANTED and latest.source == "preference page"


def test_the_preference_page_escapes_the_address(marketing_kind):
    message = MessageFactory.create(kind=marketing_kind, to_address='"<script>x"@example.co')
    page = Client().get(_path(links.unsubscribe_url(message.token)))
    assert "<script>x" not in page.content.decode()


def test_a_forged_unsubscribe_link_is_refused(sent):
    url = f"/m/u/{sent.token}/{links.sign(links.OPEN, sent.token)}/"
    assert Client().get(url).status_code == 404
    assert Client().post(url, data="List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded").status_code == 404  # fmt: skip
    assert not Suppression.objects.exists()


def test_opens_and_clicks_reach_the_timeline_in_bulk(sent):
    Client().get(_path(links.open_url(sent.token)), HTTP_USER_AGENT=HUMAN)
    Client().get(
        _path(links.click_url(sent.token, "https://tienda.example.co/")), HTTP_USER_AGENT=HUMAN
    )
    Client().get(_path(links.open_url(sent.token)), HTTP_USER_AGENT="Mozilla/5.0")
    assert post_events() == 3
    assert post_events() == 0
    verbs = list(
        Event.objects.filter(contact_id=sent.contact_id).order_by("id").values_list("verb", "data")
    )
    assert [verb for verb, _ in verbs] == [
        MailOpsVerb.OPENED, MailOpsVerb.CLICKED, MailOpsVerb.OPENED,
    ]  # fmt: skip
    assert [data["machine"] for _, data in verbs] == [False, False, True]
