"""Marketing mail leaves with its unsubscribe headers, bounce address and tracked links,
received by a real SMTP server; suppressed addresses are never sent to."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery import links
from clientela.delivery.choices import MessageState, SuppressionReason
from clientela.delivery.models import Message
from clientela.delivery.services import queue_email
from clientela.delivery.services.sending import send_due
from clientela.delivery.tests.factories import SuppressionFactory

pytestmark = pytest.mark.django_db

HTML = (
    "<html><body><h1>Novedades</h1>"
    '<p><a href="https://tienda.example.co/oferta?a=1&amp;b=2">Ver oferta</a> '
    "<a href='mailto:ventas@example.co'>Escríbanos</a></p></body></html>"
)


def _queue(kind, to="ana@example.co", **more):
    contact = ContactFactory.create(email=to)
    return queue_email(
        to=to, subject="Novedades", html=HTML, kind=kind, contact=contact, purpose="newsletter",
        **more,
    )  # fmt: skip


def test_it_sends_marketing_mail_with_one_click_unsubscribe_verp_and_feedback_id(
    smtp_server, marketing_kind, mail_settings
):
    message = _queue(marketing_kind)
    other = _queue(marketing_kind, to="luis@example.co")
    send_due(owner="test")

    first, second = smtp_server.messages
    mime = first.message
    assert first.mail_from == f"bounce+{message.token}@rebotes.example.co"
    assert mime["From"] == "Clientela <no-reply@localhost>"
    assert mime["Message-ID"] == message.message_id != second.message["Message-ID"]
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", mime["List-Unsubscribe"])
    assert https == links.unsubscribe_url(message.token)
    assert https.startswith("https://crm.example.co/m/u/")
    assert mailto == f"mailto:unsubscribe+{message.token}@rebotes.example.co?subject=unsubscribe"
    assert mime["Feedback-ID"] == f"0:{marketing_kind}:clientela"
    # Token and signature only: no database id in the link.
    assert re.fullmatch(r"https://crm\.example\.co/m/u/[0-9a-f]{40}/[\w-]{22}/", https)
    assert other.token not in mime.as_string()


def test_it_rewrites_links_through_signed_redirects_and_adds_a_pixel(
    smtp_server, marketing_kind, mail_settings
):
    message = _queue(marketing_kind)
    send_due(owner="test")
    html = smtp_server.messages[0].part("text/html")
    hrefs = re.findall(r'href="([^"]+)"', html)
    [tracked] = [href for href in hrefs if "/m/c/" in href]
    parts = urlsplit(tracked.replace("&amp;", "&"))
    assert parse_qs(parts.query)["u"] == ["https://tienda.example.co/oferta?a=1&b=2"]
    assert "href='mailto:ventas@example.co'" in html
    assert links.open_url(message.token) in html
    assert html.index(links.open_url(message.token)) < html.index("</body>")
    # The text part keeps the plain links.
    assert "https://tienda.example.co/oferta?a=1&b=2" in smtp_server.messages[0].part("text/plain")


def test_it_leaves_transactional_mail_untracked_but_with_its_bounce_address(
    smtp_server, mail_settings
):
    message = _queue("delivery.test")
    send_due(owner="test")
    received = smtp_server.messages[0]
    assert received.mail_from == f"bounce+{message.token}@rebotes.example.co"
    assert received.message["List-Unsubscribe"] is None
    assert "/m/c/" not in received.part("text/html")


def test_it_uses_the_sender_as_envelope_without_a_bounce_domain(smtp_server, marketing_kind):
    _queue(marketing_kind)
    send_due(owner="test")
    received = smtp_server.messages[0]
    assert received.mail_from == "no-reply@localhost"
    assert received.message["List-Unsubscribe"].count("<") == 1


@pytest.mark.parametrize(
    ("reason", "marketing", "sent"),
    [
        (SuppressionReason.HARD_BOUNCE, False, False),
        (SuppressionReason.COMPLAINT, True, False),
        (SuppressionReason.UNSUBSCRIBED, True, False),
        # An unsubscribe stops marketing only: an order confirmation still goes out.
        (SuppressionReason.UNSUBSCRIBED, False, True),
    ],
)
def test_it_never_sends_to_a_suppressed_address(
    smtp_server, marketing_kind, reason, marketing, sent
):
    SuppressionFactory.create(email="ana@example.co", reason=reason)
    message = _queue(marketing_kind if marketing else "delivery.test", to="Ana@Example.co")
    result = send_due(owner="test")
    message.refresh_from_db()
    assert bool(smtp_server.messages) is sent
    if not sent:
        assert result["failed"] == 1
        assert message.state == MessageState.FAILED
        assert message.last_error == f"suppressed: {reason}"


def test_it_refuses_a_topic_the_recipient_left(smtp_server, marketing_kind):
    from clientela.delivery.models import TopicOptOut

    TopicOptOut.objects.create(email="ana@example.co", topic="newsletter")
    _queue(marketing_kind)
    send_due(owner="test")
    assert smtp_server.messages == []
    assert Message.objects.get().last_error == "suppressed: topic_opt_out"


def test_it_gives_every_message_its_own_long_random_token():
    tokens = {_queue("delivery.test", to=f"p{n}@example.co").token for n in range(20)}
    assert len(tokens) == 20
    assert all(re.fullmatch(r"[0-9a-f]{40}", token) for token in tokens)


def test_bulk_sends_get_tokens_purposes_headers_and_skip_suppressed_addresses(
    smtp_server, marketing_kind, mail_settings
):
    from clientela.delivery.services.bulk import BulkEmail, queue_bulk

    SuppressionFactory.create(email="p3@example.co", reason=SuppressionReason.COMPLAINT)
    rows = [
        BulkEmail(to=f"p{n}@example.co", contact_id=None, language="es", ref=f"r:{n}",
                  subject="Boletín", html=HTML, purpose="newsletter")
        for n in range(6)
    ]  # fmt: skip
    assert queue_bulk(rows, kind=marketing_kind, group="campaign:7").inserted == 6
    messages = list(Message.objects.order_by("id"))
    assert len({m.token for m in messages}) == 6
    assert {m.purpose for m in messages} == {"newsletter"}
    result = send_due(owner="test")
    assert (result["sent"], result["failed"]) == (5, 1)
    assert "p3@example.co" not in {r.recipients[0] for r in smtp_server.messages}
    assert all(r.message["List-Unsubscribe-Post"] for r in smtp_server.messages)
    assert (
        smtp_server.messages[0].message["Feedback-ID"] == f"campaign-7:{marketing_kind}:clientela"
    )
