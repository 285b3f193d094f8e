"""Choices of the catalogue: product kinds, item statuses, attribute types and verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    """A one-of-a-kind item (a land plot) or a stock item counted in units."""

    UNIQUE = "unique", _("Unique item")
    STOCK = "stock", _("Stock item")


class ItemStatus(models.TextChoices):
    """Where a unique item is in its sale: available, reserved by a deal, or sold."""

    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved")
    SOLD = "sold", _("Sold")


class AttributeType(models.TextChoices):
    """The type of an administrator-defined product attribute."""

    TEXT = "text", _("Text")
    NUMBER = "number", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CatalogVerb(models.TextChoices):
    """Events of products (registered with their data keys in ready())."""

    CREATED = "product_created", _("product created")
    CHANGED = "product_changed", _("product changed")
    PRICE_CHANGED = "product_price_changed", _("product price changed")
    ARCHIVED = "product_archived", _("product archived")
    RESTORED = "product_restored", _("product restored")
    DELETED = "product_deleted", _("product deleted")
    RESERVED = "product_reserved", _("product reserved")
    SOLD = "product_sold", _("product sold")
    RELEASED = "product_released", _("product released")
    PHOTO_ADDED = "product_photo_added", _("product photo added")
    PHOTO_REMOVED = "product_photo_removed", _("product photo removed")
    ATTRIBUTES_CHANGED = "product_attributes_changed", _("product attributes set up")
