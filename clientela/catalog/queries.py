"""Reads of the catalogue; every list, detail, photo, export, API and job uses these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.catalog.choices import ItemStatus, ProductKind
from clientela.catalog.models import AttributeDefinition, PriceChange, Product, ProductPhoto
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import bounded_int

# ISO 4217 minor units of the currencies whose amounts do not have two decimals.
CURRENCY_DECIMALS = {"CLP": 0, "JPY": 0, "KRW": 0, "PYG": 0, "ISK": 0, "BHD": 3, "KWD": 3}


def currency_decimals(currency: str) -> int:
    """Return how many decimals an amount in `currency` has (two unless ISO says otherwise)."""
    return CURRENCY_DECIMALS.get(currency.upper(), 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round an amount half up to the currency's decimals (kept as a two-place Decimal)."""
    step = Decimal(1).scaleb(-currency_decimals(currency))
    return amount.quantize(step, ROUND_HALF_UP).quantize(Decimal("0.01"))


def default_tax_rate() -> Decimal:
    """Return the tax rate a new product gets (settings.CLIENTELA["DEFAULT_TAX_RATE"], 19 %)."""
    return Decimal(str(settings.CLIENTELA.get("DEFAULT_TAX_RATE", "19")))


def can_manage_products(user: User | AnonymousUser | None) -> bool:
    """Whether the role creates, changes and archives products (catalog.manage_products)."""
    return has_capability(user, "catalog.manage_products")


def can_export_products(user: User | AnonymousUser | None) -> bool:
    """Whether the role downloads the product list (catalog.export)."""
    return has_capability(user, "catalog.export")


def products_visible_to(user: User | AnonymousUser | None) -> QuerySet[Product]:
    """Return the products the user may see: the whole catalogue for anyone signed in."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Product.objects.none()
    return Product.objects.all()


def get_product_for_user(user: User, product_id: object, *, write: bool = False) -> Product:
    """Return one product the user may see (or change); NotFound / Forbidden otherwise."""
    pk = bounded_int(product_id, minimum=1)
    product = products_visible_to(user).filter(pk=pk).first() if pk else None
    if product is None:
        raise NotFound(_("Product not found."))
    if write and not can_manage_products(user):
        raise Forbidden(_("Your role cannot change products."))
    return product


def get_photo_for_user(user: User, photo_id: object) -> ProductPhoto:
    """Return one photo of a product the user may see; NotFound otherwise."""
    pk = bounded_int(photo_id, minimum=1)
    visible = products_visible_to(user).values("pk")
    photo = ProductPhoto.objects.filter(pk=pk, product__in=visible).first() if pk else None
    if photo is None:
        raise NotFound(_("Photo not found."))
    return photo


@dataclass(frozen=True)
class ProductFilters:
    """What the product list is narrowed to."""

    q: str = ""
    kind: str = ""
    status: str = ""
    active: str = "yes"  # "yes", "no" or "" (both)

    def active_filters(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.q or self.kind or self.status or self.active != "yes")


PRODUCT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "sku": ("sku", "id"),
    "price": ("unit_price", "id"),
    "-price": ("-unit_price", "-id"),
    "-created": ("-created_at", "-id"),
}


def filter_products(user: User, filters: ProductFilters) -> QuerySet[Product]:
    """Return the visible products matching the filters (no ordering applied)."""
    qs = products_visible_to(user)
    if filters.q:
        for word in filters.q.split()[:5]:
            qs = qs.filter(
                Q(name__icontains=word) | Q(sku__icontains=word) | Q(description__icontains=word)
            )
    if filters.kind in ProductKind.values:
        qs = qs.filter(kind=filters.kind)
    if filters.status in ItemStatus.values:
        qs = qs.filter(kind=ProductKind.UNIQUE, status=filters.status)
    if filters.active == "yes":
        qs = qs.filter(is_active=True)
    elif filters.active == "no":
        qs = qs.filter(is_active=False)
    return qs


def attribute_definitions(*, active_only: bool = True) -> list[AttributeDefinition]:
    """Return the product attributes administrators defined, in their order."""
    qs = AttributeDefinition.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("position", "id"))


def price_history(product: Product, limit: int = 50) -> list[PriceChange]:
    """Return the product's latest price changes, newest first, with who made them."""
    return list(
        product.price_changes.select_related("changed_by").order_by("-changed_at", "-id")[:limit]
    )


def photos_of(product: Product) -> list[ProductPhoto]:
    """Return the product's photos in order, without their bytes."""
    return list(product.photos.defer("data", "thumbnail").order_by("position", "id"))


@dataclass(frozen=True)
class Holder:
    """The record a unique item is reserved by or sold to, as the reader may see it."""

    label: str
    url: str


# Apps above the catalogue (deals) describe the record holding an item, for one reader:
# a function returning None when the reader may not see it.
_HOLDER_DESCRIBERS: list[Callable[[User, Product], Holder | None]] = []


def register_holder_describer(describer: Callable[[User, Product], Holder | None]) -> None:
    """Let a higher app say which of its records holds an item (from its ready())."""
    if describer not in _HOLDER_DESCRIBERS:
        _HOLDER_DESCRIBERS.append(describer)


def holder_of(user: User, product: Product) -> Holder | None:
    """Return the record holding a reserved or sold item, if the user may see it."""
    if product.deal_id is None:
        return None
    for describe in _HOLDER_DESCRIBERS:
        found = describe(user, product)
        if found is not None:
            return found
    return None


def get_attribute(pk: object) -> AttributeDefinition:
    """Return one attribute definition; NotFound otherwise."""
    number = bounded_int(pk, minimum=1)
    found = AttributeDefinition.objects.filter(pk=number).first() if number else None
    if found is None:
        raise NotFound(_("Attribute not found."))
    return found


def _amount(raw: Any) -> str:
    """Return a stored amount ("42000.00") grouped in the reader's format."""
    from django.utils import formats

    try:
        number = Decimal(str(raw))
    except (ArithmeticError, ValueError):
        return str(raw or "")
    return formats.number_format(number, 2, use_l10n=True, force_grouping=True)


@dataclass(frozen=True)
class HistoryLine:
    """One event of a product's history, as its detail page lists it."""

    at: Any
    verb: str
    label: str
    actor: str
    status: str
    note: str


def product_events(product: Product, limit: int = 50) -> list[HistoryLine]:
    """Return the product's latest events (reservations, sales, prices…), newest first.

    Deal titles stored with the events are not shown: the product's detail names the deal
    holding it only to readers who may see that deal.
    """
    from clientela.core.events import verb_label
    from clientela.timeline.models import Event

    statuses = dict(ItemStatus.choices)
    events = (
        Event.objects.filter(target_type="catalog.product", target_id=str(product.pk))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    lines = []
    for event in events:
        data = event.data or {}
        actor = event.actor
        name = (actor.get_full_name() or actor.username) if actor else _("Clientela")
        note = ""
        if "new_price" in data:
            before = f"{_amount(data.get('old_price'))} {data.get('old_currency', '')}"
            note = f"{before} → {_amount(data.get('new_price'))} {data.get('currency', '')}"
        elif "quantity" in data:
            note = _("Quantity: %(n)s") % {"n": data["quantity"]}
        lines.append(
            HistoryLine(
                event.created_at, event.verb, verb_label(event.verb), name,
                str(statuses.get(data.get("status", ""), "")), note,
            )
        )  # fmt: skip
    return lines
