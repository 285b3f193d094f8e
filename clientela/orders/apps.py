from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Orders and acquisition costs")

    def ready(self) -> None:
        """Register the purchase verb, its record type, the importer and the merge relation."""
        from clientela.contacts.services import register_merge_relation
        from clientela.core.events import register_record_type
        from clientela.core.registries import Importer, register_importer
        from clientela.orders.import_command import import_orders_file
        from clientela.orders.verbs import register_order_verbs

        register_order_verbs()
        register_record_type("orders.order", "orders:order_detail")

        register_importer(Importer("orders", import_orders_file))

        # A merged contact's purchases belong to the surviving contact (and go back on undo).
        register_merge_relation("orders.Order", "contact")
