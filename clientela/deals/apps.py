"""App configuration of clientela.deals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    """The deals app: capabilities, verbs, the nav link and the contact card's deals panel."""

    name = "clientela.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        """Register what deals offers the registries of the apps below it."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.catalog.queries import register_holder_describer
        from clientela.contacts.entities import CustomFieldEntity, register_custom_field_entity
        from clientela.contacts.panels import ContactPanel, register_contact_panel
        from clientela.contacts.services import register_merge_relation
        from clientela.core.events import register_record_type
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item
        from clientela.deals.choices import DEAL_ENTITY
        from clientela.deals.panel import contact_panel_context
        from clientela.deals.queries import can_manage_pipelines, deal_holding
        from clientela.deals.verbs import register_deal_verbs

        group = _("Sales")
        register_capability(
            "deals.write",
            _("Create, change and move deals"),
            group=group,
            description=_(
                "Create deals, change them and move them between stages, for the deals the "
                "role sees."
            ),
            default=Audience.EVERYONE & ~Audience.VIEWERS,
        )
        register_capability(
            "deals.reassign",
            _("Give deals to other people"),
            group=group,
            description=_("Create deals for other people and change the owner of a deal."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_capability(
            "deals.export",
            _("Export deals"),
            group=group,
            description=_("Download the deals list as CSV or XLSX."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_capability(
            "deals.manage_pipelines",
            _("Set up pipelines"),
            group=group,
            description=_(
                "Create, rename, reorder and archive pipelines, stages and lost reasons."
            ),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_capability(
            "deals.import",
            _("Import deals"),
            group=group,
            description=_("Create deals from CSV or Excel files."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_deal_verbs()
        from clientela.core.job_titles import named_after_file, register_job_title
        from clientela.deals.import_jobs import register_import_kind

        register_job_title("import_deals", named_after_file(_("Deals import: %(name)s")))
        # The deals import runs through core's import pipeline and screens.
        register_import_kind()
        # Administrators define custom fields on deals on the contacts app's screen.
        register_custom_field_entity(
            CustomFieldEntity(DEAL_ENTITY, _("Deal"), _("Deals"), order=30)
        )
        register_record_type("deals.deal", "deals:deal_detail")
        register_record_type("deals.pipeline", "deals:pipeline_edit")
        register_record_type("deals.lostreason")
        register_nav_item(
            NavItem(
                "deals:board",
                _("Deals"),
                "kanban",
                order=40,
                active_on=("deals:deal_list", "deals:deal_detail"),
            )
        )
        register_nav_item(
            NavItem(
                "deals:pipeline_list", _("Pipelines"), "kanban", order=42,
                section=ADMINISTRATION, allowed=can_manage_pipelines,
            )
        )  # fmt: skip
        register_contact_panel(
            ContactPanel(
                "deals", order=5, template="deals/contact_panel.html",
                context=contact_panel_context,
            )
        )  # fmt: skip
        # A catalogue item reserved or sold names its deal to those who may see the deal.
        register_holder_describer(deal_holding)
        # A merged contact's deals belong to the surviving contact (and go back on undo).
        register_merge_relation("deals.Deal", "contact")
