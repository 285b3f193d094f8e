"""App configuration of clientela.tracking."""

from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    """First-party web tracking: capability, verbs, merge relations and the nightly purge."""

    name = "clientela.tracking"
    label = "tracking"
    verbose_name = _("Web tracking")

    def ready(self) -> None:
        """Register what tracking offers the registries."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.contacts.services import register_merge_relation
        from clientela.core.events import register_record_type
        from clientela.core.registries import (
            ADMINISTRATION,
            NavItem,
            register_nav_item,
            register_public_prefix,
        )
        from clientela.core.scheduling import Schedule, register
        from clientela.tracking.queries import MANAGE_SITES, may_manage_sites
        from clientela.tracking.verbs import register_tracking_verbs

        register_public_prefix("/t/", "the tracking script and its event ingest")
        register_capability(
            MANAGE_SITES,
            _("Manage tracked websites"),
            group=_("Web tracking"),
            description=_(
                "Add the websites that load the tracking script, choose their cookie consent "
                "and copy the snippet."
            ),
            default=Audience.ADMINS | Audience.MARKETING,
        )
        register_tracking_verbs()
        register_record_type("tracking.trackedsite", "tracking:site_edit")
        # A merged contact's browsing history belongs to the surviving contact.
        register_merge_relation("tracking.Visitor", "contact")
        register_merge_relation("tracking.Event", "contact")
        register(
            Schedule(
                "tracking.purge",
                "clientela.tracking.services.purge_old_events",
                daily_at=time(3, 30),
            )
        )
        register_nav_item(
            NavItem(
                "tracking:site_list",
                _("Web tracking"),
                "globe",
                order=70,
                section=ADMINISTRATION,
                allowed=may_manage_sites,
                active_on=("tracking:site_create", "tracking:site_edit"),
            )
        )
