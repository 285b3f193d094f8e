"""How delivery's events read on a contact's timeline (registered in DeliveryConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.events import DataKey, DataKind, register_data_keys, register_verbs
from clientela.delivery.choices import Channel, DeliveryVerb
from clientela.delivery.kinds import kind_label
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, RecordTimeline, html


def _data(event: Event) -> dict[str, str]:
    data = event.data or {}
    return {
        "subject": str(data.get("subject") or ""),
        "to": str(data.get("to") or ""),
        "kind": kind_label(str(data.get("kind") or "")),
        "reason": str(data.get("reason") or ""),
    }


def sent_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail went to which address."""
    entry.sentence = html(_("E-mail “%(subject)s” (%(kind)s) sent to %(to)s"), **_data(event))
    return entry


def failed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail could not be delivered, and the server's reason."""
    entry.sentence = html(
        _("E-mail “%(subject)s” (%(kind)s) to %(to)s failed: %(reason)s"), **_data(event)
    )
    return entry


def cancelled_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail was cancelled before it left."""
    entry.sentence = html(_("E-mail “%(subject)s” to %(to)s cancelled"), **_data(event))
    return entry


def quiet_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry | None:
    """Keep queueing and re-queueing off the contact's timeline (the audit log has them)."""
    return None


def register_delivery_verbs() -> None:
    """Register delivery's verbs, their sentences and how their data keys read."""
    register_verbs(
        DeliveryVerb,
        {
            DeliveryVerb.SENT: sent_entry,
            DeliveryVerb.FAILED: failed_entry,
            DeliveryVerb.CANCELLED: cancelled_entry,
            DeliveryVerb.QUEUED: quiet_entry,
            DeliveryVerb.RETRIED: quiet_entry,
        },
    )
    register_data_keys(
        {
            "kind": DataKey(gettext_lazy("Kind")),
            "subject": DataKey(gettext_lazy("Subject")),
            "to": DataKey(gettext_lazy("Recipient")),
            "channel": DataKey(gettext_lazy("Channel"), DataKind.CHOICE, dict(Channel.choices)),
            "smtp_code": DataKey(gettext_lazy("SMTP code")),
            "reason": DataKey(gettext_lazy("Reason")),
        },
        verbs=DeliveryVerb.values,
    )
