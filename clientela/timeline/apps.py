from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    name = "clientela.timeline"
    label = "timeline"
    verbose_name = _("Timeline and audit log")

    def ready(self) -> None:
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.context_processors import guard_module
        from clientela.timeline.queries import can_read_audit_log

        register_capability(
            "timeline.view_audit_log",
            _("Read the audit log"),
            group=_("Audit log"),
            description=_("See who changed what, for every record the role sees, and export it."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        guard_module("timeline:audit_log", can_read_audit_log)
