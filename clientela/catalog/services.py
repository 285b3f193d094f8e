"""The only code that writes products, their prices, photos, attributes and item statuses.

Every change writes its event on the product (the audit log and the product's history).
Inventory services (`reserve`, `sell`, `release`) are what deals (and later quotes) call: a
unique item is held by one deal at a time and can never be sold twice, whichever request
comes first. `actor=None` is the system (the demo): it skips the role checks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from clientela.accounts.models import User
from clientela.catalog.choices import AttributeType, CatalogVerb, ItemStatus, ProductKind
from clientela.catalog.models import AttributeDefinition, PriceChange, Product, ProductPhoto
from clientela.catalog.queries import (
    attribute_definitions,
    can_manage_products,
    default_tax_rate,
    products_visible_to,
)
from clientela.core.events import Via, jsonable
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.core.images import reencode
from clientela.core.numbers import fit_decimal
from clientela.orders.queries import company_currency
from clientela.timeline.services import record_event

SKU_MAX = 64
NAME_MAX = 200
DESCRIPTION_MAX = 10_000
TEXT_ATTRIBUTE_MAX = 500
LABEL_MAX = 100
CAPTION_MAX = 200
PHOTO_MAX_SIDE = 1600
THUMB_SIDE = 320
PHOTOS_MAX = 30
OPTIONS_MAX = 50
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class StaleVersion(Conflict):
    """The product changed since the caller read it; `current` is its version now."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


class HoldingRecord(Protocol):
    """The record (a deal, later a quote) that reserves or buys an item."""

    @property
    def pk(self) -> Any:
        """Return the record's id."""

    @property
    def title(self) -> str:
        """Return the record's title."""


# --- parsing -----------------------------------------------------------------------------------


