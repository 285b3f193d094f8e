from datetime import time, timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "clientela.contacts"
    label = "contacts"
    verbose_name = _("Contacts and companies")

    def ready(self) -> None:
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.core.scheduling import Schedule, register

        group = _("Contacts and companies")
        editors = Audience.EVERYONE & ~Audience.VIEWERS
        for code, label, description, default in (
            (
                "contacts.write",
                _("Create and edit contacts"),
                _("Create and change contacts and companies, their tags and consents."),
                editors,
            ),
            (
                "contacts.delete",
                _("Delete contacts"),
                _("Move contacts and companies to the trash and restore them."),
                Audience.ADMINS | Audience.MANAGERS,
            ),
            (
                "contacts.merge",
                _("Merge duplicate contacts"),
                _("Merge two contacts into one, and undo a merge."),
                Audience.ADMINS | Audience.MANAGERS | Audience.SALES,
            ),
            (
                "contacts.import",
                _("Import contacts"),
                _("Create and update contacts and companies from CSV or Excel files."),
                Audience.ADMINS | Audience.MANAGERS | Audience.MARKETING,
            ),
            (
                "contacts.export",
                _("Export contacts"),
                _("Download the contacts and companies the role sees as CSV or Excel."),
                Audience.ADMINS | Audience.MANAGERS | Audience.MARKETING,
            ),
        ):
            register_capability(code, label, group=group, description=description, default=default)

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
