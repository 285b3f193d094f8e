"""App configuration of clientela.orders."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    """The orders app: capabilities, verbs, the importer and merge relation, wired in ready()."""

    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Orders and acquisition costs")

    def ready(self) -> None:
        """Register what orders offers the registries.

        Capabilities, the purchase verb, its record type, the importer and the merge relation.
        """
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.contacts.services import register_merge_relation
        from clientela.core.events import register_record_type
        from clientela.orders.import_jobs import register_import_kind
        from clientela.orders.verbs import register_order_verbs

        group = _("Orders and acquisition costs")
        editors = Audience.EVERYONE & ~Audience.VIEWERS
        books = Audience.ADMINS | Audience.MANAGERS | Audience.MARKETING
        for code, label, description, default in (
            (
                "orders.view",
                _("See orders"),
                _("Open the order list and the orders of the customers the role sees."),
                Audience.EVERYONE,
            ),
            (
                "orders.write",
                _("Record and edit orders"),
                _("Record purchases and change them."),
                editors,
            ),
            ("orders.delete", _("Delete orders"), "", Audience.ADMINS | Audience.MANAGERS),
            (
                "orders.import",
                _("Import orders"),
                _("Import orders and marketing spend from CSV or Excel files."),
                books,
            ),
            ("orders.export", _("Export orders"), "", books),
            (
                "orders.manage_spend",
                _("Manage marketing spend"),
                _("Read and enter marketing spend per channel and month (the cost in CAC)."),
                books,
            ),
            (
                "orders.manage_rates",
                _("Manage exchange rates"),
                _("Enter and delete the rates foreign-currency amounts are converted with."),
                Audience.ADMINS | Audience.MANAGERS,
            ),
        ):
            register_capability(code, label, group=group, description=description, default=default)

        register_order_verbs()
        from clientela.core.job_titles import fixed_title, named_after_file, register_job_title

        register_job_title("import_orders", named_after_file(_("Orders from %(name)s")))
        register_job_title("export_orders", fixed_title(_("Orders export")))
        register_record_type("orders.order", "orders:order_detail")

        # The orders import runs through core's import pipeline and screens.
        register_import_kind()

        # A merged contact's purchases belong to the surviving contact (and go back on undo).
        register_merge_relation("orders.Order", "contact")
