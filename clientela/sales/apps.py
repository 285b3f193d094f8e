"""App configuration of clientela.sales."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """The sales section: sales plan and analytics; capabilities, verbs and the nav link."""

    name = "clientela.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        """Register what the sales section offers the registries of the apps below it."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.events import DataKey, DataKind, register_data_keys, register_verbs
        from clientela.core.registries import NavItem, register_nav_item
        from clientela.sales.choices import SalesVerb
        from clientela.sales.queries import can_view_reports

        group = _("Sales")
        register_capability(
            "sales.view_reports",
            _("Read the sales section"),
            group=group,
            description=_(
                "Open the sales plan and analytics (funnel, close rates, forecast, activity, "
                "lost reasons, customers) over the deals the role sees."
            ),
            default=Audience.ADMINS | Audience.MANAGERS | Audience.SALES,
        )
        register_capability(
            "sales.manage_plan",
            _("Set the sales plan"),
            group=group,
            description=_("Set each rep's monthly targets per pipeline."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_verbs(SalesVerb)
        register_data_keys(
            {
                "month": DataKey(_("Month"), DataKind.DATE),
                "pipeline": DataKey(_("Pipeline")),
                "targets": DataKey(_("Targets changed")),
            },
            verbs=[SalesVerb.PLAN_CHANGED],
        )
        register_nav_item(
            NavItem(
                "sales:overview",
                _("Sales"),
                "chart",
                order=45,
                allowed=can_view_reports,
                active_on=("sales:plan", "sales:activity", "sales:lost", "sales:customers"),
            )
        )
