"""App configuration of clientela.core."""

from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The core app: its record type and housekeeping schedules, wired in ready()."""

    name = "clientela.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        """Register core's record type, the latest-imports card and the housekeeping schedules."""
        from clientela.core.events import register_record_type
        from clientela.core.scheduling import Schedule, register

        register_record_type("core.job")
        from clientela.core.registries import StartPanel, register_start_panel
        from clientela.core.start import imports_panel_context

        register_start_panel(
            StartPanel("core.imports", 40, "core/start_panel.html", imports_panel_context)
        )

        register(
            Schedule(
                "core.clear_sessions",
                "clientela.core.housekeeping.clear_expired_sessions",
                daily_at=time(3, 0),
            )
        )
        register(
            Schedule(
                "core.prune_tasks",
                "clientela.core.housekeeping.prune_finished_tasks",
                daily_at=time(3, 30),
            )
        )
