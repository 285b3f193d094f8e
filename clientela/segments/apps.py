"""The segments app: audiences over everything Clientela knows."""

from datetime import time, timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    """Segments and lists: conditions, membership, ready-made audiences."""

    name = "clientela.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        """Register capabilities, verbs, conditions and the SQLite fold function."""
        from django.db.backends.signals import connection_created

        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.segments.conditions.behaviour import register_behaviour_conditions
        from clientela.segments.conditions.contacts import register_contact_conditions
        from clientela.segments.conditions.deals import register_deal_conditions
        from clientela.segments.conditions.forms import register_form_conditions
        from clientela.segments.conditions.purchases import register_purchase_conditions
        from clientela.segments.conditions.segments import register_segment_conditions
        from clientela.segments.sql import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="segments-sqlite-fold")
        group = _("Segments")
        register_capability(
            "segments.manage",
            _("Manage segments and lists"),
            group=group,
            description=_("Create, change and delete segments and static lists."),
            default=Audience.ADMINS | Audience.MANAGERS | Audience.MARKETING,
        )
        from clientela.core.events import (
            DataKey,
            register_data_keys,
            register_record_type,
            register_verbs,
        )
        from clientela.core.scheduling import Schedule, register
        from clientela.segments.choices import SegmentVerb
        from clientela.segments.services import events_written
        from clientela.timeline.services import register_event_listener

        register_verbs(SegmentVerb)
        register_data_keys(
            {
                "added": DataKey(_("Contacts added")),
                "removed": DataKey(_("Contacts removed")),
            },
            verbs=[SegmentVerb.LIST_CHANGED],
        )
        register_record_type("segments.segment", "segments:detail")
        register_event_listener(events_written)
        # Changed contacts every minute; every segment after midnight, when "in the last 30
        # days" and "birthday in the next 7 days" move on by a day.
        register(
            Schedule(
                "segments.pending",
                "clientela.segments.services.drain_pending_job",
                every=timedelta(minutes=1),
            )
        )
        register(
            Schedule(
                "segments.nightly",
                "clientela.segments.services.nightly_refresh",
                daily_at=time(0, 5),
            )
        )
        from clientela.contacts.queries import register_contact_filter
        from clientela.segments.contact_filter import SEGMENT_FILTER

        register_contact_filter(SEGMENT_FILTER)
        from django.db.models.signals import post_migrate

        from clientela.segments.readymade import (
            ensure_ready_made_segments,
            register_segments_ready_made,
        )

        register_segments_ready_made()
        post_migrate.connect(
            ensure_ready_made_segments, sender=self, dispatch_uid="segments-ready-made"
        )
        register_contact_conditions()
        register_purchase_conditions()
        register_deal_conditions()
        register_segment_conditions()
        register_form_conditions()
        register_behaviour_conditions()

        from clientela.core.registries import NavItem, register_nav_item
        from clientela.segments.queries import may_see_segments

        register_nav_item(
            NavItem(
                "segments:list",
                _("Segments"),
                "target",
                order=55,
                allowed=may_see_segments,
                active_on=tuple(
                    f"segments:{name}"
                    for name in ("create", "list_create", "detail", "edit", "delete", "why")
                ),
            )
        )
