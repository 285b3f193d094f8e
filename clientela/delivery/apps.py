"""App configuration of clientela.delivery."""

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    """The delivery app: capabilities, verbs, the send schedule and the outbox, wired in ready()."""

    name = "clientela.delivery"
    label = "delivery"
    verbose_name = _("Outbound messages")

    def ready(self) -> None:
        """Register capabilities, verbs, the record type, the schedule and the outbox link."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.events import register_record_type
        from clientela.core.registries import (
            ADMINISTRATION,
            NavItem,
            register_nav_item,
            register_public_prefix,
        )
        from clientela.core.scheduling import Schedule, register
        from clientela.delivery.kinds import register_kind
        from clientela.delivery.queries import may_manage_suppressions, may_view_messages
        from clientela.delivery.services import SEND_SCHEDULE
        from clientela.delivery.services.engagement import POST_SCHEDULE
        from clientela.delivery.services.mailbox import BOUNCE_MAILBOX_SCHEDULE
        from clientela.delivery.topics import register_topic
        from clientela.delivery.verbs import register_delivery_verbs

        group = _("Outbound messages")
        register_public_prefix("/m/", "sent e-mails' signed pixel, clicks and unsubscribe links")
        register_public_prefix("/anymail/", "e-mail providers' webhooks (basic auth, its secret)")
        register_capability(
            "delivery.view_messages",
            _("See outbound messages"),
            group=group,
            description=_("Open the outbox: every e-mail Clientela sent or will send."),
            default=Audience.ADMINS,
        )
        register_capability(
            "delivery.manage_messages",
            _("Cancel and resend messages"),
            group=group,
            description=_("Cancel queued messages and queue failed ones again."),
            default=Audience.ADMINS,
        )
        register_capability(
            "delivery.manage_suppressions",
            _("Manage the suppression list"),
            group=group,
            description=_(
                "See, add, import, export and remove the addresses Clientela never e-mails."
            ),
            default=Audience.ADMINS,
        )
        from clientela.contacts.services import register_merge_relation

        register_delivery_verbs()
        # A merged contact's messages belong to the surviving contact (and go back on undo).
        register_merge_relation("delivery.Message", "contact")
        register_record_type("delivery.message", "delivery:message_detail")
        register_kind("delivery.test", _("Test message"))
        register_topic("newsletter", _("Newsletter"), order=10)
        register_topic("promotions", _("Promotions and offers"), order=20)
        register_record_type("delivery.suppression", "delivery:suppression_list")
        # Opens and clicks reach the contacts' timelines in bulk, off the public endpoints.
        register(
            Schedule(
                POST_SCHEDULE,
                "clientela.delivery.services.engagement.post_events",
                every=timedelta(minutes=1),
            )
        )
        from anymail.signals import tracking

        from clientela.delivery.services.provider_events import on_provider_event

        tracking.connect(on_provider_event, dispatch_uid="clientela.delivery.provider_events")
        # Queueing wakes a worker at once; this is the safety net (retries that came due, a
        # wake-up lost with a crashed worker).
        register(
            Schedule(
                SEND_SCHEDULE,
                "clientela.delivery.services.sending.send_due",
                every=timedelta(minutes=1),
            )
        )
        # Bounces and complaints delivered to a mailbox (CLIENTELA_MAIL_BOUNCE_MAILBOX): the
        # job does nothing while the setting is empty, and logs a mailbox it cannot read.
        register(
            Schedule(
                BOUNCE_MAILBOX_SCHEDULE,
                "clientela.delivery.tasks.read_bounce_mailbox_job",
                every=timedelta(minutes=5),
            )
        )
        register_nav_item(
            NavItem(
                "delivery:message_list",
                _("Outbox"),
                "mail",
                order=70,
                section=ADMINISTRATION,
                allowed=may_view_messages,
                active_on=("delivery:message_detail",),
            )
        )
        register_nav_item(
            NavItem(
                "delivery:suppression_list",
                _("Suppression list"),
                "mail",
                order=71,
                section=ADMINISTRATION,
                allowed=may_manage_suppressions,
            )
        )