def _text(value: Any, field: str, limit: int, *, required: bool = False, line: bool = True) -> str:
    raw = str(value if value is not None else "")
    text = " ".join(raw.split()) if line else raw.strip()
    if required and not text:
        raise ValidationFailed({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationFailed({field: _("Use at most %(limit)d characters.") % {"limit": limit}})
    return text


def parse_decimal(
    value: Any,
    field: str,
    *,
    max_digits: int,
    places: int,
    low: Decimal | None = None,
    high: Decimal | None = None,
) -> Decimal | None:
    """Return the number in `value` fitted to the column, None when empty; field errors else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationFailed({field: _("Enter a number.")})
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationFailed({field: _("Enter a number.")})
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationFailed(
            {field: _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}}
        )
    fitted = fit_decimal(number, max_digits=max_digits, decimal_places=places)
    if fitted is None:
        raise ValidationFailed({field: _("The number is too large.")})
    return fitted


def _price(value: Any) -> Decimal:
    price = parse_decimal(value, "unit_price", max_digits=16, places=2, low=Decimal(0), high=None)
    return price if price is not None else Decimal("0.00")


def _tax(value: Any) -> Decimal:
    tax = parse_decimal(
        value, "tax_rate", max_digits=5, places=2, low=Decimal(0), high=Decimal(100)
    )
    return tax if tax is not None else default_tax_rate()


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper() or company_currency()
    if not CURRENCY_RE.match(code):
        raise ValidationFailed({"currency": _("Enter a three-letter currency code (USD, COP…).")})
    return code


def _sku(value: Any, exclude: int | None = None) -> str:
    sku = _text(value, "sku", SKU_MAX, required=True)
    if not SKU_RE.match(sku):
        raise ValidationFailed(
            {"sku": _("Use letters, digits and . _ / - only, starting with a letter or digit.")}
        )
    clash = Product.objects.filter(sku__iexact=sku)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed({"sku": _("Another product has this SKU already.")})
    return sku


def _choice(value: Any, field: str, choices: list[str]) -> str:
    code = str(value if value is not None else "")
    if code not in choices:
        raise ValidationFailed({field: _("Select a valid choice.")})
    return code


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def attribute_field(code: str) -> str:
    """Return the form and error field name of an attribute (`attr_<code>`)."""
    return f"attr_{code}"


def _attribute_value(definition: AttributeDefinition, raw: Any) -> Any:
    field = attribute_field(definition.code)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.type
    if kind == AttributeType.TEXT:
        return _text(raw, field, TEXT_ATTRIBUTE_MAX)
    if kind == AttributeType.NUMBER:
        text = str(raw).strip()
        if isinstance(raw, bool) or not re.fullmatch(r"[+-]?\d{1,15}", text):
            raise ValidationFailed({field: _("Enter a whole number.")})
        return int(text)
    if kind == AttributeType.DECIMAL:
        number = parse_decimal(raw, field, max_digits=18, places=6)
        return None if number is None else format(number.normalize(), "f")
    if kind == AttributeType.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValidationFailed({field: _("Enter a valid date.")}) from exc
    return _choice(str(raw).strip(), field, [str(o) for o in definition.options])


def clean_attributes(
    values: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the attribute values typed as their definitions say; field errors otherwise.

    `values` maps attribute codes to raw values (empty removes one); codes not defined are
    refused. Values of attributes no longer active are kept as they were.
    """
    definitions = {d.code: d for d in attribute_definitions(active_only=False)}
    out = dict(current or {})
    errors: dict[str, list[str]] = {}
    for code, raw in values.items():
        definition = definitions.get(str(code))
        if definition is None:
            errors.setdefault("attributes", []).append(
                _("There is no attribute “%(code)s”.") % {"code": str(code)[:40]}
            )
            continue
        try:
            value = _attribute_value(definition, raw)
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(messages)
            continue
        if value is None:
            out.pop(definition.code, None)
        else:
            out[definition.code] = value
    if errors:
        raise ValidationFailed(errors)
    return out


def _coordinates(data: Mapping[str, Any], product: Product) -> None:
    errors: dict[str, list[str]] = {}
    for name, bound in (("latitude", Decimal(90)), ("longitude", Decimal(180))):
        if name not in data:
            continue
        try:
            value = parse_decimal(data[name], name, max_digits=9, places=6, low=-bound, high=bound)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        setattr(product, name, value)
    if errors:
        raise ValidationFailed(errors)
    if (product.latitude is None) != (product.longitude is None):
        missing = "longitude" if product.longitude is None else "latitude"
        raise ValidationFailed(
            {missing: _("Give both the latitude and the longitude, or neither.")}
        )


def _quantity(value: Any, field: str = "quantity_on_hand") -> Decimal | None:
    return parse_decimal(value, field, max_digits=12, places=3, low=Decimal(0))


# --- products ----------------------------------------------------------------------------------


def _check_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_products(actor):
        raise Forbidden(_("Your role cannot change products."))


def _record(verb: str, product: Product, actor: User | None, via: str, **extra: Any) -> None:
    data: dict[str, Any] = {"product_id": product.pk, "sku": product.sku, "name": product.name}
    data.update(extra)
    record_event(verb, actor=actor, target=product, via=via, data=data)


FIELDS = (
    "sku", "name", "description", "kind", "quantity_on_hand", "unit_price", "currency",
    "tax_rate", "latitude", "longitude", "attributes", "is_active",
)  # fmt: skip


def _apply(product: Product, data: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}

    def run(step: Any) -> None:
        try:
            step()
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(messages)

    def set_(name: str, parse: Any) -> None:
        if name in data:
            run(lambda: setattr(product, name, parse(data[name])))

    set_("sku", lambda v: _sku(v, exclude=product.pk))
    set_("name", lambda v: _text(v, "name", NAME_MAX, required=True))
    set_("description", lambda v: _text(v, "description", DESCRIPTION_MAX, line=False))
    if "kind" in data:
        run(lambda: setattr(product, "kind", _choice(data["kind"], "kind", ProductKind.values)))
    set_("unit_price", _price)
    set_("currency", _currency)
    set_("tax_rate", _tax)
    set_("quantity_on_hand", _quantity)
    if "is_active" in data:
        product.is_active = _flag(data["is_active"])
    run(lambda: _coordinates(data, product))
    if "attributes" in data:
        raw = data["attributes"]
        if not isinstance(raw, Mapping):
            errors.setdefault("attributes", []).append(_("Send the attributes as an object."))
        else:
            run(lambda: setattr(product, "attributes", clean_attributes(raw, product.attributes)))
    if errors:
        raise ValidationFailed(errors)
    if product.kind == ProductKind.UNIQUE:
        product.quantity_on_hand = None


@transaction.atomic
def create_product(
    *, actor: User | None, data: Mapping[str, Any], via: str = Via.UI, at: dt.datetime | None = None
) -> Product:
    """Add a product to the catalogue (catalog.manage_products).

    `data` holds the fields by name (sku and name required); the tax rate defaults to the
    configured one, the currency to the company's.
    """
    _check_manager(actor)
    now = at or timezone.now()
    product = Product(created_by=actor, created_at=now, updated_at=now)
    _apply(product, {"sku": "", "name": "", "tax_rate": None, "currency": "", **data})
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # two creations with one SKU at once: the index decides
        raise ValidationFailed({"sku": _("Another product has this SKU already.")}) from exc
    _record(
        CatalogVerb.CREATED, product, actor, via,
        unit_price=str(product.unit_price), currency=product.currency, kind=product.kind,
    )  # fmt: skip
    return product


def _locked(product: Product, expected_version: int | None) -> Product:
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            _("Someone else changed this product meanwhile. Reload it and try again."),
            locked.version,
        )
    return locked


@transaction.atomic
def update_product(
    product: Product,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Product:
    """Change the fields given; a new price or currency is a row of the price history.

    The kind of an item held by a deal cannot change. A stale `expected_version` is refused
    with StaleVersion.
    """
    _check_manager(actor)
    locked = _locked(product, expected_version)
    before = {name: jsonable(getattr(locked, name)) for name in FIELDS}
    old_price, old_currency = locked.unit_price, locked.currency
    _apply(locked, data)
    if locked.kind != before["kind"] and locked.deal_id is not None:
        raise ValidationFailed({"kind": _("The item is held by a deal: release it first.")})
    after = {name: jsonable(getattr(locked, name)) for name in FIELDS}
    changed = [name for name in FIELDS if before[name] != after[name]]
    if not changed:
        return locked
    now = at or timezone.now()
    if locked.kind == ProductKind.STOCK:
        locked.status, locked.deal_id = ItemStatus.AVAILABLE, None
    locked.version += 1
    locked.updated_at = now
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationFailed({"sku": _("Another product has this SKU already.")}) from exc
    if locked.unit_price != old_price or locked.currency != old_currency:
        PriceChange.objects.create(
            product=locked, old_price=old_price, old_currency=old_currency,
            new_price=locked.unit_price, new_currency=locked.currency, changed_at=now,
            changed_by=actor,
        )  # fmt: skip
        _record(
            CatalogVerb.PRICE_CHANGED, locked, actor, via,
            old_price=str(old_price), new_price=str(locked.unit_price),
            old_currency=old_currency, currency=locked.currency,
        )  # fmt: skip
    others = [n for n in changed if n not in {"unit_price", "currency", "is_active"}]
    if others:
        changes = {name: [before[name], after[name]] for name in others}
        _record(CatalogVerb.CHANGED, locked, actor, via, changes=changes)
    if "is_active" in changed:
        verb = CatalogVerb.RESTORED if locked.is_active else CatalogVerb.ARCHIVED
        _record(verb, locked, actor, via)
    return locked


def archive_product(
    product: Product, *, actor: User | None, active: bool = False, via: str = Via.UI
) -> Product:
    """Archive a product (no longer offered; history and deal lines keep it), or restore it."""
    return update_product(product, actor=actor, data={"is_active": active}, via=via)


# --- photos ------------------------------------------------------------------------------------


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image = opened.convert("RGB")
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


@transaction.atomic
def add_photo(
    product: Product,
    *,
    actor: User | None,
    raw: bytes,
    caption: str = "",
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> ProductPhoto:
    """Add a photo: checked to be an image, scaled to 1600 px, re-encoded without metadata."""
    _check_manager(actor)
    text = _text(caption, "caption", CAPTION_MAX)
    if product.photos.count() >= PHOTOS_MAX:
        raise ValidationFailed(
            {"photo": _("A product has at most %(count)d photos.") % {"count": PHOTOS_MAX}}
        )
    clean = reencode(raw, max_side=PHOTO_MAX_SIDE, field="photo")
    last = product.photos.order_by("-position").values_list("position", flat=True).first()
    photo = ProductPhoto.objects.create(
        product=product, data=clean.data, thumbnail=_thumbnail(clean.data),
        content_type=clean.content_type, width=clean.width, height=clean.height,
        caption=text, position=(last or 0) + 1, uploaded_by=actor,
        uploaded_at=at or timezone.now(),
    )  # fmt: skip
    _record(CatalogVerb.PHOTO_ADDED, product, actor, via, photo_id=photo.pk)
    return photo


@transaction.atomic
def remove_photo(photo: ProductPhoto, *, actor: User | None, via: str = Via.UI) -> None:
    """Remove a photo of a product."""
    _check_manager(actor)
    product = photo.product
    _record(CatalogVerb.PHOTO_REMOVED, product, actor, via, photo_id=photo.pk)
    photo.delete()


# --- attribute definitions ---------------------------------------------------------------------


def _options(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").splitlines()
    options = [_text(item, "options", LABEL_MAX) for item in items]
    options = [o for o in dict.fromkeys(options) if o]
    if len(options) > OPTIONS_MAX:
        raise ValidationFailed(
            {"options": _("Offer at most %(count)d options.") % {"count": OPTIONS_MAX}}
        )
    return options


@transaction.atomic
def save_attribute(
    definition: AttributeDefinition | None, *, actor: User | None, values: Mapping[str, Any]
) -> AttributeDefinition:
    """Define a new product attribute, or change one (its code and type stay once used)."""
    _check_manager(actor)
    errors: dict[str, list[str]] = {}
    target = definition or AttributeDefinition()
    before = {
        "code": target.code, "label_es": target.label_es, "label_en": target.label_en,
        "type": target.type, "options": list(target.options or []), "is_active": target.is_active,
    }  # fmt: skip

    def run(name: str, parse: Any) -> None:
        if name not in values:
            return
        try:
            setattr(target, name, parse(values[name]))
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)

    if definition is None:
        run("code", lambda v: _text(v, "code", 40, required=True).lower())
        if "code" not in errors and not CODE_RE.match(target.code):
            errors["code"] = [
                _("Use lowercase letters, digits and underscores, starting with a letter.")
            ]
        elif AttributeDefinition.objects.filter(code=target.code).exists():
            errors["code"] = [_("An attribute with this code exists already.")]
        run("type", lambda v: _choice(v, "type", AttributeType.values))
    run("label_es", lambda v: _text(v, "label_es", LABEL_MAX, required=True))
    run("label_en", lambda v: _text(v, "label_en", LABEL_MAX, required=True))
    run("options", _options)
    if "is_active" in values:
        target.is_active = _flag(values["is_active"])
    if not target.label_es and "label_es" not in errors:
        errors["label_es"] = [_("This field is required.")]
    if not target.label_en and "label_en" not in errors:
        errors["label_en"] = [_("This field is required.")]
    if target.type == AttributeType.CHOICE and not target.options and "options" not in errors:
        errors["options"] = [_("A choice needs at least one option, one per line.")]
    if errors:
        raise ValidationFailed(errors)
    if target.type != AttributeType.CHOICE:
        target.options = []
    if definition is None:
        last = (
            AttributeDefinition.objects.order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        target.position = (last or 0) + 1
    target.save()
    after = {key: jsonable(getattr(target, key)) for key in before}
    changes = {
        k: [jsonable(before[k]), after[k]] for k in before if jsonable(before[k]) != after[k]
    }
    record_event(
        CatalogVerb.ATTRIBUTES_CHANGED, actor=actor, target=target, via=Via.UI,
        data={"code": target.code, "action": "added" if definition is None else "changed",
              "changes": changes},
    )  # fmt: skip
    return target


# --- inventory ---------------------------------------------------------------------------------


def _visible(product: Product, actor: User | None) -> None:
    if actor is not None and not products_visible_to(actor).filter(pk=product.pk).exists():
        raise NotFound(_("Product not found."))


def _refusal(current: Product, deal: HoldingRecord) -> Conflict:
    if current.status == ItemStatus.SOLD:
        return Conflict(
            _("“%(name)s” has been sold already: it cannot be reserved or sold again.")
            % {"name": current.name}
        )
    return Conflict(
        _("“%(name)s” is reserved by another deal: release it there first.")
        % {"name": current.name}
    )


def _hold(
    product: Product,
    deal: HoldingRecord,
    actor: User | None,
    status: str,
    verb: str,
    via: str,
    at: dt.datetime | None,
) -> Product:
    """Put a unique item in `status` for `deal`, if it is free or already this deal's."""
    _visible(product, actor)
    # PostgreSQL: the row lock makes a second reservation wait for the first to commit, then
    # see it. Everywhere: the conditional UPDATE below changes the row only if it is still
    # free or this deal's, so of two reservations at once exactly one succeeds.
    current = Product.objects.select_for_update().get(pk=product.pk)
    if not current.is_unique:
        raise ValidationFailed(
            {"product": _("Only unique items are reserved and sold one by one.")}
        )
    if current.deal_id == deal.pk and current.status == status:
        return current
    if current.deal_id not in (None, deal.pk):
        raise _refusal(current, deal)
    now = at or timezone.now()
    changed = (
        Product.objects.filter(pk=product.pk, kind=ProductKind.UNIQUE)
        .filter(Q(status=ItemStatus.AVAILABLE, deal_id__isnull=True) | Q(deal_id=deal.pk))
        .update(status=status, deal_id=deal.pk, version=F("version") + 1, updated_at=now)
    )
    if not changed:
        raise _refusal(Product.objects.get(pk=product.pk), deal)
    current.refresh_from_db()
    _record(verb, current, actor, via, deal_id=deal.pk, deal=deal.title, status=status)
    return current


@transaction.atomic
def reserve(
    product: Product,
    *,
    deal: HoldingRecord,
    actor: User | None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Product:
    """Reserve a unique item for a deal; Conflict if another deal holds it or it is sold.

    Reserving an item the deal holds already changes nothing (a won deal reopened takes its
    item back from sold to reserved).
    """
    return _hold(product, deal, actor, ItemStatus.RESERVED, CatalogVerb.RESERVED, via, at)


@transaction.atomic
def sell(
    product: Product,
    *,
    deal: HoldingRecord,
    actor: User | None,
    quantity: Decimal = Decimal(1),
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Product:
    """Sell an item to a deal: a unique item becomes sold, never twice.

    A stock item's units on hand (when counted) go down by `quantity`, refused when fewer are
    left.
    """
    if product.kind == ProductKind.UNIQUE:
        return _hold(product, deal, actor, ItemStatus.SOLD, CatalogVerb.SOLD, via, at)
    _visible(product, actor)
    changed = Product.objects.filter(
        pk=product.pk, quantity_on_hand__isnull=False, quantity_on_hand__gte=quantity
    ).update(quantity_on_hand=F("quantity_on_hand") - quantity, version=F("version") + 1)
    current = Product.objects.get(pk=product.pk)
    if not changed and current.quantity_on_hand is not None:
        raise Conflict(
            _("Only %(count)s of “%(name)s” are on hand.")
            % {"count": current.quantity_on_hand.normalize(), "name": current.name}
        )
    _record(
        CatalogVerb.SOLD, current, actor, via, deal_id=deal.pk, deal=deal.title,
        quantity=str(quantity),
    )  # fmt: skip
    return current


@transaction.atomic
def release(
    product: Product,
    *,
    deal: HoldingRecord,
    actor: User | None,
    quantity: Decimal | None = None,
    via: str = Via.UI,
    at: dt.datetime | None = None,
) -> Product:
    """Give a unique item held by the deal back to the available ones.

    Nothing happens when another deal holds it; a stock item gets `quantity` units back on
    hand (a sale undone).
    """
    _visible(product, actor)
    if product.kind == ProductKind.STOCK:
        if quantity is None:
            return product
        Product.objects.filter(pk=product.pk, quantity_on_hand__isnull=False).update(
            quantity_on_hand=F("quantity_on_hand") + quantity, version=F("version") + 1
        )
        current = Product.objects.get(pk=product.pk)
        _record(
            CatalogVerb.RELEASED, current, actor, via, deal_id=deal.pk, deal=deal.title,
            quantity=str(quantity),
        )  # fmt: skip
        return current
    changed = Product.objects.filter(pk=product.pk, deal_id=deal.pk).update(
        status=ItemStatus.AVAILABLE, deal_id=None, version=F("version") + 1,
        updated_at=at or timezone.now(),
    )  # fmt: skip
    current = Product.objects.get(pk=product.pk)
    if changed:
        _record(
            CatalogVerb.RELEASED, current, actor, via, deal_id=deal.pk, deal=deal.title,
            status=ItemStatus.AVAILABLE,
        )  # fmt: skip
    return current
