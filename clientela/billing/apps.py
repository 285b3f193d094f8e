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
        from clientela.accounts.capabilities import Audience, register_capability

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
