from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        """Show the Customer value module to those who may read it."""
        from clientela.analytics.queries import can_view_value
        from clientela.core.registries import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                "analytics:dashboard",
                _("Customer value"),
                "chart",
                order=70,
                allowed=can_view_value,
            )
        )
