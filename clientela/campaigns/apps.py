"""App configuration of clientela.campaigns."""

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """E-mail campaigns: capabilities, verbs, message kinds, schedules and the nav item."""

    name = "clientela.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        """Register capabilities, verbs, record types, message kinds, schedules and the nav link."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.campaigns.queries import may_view_campaigns
        from clientela.campaigns.verbs import register_campaign_verbs
        from clientela.core.events import register_record_type
        from clientela.core.registries import NavItem, register_nav_item, register_public_prefix
        from clientela.core.scheduling import Schedule, register

        group = _("E-mail campaigns")
        everyone_in_marketing = Audience.ADMINS | Audience.MANAGERS | Audience.MARKETING
        register_capability(
            "campaigns.view",
            _("See e-mail campaigns"),
            group=group,
            description=_("Open templates, campaigns and their reports."),
            default=everyone_in_marketing,
        )
        register_capability(
            "campaigns.manage",
            _("Prepare e-mail campaigns"),
            group=group,
            description=_("Write templates, prepare campaigns and send tests to yourself."),
            default=everyone_in_marketing,
        )
        register_capability(
            "campaigns.send",
            _("Send e-mail campaigns"),
            group=group,
            description=_("Send and schedule campaigns; pause, resume and cancel them."),
            default=everyone_in_marketing,
        )
        register_campaign_verbs()
        register_public_prefix("/ci/", "images in campaign e-mails")
        register_record_type("campaigns.campaign", "campaigns:detail")
        register_record_type("campaigns.emailtemplate", "campaigns:template_edit")
        from clientela.campaigns.kinds import register_campaign_kinds

        register_campaign_kinds()
        from clientela.campaigns.segment_conditions import register_engagement_conditions

        register_engagement_conditions()
        register(
            Schedule(
                "campaigns.due",
                "clientela.campaigns.tasks.run_due_campaigns",
                every=timedelta(minutes=1),
            )
        )
        register_nav_item(
            NavItem(
                "campaigns:list",
                _("Campaigns"),
                "megaphone",
                order=57,
                allowed=may_view_campaigns,
                active_on=tuple(
                    f"campaigns:{name}"
                    for name in (
                        "create",
                        "detail",
                        "edit",
                        "report",
                        "templates",
                        "template_create",
                        "template_edit",
                        "template_preview",
                    )
                ),
            )
        )
