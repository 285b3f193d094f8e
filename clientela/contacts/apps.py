from datetime import time, timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "clientela.contacts"
    label = "contacts"
    verbose_name = _("Contacts and companies")

    def ready(self) -> None:
        from clientela.contacts.importing.kinds import register_import_kinds
        from clientela.core.scheduling import Schedule, register

        # The contacts and companies imports run through core's import pipeline and screens.
        register_import_kinds()

        # Duplicate groups: catch up with recent changes often, rebuild from scratch nightly
        # (covers anything written around the services, e.g. raw SQL in a migration).
        register(
            Schedule(
                "contacts.duplicates_catch_up",
                "clientela.contacts.duplicates.catch_up_duplicates",
                every=timedelta(minutes=5),
            )
        )
        register(
            Schedule(
                "contacts.duplicates_refresh",
                "clientela.contacts.duplicates.refresh_duplicate_groups",
                daily_at=time(4, 0),
            )
        )
