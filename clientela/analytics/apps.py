"""App configuration of clientela.analytics."""

from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The customer-value app: capabilities, navigation and schedules, wired in ready()."""

    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        """Register capabilities, the Customer value module's link and the nightly snapshot.

        The link shows only to those who may read customer value.
        """
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.analytics.queries import can_view_value
        from clientela.analytics.refresh import refresh_after_merge
        from clientela.analytics.segment_conditions import (
            register_value_conditions,
            register_value_ready_made,
        )
        from clientela.contacts.services import register_merge_listener
        from clientela.core.job_titles import fixed_title, register_job_title
        from clientela.core.registries import NavItem, register_nav_item
        from clientela.core.scheduling import Schedule, register

        register_job_title("customer_value", fixed_title(_("Customer value")))
        register_job_title("export_customers", fixed_title(_("Customer value export")))
        register_value_conditions()
        register_value_ready_made()

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
        # A merge moves orders between contacts: their values follow at once, not overnight.
        register_merge_listener(refresh_after_merge)
