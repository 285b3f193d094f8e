"""Provider webhooks (django-anymail's `tracking` signal): bounces, complaints, unsubscribes.

Anymail checks the webhook's basic-auth secret and turns every provider's payload into an
`AnymailTrackingEvent`. The message is found by the token Clientela sends as metadata
(`clientela_token`), else by its Message-ID; a provider event about an address we cannot tie
to a message still suppresses the address.
"""

from __future__ import annotations

import logging
from typing import Any

from clientela.core.events import Via
from clientela.delivery.choices import SuppressionReason
from clientela.delivery.links import TOKEN_PATTERN
from clientela.delivery.models import Message
from clientela.delivery.services.bounces import (
    record_bounce,
    record_complaint,
    report_key,
    suppress_address,
)
from clientela.delivery.services.unsubscribe import unsubscribe

log = logging.getLogger("clientela.delivery.providers")
HANDLED = {"bounced", "complained", "unsubscribed", "deferred"}


def _message(event: Any) -> Message | None:
    metadata = getattr(event, "metadata", None) or {}
    token = str(metadata.get("clientela_token") or "") if isinstance(metadata, dict) else ""
    if TOKEN_PATTERN.match(token):
        found = Message.objects.filter(token=token).select_related("contact").first()
        if found is not None:
            return found
    message_id = str(getattr(event, "message_id", "") or "").strip()
    if message_id:
        wrapped = message_id if message_id.startswith("<") else f"<{message_id}>"
        return (
            Message.objects.filter(message_id__in=[message_id, wrapped])
            .select_related("contact")
            .first()
        )
    return None


def on_provider_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """Handle one provider tracking event (connected to anymail's `tracking` signal)."""
    kind = str(getattr(event, "event_type", ""))
    if kind not in HANDLED:
        return
    recipient = str(getattr(event, "recipient", "") or "")
    detail = " ".join(
        str(part)
        for part in (
            esp_name,
            getattr(event, "reject_reason", ""),
            getattr(event, "description", ""),
        )
        if part
    )[:500]
    message = _message(event)
    if message is None:
        reason = {
            "bounced": SuppressionReason.HARD_BOUNCE,
            "complained": SuppressionReason.COMPLAINT,
            "unsubscribed": SuppressionReason.UNSUBSCRIBED,
        }.get(kind)
        if reason is not None and recipient:
            suppress_address(recipient, reason=reason, detail=detail)
        return
    # A provider that delivers its webhook again sends the same event id: recorded once.
    event_id = str(getattr(event, "event_id", "") or "")
    report = report_key("provider", esp_name, event_id) if event_id else ""
    if kind == "bounced":
        record_bounce(message, hard=True, detail=detail, via=Via.API, report=report)
    elif kind == "deferred":
        record_bounce(message, hard=False, detail=detail, via=Via.API, report=report)
    elif kind == "complained":
        record_complaint(message, detail=detail, via=Via.API, report=report)
    else:
        unsubscribe(message, how=esp_name or "provider")
