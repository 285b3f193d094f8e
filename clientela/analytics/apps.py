from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        """Show the Customer value module to those who may read it; schedule the snapshot."""
        from clientela.analytics.queries import can_view_value
        from clientela.core.registries import NavItem, register_nav_item
        from clientela.core.scheduling import Schedule, register

        # The nightly customer-value snapshot (RFM, CLV, inactivity) is analytics' own work;
        # it reads orders, which sit below analytics in the app stack.
        register(
            Schedule(
                "analytics.customer_value_snapshot",
                "clientela.analytics.tasks.nightly_customer_value_snapshot",
                daily_at=time(2, 30),
            )
        )

        register_nav_item(
            NavItem(
                "analytics:dashboard",
                _("Customer value"),
                "chart",
                order=70,
                allowed=can_view_value,
            )
        )
