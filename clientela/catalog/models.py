"""Products, their price history and photos, and the attributes administrators define."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.catalog.choices import AttributeType, ItemStatus, ProductKind


class AttributeDefinition(models.Model):
    """A custom product attribute: its code, type, es/en labels and (for a choice) options."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_es = models.CharField(_("label (Spanish)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    type = models.CharField(
        _("type"), max_length=10, choices=AttributeType.choices, default=AttributeType.TEXT
    )
    options = models.JSONField(_("options"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product attribute")
        verbose_name_plural = _("product attributes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.code

    def label(self, language: str) -> str:
        """Return the label in the language given (Spanish unless it is English)."""
        return self.label_en if language.startswith("en") else self.label_es


class Product(models.Model):
    """A product or a unique item of the catalogue, with its price, tax rate and attributes.

    A unique item (a land plot) moves available → reserved → sold, held by one deal
    (`deal_id`, a plain number: deals sit above the catalogue); a stock item may count its
    units on hand.
    """

    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=6, choices=ProductKind.choices, default=ProductKind.STOCK
    )
    status = models.CharField(
        _("status"), max_length=9, choices=ItemStatus.choices, default=ItemStatus.AVAILABLE
    )
    deal_id = models.PositiveBigIntegerField(_("deal"), null=True, blank=True)
    quantity_on_hand = models.DecimalField(
        _("quantity on hand"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="COP")
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=19)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["kind", "status", "name"], name="product_kind_status_idx"),
            models.Index(fields=["is_active", "name"], name="product_active_idx"),
            models.Index(fields=["deal_id"], name="product_deal_idx"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("sku"), name="product_sku_ci_unique"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(tax_rate__gte=0) & Q(tax_rate__lte=100),
                name="product_price_tax_valid",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="product_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="product_longitude_range",
            ),
            # A unique item is held by a deal exactly when it is reserved or sold.
            models.CheckConstraint(
                condition=Q(status="available", deal_id__isnull=True)
                | Q(status__in=["reserved", "sold"], deal_id__isnull=False)
                | Q(kind="stock", status="available"),
                name="product_status_has_deal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    @property
    def is_unique(self) -> bool:
        """Whether this is a one-of-a-kind item with a sale status."""
        return self.kind == ProductKind.UNIQUE

    @property
    def map_url(self) -> str:
        """Return the OpenStreetMap address of the item's coordinates ("" without them)."""
        if self.latitude is None or self.longitude is None:
            return ""
        lat, lon = self.latitude, self.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


class PriceChange(models.Model):
    """One change of a product's unit price or currency: before, after, when and who."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_changes")
    old_price = models.DecimalField(_("old price"), max_digits=16, decimal_places=2)
    old_currency = models.CharField(_("old currency"), max_length=3)
    new_price = models.DecimalField(_("new price"), max_digits=16, decimal_places=2)
    new_currency = models.CharField(_("new currency"), max_length=3)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["product", "-changed_at", "-id"]
        indexes = [models.Index(fields=["product", "-changed_at"], name="pricechange_product_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.old_price} → {self.new_price}"


class ProductPhoto(models.Model):
    """A photo of a product, re-encoded (no metadata) at most 1600 px, with its thumbnail."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    data = models.BinaryField()
    thumbnail = models.BinaryField()
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")
        ordering = ["product", "position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.pk}"
