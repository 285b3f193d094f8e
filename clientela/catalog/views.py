"""Catalogue screens: the product list and its export, a product, its form, photos, attributes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.catalog import services
from clientela.catalog.forms import (
    AttributeForm,
    PhotoForm,
    ProductFilterForm,
    ProductForm,
    show_errors,
)
from clientela.catalog.models import AttributeDefinition, Product
from clientela.catalog.queries import (
    PRODUCT_ORDERINGS,
    ProductFilters,
    attribute_definitions,
    can_export_products,
    can_manage_products,
    default_tax_rate,
    filter_products,
    get_attribute,
    get_photo_for_user,
    get_product_for_user,
    holder_of,
    photos_of,
    price_history,
    product_events,
)
from clientela.core.exceptions import ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import (
    domain_errors,
    forbid_unless,
    page_number,
    paginate,
    querystring,
)
from clientela.core.users import AuthenticatedHttpRequest
from clientela.orders.queries import company_currency

LIST_CAP = 10_000
PHOTO_UPLOAD_MAX = 6 * 1024 * 1024


def _filters(request: AuthenticatedHttpRequest) -> tuple[ProductFilterForm, ProductFilters, str]:
    form = ProductFilterForm(request.GET or None)
    ordering = request.GET.get("ordering", "sku")
    if ordering not in PRODUCT_ORDERINGS:
        ordering = "sku"
    if not form.is_valid():
        return form, ProductFilters(), ordering
    data = form.cleaned_data
    active = data.get("active") or "yes"
    return (
        form,
        ProductFilters(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            active="" if active == "all" else active,
        ),
        ordering,
    )


@domain_errors
@require_GET
def product_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the catalogue with search, filters, sorting and pages."""
    user = request.user
    form, filters, ordering = _filters(request)
    qs = filter_products(user, filters).order_by(*PRODUCT_ORDERINGS[ordering])
    page = paginate(qs, page_number(request.GET), cap=LIST_CAP)
    return render(
        request,
        "catalog/product_list.html",
        {
            "page": page,
            "form": form,
            "ordering": ordering,
            "orderings": [
                ("sku", _("SKU")),
                ("name", _("Name")),
                ("-name", _("Name, Z to A")),
                ("price", _("Lowest price")),
                ("-price", _("Highest price")),
                ("-created", _("Newest first")),
            ],
            "can_manage": can_manage_products(user),
            "can_export": can_export_products(user),
            "query": querystring(request.GET, page=None)[1:],
            "prev_url": querystring(request.GET, page=page.number - 1),
            "next_url": querystring(request.GET, page=page.number + 1),
        },
    )


def _export_headers(definitions: list[AttributeDefinition]) -> list[str]:
    return [
        "id", "sku", "name", "kind", "status", "unit_price", "currency", "tax_rate",
        "quantity_on_hand", "latitude", "longitude", "active", "description",
        *[f"attr_{d.code}" for d in definitions],
    ]  # fmt: skip


def _export_rows(
    qs: QuerySet[Product], definitions: list[AttributeDefinition]
) -> Iterator[Sequence[Any]]:
    for p in qs.iterator(chunk_size=2000):
        attributes = p.attributes or {}
        yield (
            p.pk, p.sku, p.name, p.get_kind_display(),
            p.get_status_display() if p.is_unique else "", p.unit_price, p.currency, p.tax_rate,
            p.quantity_on_hand, p.latitude, p.longitude, p.is_active, p.description,
            *[attributes.get(d.code, "") for d in definitions],
        )  # fmt: skip


@domain_errors
@require_GET
def product_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Download the filtered product list as CSV or XLSX (catalog.export), audited."""
    user = request.user
    forbid_unless(can_export_products(user), _("Your role cannot export products."))
    _form, filters, ordering = _filters(request)
    qs = filter_products(user, filters).order_by(*PRODUCT_ORDERINGS[ordering])
    definitions = attribute_definitions(active_only=False)
    return export_download(
        actor=user,
        kind="products",
        fmt=fmt,
        headers=_export_headers(definitions),
        rows=_export_rows(qs, definitions),
        name="productos",
        title=_("Products"),
        count=qs.count(),
        filters={k: str(v) for k, v in request.GET.items()},
    )


def _attributes_shown(product: Product) -> list[tuple[str, Any]]:
    language = get_language() or "es"
    values = product.attributes or {}
    return [
        (d.label(language), values[d.code])
        for d in attribute_definitions(active_only=False)
        if d.code in values
    ]


@domain_errors
@require_GET
def product_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a product: facts, attributes, photos, map link, price history and its deal."""
    user = request.user
    product = get_product_for_user(user, pk)
    manager = can_manage_products(user)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "attributes": _attributes_shown(product),
            "photos": photos_of(product),
            "prices": price_history(product),
            "holder": holder_of(user, product),
            "events": product_events(product),
            "can_manage": manager,
            "photo_form": PhotoForm() if manager else None,
        },
    )


