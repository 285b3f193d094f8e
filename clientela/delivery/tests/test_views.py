"""The outbox: filters, a pinned number of queries, a safe HTML preview, cancel and resend."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.core.testing import client_for
from clientela.delivery.choices import MessageState
from clientela.delivery.tests.factories import MessageFactory, QueuedEmailFactory

pytestmark = pytest.mark.django_db


def test_it_lists_messages_with_state_kind_and_address_filters(client, personas):
    MessageFactory.create(to_address="ana@example.co", subject="Para Ana")
    MessageFactory.create(
        to_address="beto@example.co", subject="Para Beto", state=MessageState.FAILED
    )
    c = client_for(client, personas.admin)
    url = reverse("delivery:message_list")

    page = c.get(url).content.decode()
    assert "Para Ana" in page and "Para Beto" in page and "Test message" in page
    failed = c.get(url, {"state": "failed"}).content.decode()
    assert "Para Beto" in failed and "Para Ana" not in failed
    by_address = c.get(url, {"q": "ANA@"}).content.decode()
    assert "Para Ana" in by_address and "Para Beto" not in by_address
    both = c.get(url, {"kind": "delivery.test", "state": "failed"}).content.decode()
    assert "Para Beto" in both and "Para Ana" not in both
    assert c.get(url, {"state": "nonsense", "page": "-4"}).status_code == 200


def test_the_outbox_pins_its_queries(client, personas, django_assert_num_queries):
    MessageFactory.create_batch(60)
    c = client_for(client, personas.admin)
    # Session, user, role (capability check); the page of messages; the capped count.
    with django_assert_num_queries(5):
        assert c.get(reverse("delivery:message_list")).status_code == 200
    with django_assert_num_queries(5):
        assert (
            c.get(reverse("delivery:message_list"), {"page": 2, "state": "queued"}).status_code
            == 200
        )


def test_it_shows_the_html_part_only_inside_a_sandboxed_frame_and_escaped(client, personas):
    message = QueuedEmailFactory.create(
        html='<p>Hola</p><script>alert("x")</script><img src=x onerror="alert(1)">',
        subject="<i>Asunto</i>",
        headers={"X-Campaign": "42"},
    )
    c = client_for(client, personas.admin)
    page = c.get(reverse("delivery:message_detail", args=[message.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert 'sandbox=""' in page and "srcdoc=" in page
    assert "&lt;script&gt;alert" in page
    assert "&lt;i&gt;Asunto&lt;/i&gt;" in page
    assert message.message_id.strip("<>") in page and "X-Campaign" in page


def test_an_admin_cancels_a_queued_message_and_resends_a_failed_one(client, personas):
    queued = MessageFactory.create()
    failed = MessageFactory.create(state=MessageState.FAILED, attempts=8, last_error="550 no")
    c = client_for(client, personas.admin)
    response = c.post(reverse("delivery:message_cancel", args=[queued.pk]), follow=True)
    assert "Message cancelled." in response.content.decode()
    queued.refresh_from_db()
    assert queued.state == MessageState.CANCELLED
    again = c.post(reverse("delivery:message_cancel", args=[queued.pk]), follow=True)
    assert "Only a queued message can be cancelled." in again.content.decode()
    c.post(reverse("delivery:message_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.state == MessageState.QUEUED and failed.attempts == 0
