from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    name = "clientela.timeline"
    label = "timeline"
    verbose_name = _("Timeline and audit log")

    def ready(self) -> None:
        """Offer the audit log in the administration menu to those who may read it."""
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.timeline.queries import can_read_audit_log

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
