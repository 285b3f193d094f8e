from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    name = "clientela.timeline"
    label = "timeline"
    verbose_name = _("Timeline and audit log")

    def ready(self) -> None:
        """Become core's export recorder: every export writes its "exported" event here."""
        from clientela.core.exports import register_export_recorder
        from clientela.timeline.services import record_export

        register_export_recorder(record_export)
