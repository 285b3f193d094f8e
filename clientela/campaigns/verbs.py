"""How campaign events read on the timeline and in the audit log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from clientela.campaigns.choices import CampaignVerb
from clientela.core.events import DataKey, register_data_keys, register_verbs


def register_campaign_verbs() -> None:
    """Register the verbs of campaigns and how their data keys read."""
    register_verbs(CampaignVerb)
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
