"""How campaign events read on the timeline and in the audit log."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.campaigns.choices import CampaignVerb
from clientela.core.events import DataKey, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, RecordTimeline, html


def received_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which campaign the contact was sent."""
    data = event.data or {}
    entry.sentence = html(_("Received the campaign “%(name)s”"), name=str(data.get("name") or ""))
    return entry


def register_campaign_verbs() -> None:
    """Register the verbs of campaigns and how their data keys read."""
    register_verbs(CampaignVerb, {CampaignVerb.CAMPAIGN_RECEIVED: received_entry})
    register_data_keys(
        {
            "name": DataKey(gettext_lazy("Name")),
            "fields": DataKey(gettext_lazy("Fields")),
            "to": DataKey(gettext_lazy("Recipient")),
            "recipients": DataKey(gettext_lazy("Recipients")),
            "variant": DataKey(gettext_lazy("Variant")),
        },
        verbs=CampaignVerb.values,
    )
