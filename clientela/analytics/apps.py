from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.analytics.queries import can_view_value

        group = _("Customer value")
        leads = Audience.ADMINS | Audience.MANAGERS
        for code, label, description, default in (
            (
                "analytics.view",
                _("See customer value"),
                _(
                    "Open the customer-value pages (segments, LTV, CLV, cohorts) and the value "
                    "card, over the customers the role sees."
                ),
                # Service answers customers from their contact card and orders; the value
                # analytics serve selling and marketing (docs/decisions.md).
                Audience.EVERYONE & ~Audience.SERVICE,
            ),
            (
                "analytics.export",
                _("Export customer value"),
                _("Download customer-value tables as CSV or Excel."),
                leads | Audience.MARKETING,
            ),
            (
                "analytics.recompute",
                _("Recompute customer value"),
                _("Start a new customer-value snapshot now instead of waiting for the night."),
                leads,
            ),
            (
                "analytics.manage_settings",
                _("Change customer-value settings"),
                _("Inactivity thresholds, CLV horizon, margin and the saved LTV inputs."),
                leads,
            ),
        ):
            register_capability(code, label, group=group, description=description, default=default)
        from clientela.core.context_processors import guard_module

        guard_module("analytics:dashboard", can_view_value)