def _product_form(
    request: AuthenticatedHttpRequest, product: Product | None
) -> tuple[ProductForm, bool]:
    definitions = attribute_definitions()
    if request.method != "POST":
        if product is None:
            initial: dict[str, Any] = {
                "currency": company_currency(),
                "tax_rate": default_tax_rate(),
                "kind": "stock",
            }
        else:
            initial = {
                name: getattr(product, name)
                for name in (
                    "sku", "name", "kind", "unit_price", "currency", "tax_rate",
                    "quantity_on_hand", "latitude", "longitude", "description", "version",
                )
            }  # fmt: skip
            for d in definitions:
                initial[services.attribute_field(d.code)] = (product.attributes or {}).get(d.code)
        return ProductForm(initial=initial, definitions=definitions), False
    form = ProductForm(request.POST, definitions=definitions)
    return form, form.is_valid()


@domain_errors
@require_http_methods(["GET", "POST"])
def product_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add a product to the catalogue (catalog.manage_products)."""
    user = request.user
    forbid_unless(can_manage_products(user), _("Your role cannot change products."))
    form, valid = _product_form(request, None)
    if valid:
        try:
            product = services.create_product(actor=user, data=form.service_data())
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Product created."))
            return redirect("catalog:product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@domain_errors
@require_http_methods(["GET", "POST"])
def product_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a product (catalog.manage_products); a new price is kept in its history."""
    user = request.user
    product = get_product_for_user(user, pk, write=True)
    form, valid = _product_form(request, product)
    if valid:
        try:
            services.update_product(
                product,
                actor=user,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except services.StaleVersion as exc:
            form.add_error(None, str(exc))
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("catalog:product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@domain_errors
@require_POST
def product_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Archive a product, or restore an archived one."""
    user = request.user
    product = get_product_for_user(user, pk, write=True)
    services.archive_product(product, actor=user, active=not product.is_active)
    messages.success(
        request, _("Product restored.") if not product.is_active else _("Product archived.")
    )
    return redirect("catalog:product_detail", pk=product.pk)


@domain_errors
@require_POST
def photo_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Upload a photo of a product: checked, scaled, re-encoded without its metadata."""
    user = request.user
    product = get_product_for_user(user, pk, write=True)
    form = PhotoForm(request.POST, request.FILES)
    upload = request.FILES.get("photo") if form.is_valid() else None
    if upload is None:
        messages.error(request, _("Choose an image file."))
    elif upload.size is not None and upload.size > PHOTO_UPLOAD_MAX:
        messages.error(request, _("The image is larger than 5 MB."))
    else:
        try:
            services.add_photo(
                product, actor=user, raw=upload.read(), caption=form.cleaned_data["caption"]
            )
        except ValidationFailed as exc:
            messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
        else:
            messages.success(request, _("Photo added."))
    return redirect("catalog:product_detail", pk=product.pk)


@domain_errors
@require_POST
def photo_remove(request: AuthenticatedHttpRequest, photo_pk: int) -> HttpResponse:
    """Remove a photo of a product."""
    user = request.user
    photo = get_photo_for_user(user, photo_pk)
    product = get_product_for_user(user, photo.product_id, write=True)
    services.remove_photo(photo, actor=user)
    messages.success(request, _("Photo removed."))
    return redirect("catalog:product_detail", pk=product.pk)


def _photo_response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    # Signed-in users only: the browser may keep it, shared caches may not.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@domain_errors
@require_GET
def photo(request: AuthenticatedHttpRequest, photo_pk: int) -> HttpResponse:
    """Serve a product photo (re-encoded at upload) to a signed-in user."""
    found = get_photo_for_user(request.user, photo_pk)
    return _photo_response(bytes(found.data), found.content_type)


@domain_errors
@require_GET
def photo_thumbnail(request: AuthenticatedHttpRequest, photo_pk: int) -> HttpResponse:
    """Serve a product photo's thumbnail (JPEG) to a signed-in user."""
    found = get_photo_for_user(request.user, photo_pk)
    return _photo_response(bytes(found.thumbnail), "image/jpeg")


@domain_errors
@require_http_methods(["GET", "POST"])
def attribute_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the product attributes and define a new one (catalog.manage_products)."""
    user = request.user
    forbid_unless(can_manage_products(user), _("Your role cannot change products."))
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_attribute(
                None, actor=user, values={**form.cleaned_data, "is_active": True}
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Attribute added."))
            return redirect("catalog:attribute_list")
    language = get_language() or "es"
    rows = [(d, d.label(language)) for d in attribute_definitions(active_only=False)]
    return render(request, "catalog/attribute_list.html", {"form": form, "rows": rows})


@domain_errors
@require_http_methods(["GET", "POST"])
def attribute_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a product attribute's labels, options or whether it is offered."""
    user = request.user
    forbid_unless(can_manage_products(user), _("Your role cannot change products."))
    definition = get_attribute(pk)
    initial = {
        "label_es": definition.label_es,
        "label_en": definition.label_en,
        "options": "\n".join(str(o) for o in definition.options),
        "is_active": definition.is_active,
    }
    form = AttributeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_attribute(definition, actor=user, values=form.cleaned_data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Attribute saved."))
            return redirect("catalog:attribute_list")
    return render(request, "catalog/attribute_form.html", {"form": form, "definition": definition})
