"""App configuration of clientela.activities."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    """The activities app: capabilities, verbs, the nav link, the bell and the contact panel."""

    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        """Register what activities offers the registries of the apps below it."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.activities.panel import contact_panel_context, start_panel_context
        from clientela.activities.verbs import register_activity_verbs
        from clientela.contacts.panels import ContactPanel, register_contact_panel
        from clientela.contacts.services import register_merge_relation
        from clientela.core.events import register_record_type
        from clientela.core.registries import (
            HeaderItem,
            NavItem,
            StartPanel,
            register_header_item,
            register_nav_item,
            register_start_panel,
        )

        group = _("Activities")
        register_capability(
            "activities.write",
            _("Log activities and manage own tasks"),
            group=group,
            description=_(
                "Log calls, e-mails and meetings with the customers the role sees, and create, "
                "complete and change one's own tasks."
            ),
            default=Audience.EVERYONE & ~Audience.VIEWERS,
        )
        register_capability(
            "activities.assign",
            _("Give tasks to other people"),
            group=group,
            description=_(
                "Create tasks for the users the role may assign records to, change or complete "
                "their activities, and filter My tasks by person."
            ),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_activity_verbs()
        register_record_type("activities.activity")
        register_record_type("activities.calendarfeed")
        register_nav_item(NavItem("activities:my_tasks", _("Activities"), "calendar", order=50))
        register_header_item(HeaderItem("notifications", "activities/includes/bell.html", order=10))
        register_contact_panel(
            ContactPanel(
                "activities", order=10, template="activities/contact_panel.html",
                context=contact_panel_context,
            )
        )  # fmt: skip
        register_start_panel(
            StartPanel(
                "activities.today", order=5, template="activities/start_panel.html",
                context=start_panel_context,
            )
        )  # fmt: skip
        self._register_agenda()
        # A merged contact's activities belong to the surviving contact (and go back on undo).
        register_merge_relation("activities.Activity", "contact")

    def _register_agenda(self) -> None:
        """Register the reminders' schedule and e-mail kind, and the calendar feed's path."""
        from datetime import timedelta

        from clientela.activities.services import REMINDER_KIND
        from clientela.core.registries import register_public_prefix
        from clientela.core.scheduling import Schedule, register
        from clientela.delivery.kinds import register_kind

        register(
            Schedule(
                "activities.reminders",
                "clientela.activities.tasks.send_reminders_job",
                every=timedelta(minutes=1),
            )
        )
        register_kind(REMINDER_KIND, _("Activity reminder"))
        # The personal iCalendar feed: the secret token in the path is the only key.
        register_public_prefix("/ical/", "personal iCalendar feeds (a secret token in the path)")
