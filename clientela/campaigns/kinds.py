"""The message kinds campaigns queue in delivery (registered in CampaignsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CAMPAIGN_KIND = "campaigns.campaign"
TEST_KIND = "campaigns.test"


def register_campaign_kinds() -> None:
    """Register the campaign kind (marketing, rendered at send time) and the test send's.

    A test is marketing mail too: it carries the same unsubscribe headers and links, and
    delivery refuses it to a suppressed address like any campaign message.
    """
    from clientela.campaigns.services.sending import render_campaign_batch
    from clientela.delivery.kinds import register_kind

    register_kind(CAMPAIGN_KIND, _("Campaign"), marketing=True, renderer=render_campaign_batch)
    register_kind(TEST_KIND, _("Campaign test"), marketing=True)
