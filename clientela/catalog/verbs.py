"""How product events read in the audit log and on a product's history (from ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from clientela.catalog.choices import CatalogVerb, ItemStatus, ProductKind
from clientela.core.events import HIDDEN, DataKey, DataKind, register_data_keys, register_verbs


def register_catalog_verbs() -> None:
    """Register the verbs of the catalogue and how their data reads."""
    register_verbs(CatalogVerb)
    register_data_keys(
        {
            "product_id": HIDDEN,
            "deal_id": HIDDEN,
            "photo_id": HIDDEN,
            "sku": DataKey(gettext_lazy("SKU")),
            "name": DataKey(gettext_lazy("Name")),
            "code": DataKey(gettext_lazy("Code")),
            "action": DataKey(gettext_lazy("Action")),
            "deal": DataKey(gettext_lazy("Deal")),
            "quantity": DataKey(gettext_lazy("Quantity")),
            "unit_price": DataKey(gettext_lazy("Unit price")),
            "old_price": DataKey(gettext_lazy("Old price")),
            "new_price": DataKey(gettext_lazy("New price")),
            "old_currency": DataKey(gettext_lazy("Old currency")),
            "currency": DataKey(gettext_lazy("Currency")),
            "kind": DataKey(gettext_lazy("Kind"), DataKind.CHOICE, dict(ProductKind.choices)),
            "status": DataKey(gettext_lazy("Status"), DataKind.CHOICE, dict(ItemStatus.choices)),
        },
        verbs=[str(verb) for verb in CatalogVerb],
    )
