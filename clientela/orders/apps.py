from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Orders and acquisition costs")

    def ready(self) -> None:
        from clientela.contacts.services import register_merge_relation
        from clientela.core.scheduling import Schedule, register
        from clientela.orders.import_jobs import register_import_kind

        # The orders import runs through core's import pipeline and screens.
        register_import_kind()

        # A merged contact's purchases belong to the surviving contact (and go back on undo).
        register_merge_relation("orders.Order", "contact")

        # The nightly customer-value snapshot (RFM, CLV, inactivity) reads orders, so it is
        # registered by the app that owns them.
        register(
            Schedule(
                "analytics.customer_value_snapshot",
                "clientela.analytics.tasks.nightly_customer_value_snapshot",
                daily_at=time(2, 30),
            )
        )
