"""App configuration of clientela.billing."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Quotes, invoices and payments: capabilities, verbs, schedules and the sidebar link."""

    name = "clientela.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        """Register what billing offers the registries of the apps below it."""
        from datetime import timedelta

        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.billing.panel import deal_panel_context
        from clientela.billing.queries import can_manage_settings
        from clientela.billing.services import QUOTE_KIND, SYNC_SCHEDULE, follow_deal_state
        from clientela.billing.verbs import register_billing_verbs
        from clientela.core.events import register_record_type
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.core.scheduling import Schedule, register
        from clientela.deals.page_panels import DealPanel, register_deal_panel
        from clientela.deals.services import register_state_listener
        from clientela.delivery.kinds import register_kind

        group = _("Billing")
        register_capability(
            "billing.quote",
            _("Make and send quotes"),
            group=group,
            description=_(
                "Make quotes from the deals the role may change, send them by e-mail and mark "
                "them accepted or rejected."
            ),
            default=Audience.ADMINS | Audience.MANAGERS | Audience.SALES,
        )
        register_capability(
            "billing.invoice",
            _("Issue invoices and instalment plans"),
            group=group,
            description=_(
                "Turn accepted quotes into invoices, set their instalment plans and void them."
            ),
            default=Audience.ADMINS | Audience.MANAGERS | Audience.SALES,
        )
        register_capability(
            "billing.record_payments",
            _("Record payments"),
            group=group,
            description=_("Record and delete the payments received against invoices."),
            default=Audience.ADMINS | Audience.MANAGERS | Audience.SALES,
        )
        register_capability(
            "billing.manage_settings",
            _("Set up billing"),
            group=group,
            description=_(
                "Choose whether paid invoices or won deals become orders, and the default "
                "validity and terms of quotes."
            ),
            default=Audience.ADMINS,
        )
        register_capability(
            "billing.export",
            _("Export quotes and invoices"),
            group=group,
            description=_("Download the lists of quotes, invoices and payments as CSV or XLSX."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_billing_verbs()
        register_kind(QUOTE_KIND, _("Quote"))
        register_state_listener(follow_deal_state)
        for name, func, every in (
            ("billing.expire_quotes", "expire_quotes_job", timedelta(hours=1)),
            ("billing.overdue", "flag_overdue_job", timedelta(hours=1)),
            (SYNC_SCHEDULE, "sync_orders_job", timedelta(hours=1)),
        ):
            register(Schedule(name, f"clientela.billing.tasks.{func}", every=every))
        register_record_type("billing.billingsettings")
        register_deal_panel(
            DealPanel("billing", order=10, template="billing/deal_panel.html",
                      context=deal_panel_context)
        )  # fmt: skip
        register_nav_item(
            NavItem(
                "billing:invoice_list",
                _("Billing"),
                "receipt",
                order=46,
                active_on=(
                    "billing:invoice_detail", "billing:invoice_plan", "billing:invoice_create",
                    "billing:quote_list", "billing:quote_detail", "billing:quote_edit",
                    "billing:quote_create",
                ),
            )
        )  # fmt: skip
        register_nav_item(
            NavItem(
                "billing:settings", _("Billing"), "receipt", order=48,
                section=ADMINISTRATION, allowed=can_manage_settings,
            )
        )  # fmt: skip
