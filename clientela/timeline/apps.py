"""App configuration of clientela.timeline."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    """The timeline app: the event store, lifecycle verbs and audit log, wired in ready()."""

    name = "clientela.timeline"
    label = "timeline"
    verbose_name = _("Timeline and audit log")

    def ready(self) -> None:
        """Become the event store and offer the audit log.

        Registers the audit-log capability and the lifecycle verbs, stores the events apps
        record and records exports for core.
        """
        from clientela.accounts.capabilities import Audience, register_capability

        register_capability(
            "timeline.view_audit_log",
            _("Read the audit log"),
            group=_("Audit log"),
            description=_("See who changed what, for every record the role sees, and export it."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        from clientela.core.events import set_event_recorder
        from clientela.core.exports import register_export_recorder
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.timeline.queries import can_read_audit_log
        from clientela.timeline.rendering import register_lifecycle_verbs
        from clientela.timeline.services import record_event, record_export

        set_event_recorder(record_event)
        # Every export writes its "exported" event here (core.exports refuses without it).
        register_export_recorder(record_export)
        register_lifecycle_verbs()
        from clientela.core.job_titles import fixed_title, register_job_title

        register_job_title("export_audit_log", fixed_title(_("Audit log export")))

        from clientela.core.registries import StartPanel, register_start_panel
        from clientela.timeline.start import audit_panel_context

        register_start_panel(
            StartPanel("timeline.audit", 30, "timeline/start_panel.html", audit_panel_context)
        )
        register_nav_item(
            NavItem(
                "timeline:audit_log",
                _("Audit log"),
                "audit",
                order=90,
                section=ADMINISTRATION,
                allowed=can_read_audit_log,
            )
        )
