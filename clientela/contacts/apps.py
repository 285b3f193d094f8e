"""App configuration of clientela.contacts."""

from datetime import time, timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    """The contacts app: capabilities, verbs, screens and import kinds, wired in ready()."""

    name = "clientela.contacts"
    label = "contacts"
    verbose_name = _("Contacts and companies")

    def ready(self) -> None:
        """Register what contacts offers the registries.

        Capabilities, verbs, record types, the audit scope, schedules, screens and the import
        kinds.
        """
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.contacts.importing.kinds import register_import_kinds
        from clientela.contacts.queries import events_in_scope
        from clientela.contacts.views.timeline import register_contact_verbs
        from clientela.core.events import register_record_type
        from clientela.core.scheduling import Schedule, register
        from clientela.timeline.queries import register_audit_scope

        register_contact_verbs()
        from clientela.contacts.entities import CustomFieldEntity, register_custom_field_entity

        register_custom_field_entity(
            CustomFieldEntity("contact", _("Contact"), _("Contacts"), order=10)
        )
        register_custom_field_entity(
            CustomFieldEntity("company", _("Company"), _("Companies"), order=20)
        )
        from clientela.core.job_titles import fixed_title, named_after_file, register_job_title

        register_job_title("import_contacts", named_after_file(_("Contacts import: %(name)s")))
        register_job_title("import_companies", named_after_file(_("Companies import: %(name)s")))
        register_job_title("export_contacts", fixed_title(_("Contacts export")))
        register_job_title("export_companies", fixed_title(_("Companies export")))
        register_record_type("contacts.contact", "contacts:contact_detail")
        register_record_type("contacts.company", "contacts:company_detail")
        register_record_type("contacts.customfield")
        register_record_type("contacts.tag")
        register_audit_scope(events_in_scope)
        self._register_screens()

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

    @staticmethod
    def _register_screens() -> None:
        from clientela.contacts.queries import may_import
        from clientela.contacts.views.custom_fields import may_define_fields
        from clientela.contacts.views.start import start_panel_context
        from clientela.core.registries import (
            ADMINISTRATION,
            NavItem,
            QuickLink,
            StartPanel,
            register_nav_item,
            register_quick_link,
            register_start_panel,
        )

        register_nav_item(NavItem("contacts:contact_list", _("Contacts"), "users", order=10))
        register_nav_item(NavItem("contacts:company_list", _("Companies"), "building", order=20))
        register_nav_item(
            NavItem(
                "contacts:custom_field_list",
                _("Custom fields"),
                "fields",
                order=40,
                section=ADMINISTRATION,
                allowed=may_define_fields,
                active_on=("contacts:custom_field_create", "contacts:custom_field_edit"),
            )
        )
        register_start_panel(
            StartPanel(
                "contacts.mine",
                order=10,
                template="contacts/start_panel.html",
                context=start_panel_context,
            )
        )
        for link in (
            QuickLink("contacts:contact_create", _("New contact"), order=10),
            QuickLink("contacts:company_list", _("Companies"), order=30),
            QuickLink("contacts:import_start", _("Import contacts"), order=40, allowed=may_import),
        ):
            register_quick_link(link)
