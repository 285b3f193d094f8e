from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        from clientela.analytics.queries import can_view_value
        from clientela.analytics.refresh import refresh_after_merge
        from clientela.contacts.services import register_merge_listener
        from clientela.core.context_processors import guard_module

        guard_module("analytics:dashboard", can_view_value)
        # A merge moves orders between contacts: their values follow at once, not overnight.
        register_merge_listener(refresh_after_merge)
