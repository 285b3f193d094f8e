"""App configuration of clientela.catalog."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    """The catalogue: its capabilities, verbs, record types and the sidebar link."""

    name = "clientela.catalog"
    label = "catalog"
    verbose_name = _("Products")

    def ready(self) -> None:
        """Register what the catalogue offers the registries of the apps below it."""
        from clientela.accounts.capabilities import Audience, register_capability
        from clientela.catalog.queries import can_manage_products
        from clientela.catalog.verbs import register_catalog_verbs
        from clientela.core.events import register_record_type
        from clientela.core.registries import ADMINISTRATION, NavItem, register_nav_item

        group = _("Sales")
        register_capability(
            "catalog.manage_products",
            _("Manage products"),
            group=group,
            description=_(
                "Create and change products, their prices and photos, archive them, and set up "
                "the product attributes."
            ),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_capability(
            "catalog.export",
            _("Export products"),
            group=group,
            description=_("Download the product list as CSV or XLSX."),
            default=Audience.ADMINS | Audience.MANAGERS,
        )
        register_catalog_verbs()
        register_record_type("catalog.product", "catalog:product_detail")
        register_record_type("catalog.attributedefinition", "catalog:attribute_list")
        register_nav_item(
            NavItem(
                "catalog:product_list",
                _("Products"),
                "box",
                order=45,
                active_on=("catalog:product_detail", "catalog:product_edit",
                           "catalog:product_create"),
            )
        )  # fmt: skip
        register_nav_item(
            NavItem(
                "catalog:attribute_list", _("Product attributes"), "box", order=47,
                section=ADMINISTRATION, allowed=can_manage_products,
            )
        )  # fmt: skip
