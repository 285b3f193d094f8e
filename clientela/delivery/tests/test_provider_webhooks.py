"""Provider webhooks through django-anymail: Postmark's real bounce, spam-complaint and
subscription-change payloads land on the same services as DSNs; no secret, no effect."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery.choices import MessageEventKind, MessageState
from clientela.delivery.models import MessageEvent, Suppression
from clientela.delivery.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

SECRET = "proveedor:clave-larga-de-prueba"
URL = "/anymail/postmark/tracking/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def _post(payload, secret=SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        URL, data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )  # fmt: skip


@pytest.fixture
def message(marketing_kind):
    contact = ContactFactory.create(email="ana@example.co")
    return MessageFactory.create(
        kind=marketing_kind, contact=contact, to_address="ana@example.co", state=MessageState.SENT
    )


def bounce(message, kind="HardBounce", code=1):
    return {
        "RecordType": "Bounce", "ID": 4323372036854775807, "Type": kind, "TypeCode": code,
        "Name": "Hard bounce", "Tag": "", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"clientela_token": message.token}, "ServerID": 23, "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": message.to_address, "From": "no-reply@example.co",
        "BouncedAt": "2026-12-06T16:33:54.9070259Z", "DumpAvailable": True, "Inactive": True,
        "CanActivate": True, "Subject": message.subject, "Content": "", "RecordID": 1,
    }  # fmt: skip


def test_a_hard_bounce_webhook_suppresses_the_address(message):
    assert _post(bounce(message)).status_code == 200
    assert Suppression.objects.get().reason == "hard_bounce"
    assert MessageEvent.objects.get(message=message).kind == MessageEventKind.BOUNCE_HARD


def test_a_webhook_delivered_again_is_recorded_once(message):
    """Providers retry a webhook they think failed: the same event id is one bounce."""
    hard = bounce(message)
    assert _post(hard).status_code == 200
    assert _post(hard).status_code == 200
    assert MessageEvent.objects.filter(kind=MessageEventKind.BOUNCE_HARD).count() == 1
    assert _post({**hard, "ID": hard["ID"] - 1}).status_code == 200  # another event: counted
    assert MessageEvent.objects.filter(kind=MessageEventKind.BOUNCE_HARD).count() == 2


def test_a_spam_complaint_webhook_unsubscribes_and_suppresses(message):
    payload = {**bounce(message, "SpamComplaint", 512), "RecordType": "SpamComplaint"}
    assert _post(payload).status_code == 200
    assert Suppression.objects.get().reason == "complaint"


def test_a_subscription_change_webhook_unsubscribes(message):
    payload = {
        "RecordType": "SubscriptionChange", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23, "MessageStream": "broadcast", "ChangedAt": "2026-12-06T16:33:54Z",
        "Recipient": message.to_address, "Origin": "Recipient", "SuppressSending": True,
        "SuppressionReason": "ManualSuppression", "Tag": "",
        "Metadata": {"clientela_token": message.token},
    }  # fmt: skip
    assert _post(payload).status_code == 200
    assert Suppression.objects.get().reason == "unsubscribed"


def test_an_unknown_message_still_suppresses_the_reported_address(message):
    payload = {**bounce(message), "Metadata": {}, "Email": "otro@example.co"}
    assert _post(payload).status_code == 200
    assert Suppression.objects.get().email == "otro@example.co"


def test_a_webhook_without_the_secret_changes_nothing(message):
    assert _post(bounce(message), secret="intruso:clave").status_code in (400, 401, 403)
    assert not Suppression.objects.exists()
