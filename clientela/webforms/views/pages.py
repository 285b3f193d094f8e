"""Landing pages: the public page at /p/<slug>, its images, and the editor (form managers).

Adapters only: writes go through webforms.services.pages (which checks `webforms.manage`).
The public page renders stored, already-cleaned blocks; text blocks are sanitised once more
on the way out, and a form block renders the same form partial as the hosted form.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, forbid_unless
from clientela.core.users import AuthenticatedHttpRequest
from clientela.tracking.queries import site_for_origin
from clientela.webforms.choices import FormStatus
from clientela.webforms.forms import BlockForm, PageSettingsForm
from clientela.webforms.models import Form, LandingPage, PageImage
from clientela.webforms.pages import KINDS, in_language, sanitise
from clientela.webforms.queries import may_manage_forms
from clientela.webforms.services import pages as services
from clientela.webforms.views.public import PUBLIC_CSP, form_context, visitor_language

BLOCK_LABELS = {
    "heading": gettext_lazy("Heading"), "text": gettext_lazy("Text"),
    "image": gettext_lazy("Image"), "form": gettext_lazy("Form"),
    "button": gettext_lazy("Button"), "video": gettext_lazy("Video link"),
}  # fmt: skip


def rendered_blocks(request: HttpRequest, page: LandingPage, language: str) -> list[dict[str, Any]]:
    """Return the page's blocks ready for the template, in `language`."""
    forms = {f.public_id: f for f in Form.objects.filter(
        public_id__in=[b.get("form") for b in page.blocks if b.get("type") == "form"]
    )}  # fmt: skip
    tokens = [b.get("image") for b in page.blocks if b.get("type") == "image"]
    extensions = dict(PageImage.objects.filter(token__in=tokens).values_list("token", "extension"))
    out: list[dict[str, Any]] = []
    for block in page.blocks:
        kind = block.get("type")
        item: dict[str, Any] = {"type": kind}
        if kind == "heading":
            item |= {"text": in_language(block, "text", language), "level": block.get("level", 2)}
        elif kind == "text":
            item["html"] = mark_safe(sanitise(in_language(block, "html", language)))  # noqa: S308
        elif kind == "image":
            token = str(block.get("image", ""))
            if token not in extensions:
                continue
            item |= {"token": token, "extension": extensions[token],
                     "alt": in_language(block, "alt", language)}  # fmt: skip
        elif kind == "form":
            form = forms.get(str(block.get("form")))
            if form is None or not form.is_published:
                continue
            html = render_to_string(
                "webforms/_form.html", form_context(request, form), request=request
            )
            item |= {"form": form, "html": mark_safe(html)}  # noqa: S308 - our own template
        elif kind == "button":
            item |= {"label": in_language(block, "label", language), "url": block.get("url", "")}
        elif kind == "video":
            item |= {"url": block.get("url", ""),
                     "caption": in_language(block, "caption", language)}  # fmt: skip
        else:
            continue
        out.append(item)
    return out


def _page_response(request: HttpRequest, page: LandingPage, *, preview: bool) -> HttpResponse:
    language = visitor_language(request, None) if request.GET.get("lang") else page.language
    with translation.override(language):
        context = {
            "page": page,
            "title": in_language({"t_es": page.title_es, "t_en": page.title_en}, "t", language),
            "description": in_language(
                {"d_es": page.description_es, "d_en": page.description_en}, "d", language
            ),
            "blocks": rendered_blocks(request, page, language),
            "preview": preview,
            # Page views and CTA clicks are tracked like the company's own site when a tracked
            # site lists Clientela's address (never in the editor's preview).
            "tracking_site": None
            if preview
            else site_for_origin(request.build_absolute_uri("/").rstrip("/")),
        }
        response = HttpResponse(render_to_string("webforms/landing_page.html", context, request))
    response["Content-Language"] = language
    response["Content-Security-Policy"] = PUBLIC_CSP.format(ancestors="'none'")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def landing_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a published landing page to anyone and count the view."""
    page = LandingPage.objects.filter(slug=slug[:80], status=FormStatus.PUBLISHED).first()
    if page is None:
        raise Http404
    services.count_view(page)
    return _page_response(request, page, preview=False)


@require_GET
def page_image(request: HttpRequest, token: str, extension: str) -> HttpResponse:
    """Serve an uploaded page image (re-encoded at upload; immutable, cached for a year)."""
    image = PageImage.objects.filter(token=token[:32], extension=extension[:4]).first()
    if image is None:
        raise Http404
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The editor -----------------------------------------------------------------------------


def _require(request: AuthenticatedHttpRequest) -> None:
    forbid_unless(may_manage_forms(request.user), _("Your role cannot manage web forms."))


def _errors_onto(form: django_forms.Form, errors: dict[str, list[str]]) -> None:
    for key, problems in errors.items():
        name = key.rsplit(".", 1)[-1]
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


@require_GET
@domain_errors
def page_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the landing pages with their status and views."""
    _require(request)
    pages = list(LandingPage.objects.order_by("slug"))
    return render(request, "webforms/page_list.html", {"pages": pages})


@require_http_methods(["GET", "POST"])
@domain_errors
def page_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a draft landing page."""
    _require(request)
    form = PageSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            page = services.create_page(actor=request.user, data=form.cleaned_data)
        except ValidationFailed as error:
            _errors_onto(form, error.errors)
        else:
            return redirect("webforms:page_edit", pk=page.pk)
    return render(request, "webforms/page_settings.html", {"form": form, "page": None})


@require_http_methods(["GET", "POST"])
@domain_errors
def page_settings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a page's address, titles and language."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    initial = {k: getattr(page, k) for k in PageSettingsForm.base_fields}
    form = PageSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_page(page, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as error:
            _errors_onto(form, error.errors)
        else:
            messages.success(request, _("Page saved."))
            return redirect("webforms:page_edit", pk=page.pk)
    return render(request, "webforms/page_settings.html", {"form": form, "page": page})


def _block_forms(page: LandingPage) -> list[tuple[int, dict[str, Any], BlockForm]]:
    return [
        (index, block, BlockForm(kind=block["type"], initial=block, prefix=f"b{index}"))
        for index, block in enumerate(page.blocks)
    ]


@require_GET
@domain_errors
def page_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the page's blocks, each with its own small form, and the tools around them."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    context = {
        "page": page,
        "blocks": _block_forms(page),
        "kinds": [(kind, BLOCK_LABELS[kind]) for kind in KINDS],
        "labels": BLOCK_LABELS,
        "images": list(PageImage.objects.defer("data")[:50]),
        "public_url": request.build_absolute_uri(f"/p/{page.slug}"),
    }
    return render(request, "webforms/page_edit.html", context)


@require_POST
@domain_errors
def block_save(request: AuthenticatedHttpRequest, pk: int, index: int) -> HttpResponse:
    """Save one block's edit."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    if not 0 <= index < len(page.blocks):
        raise Http404
    form = BlockForm(request.POST, kind=page.blocks[index]["type"], prefix=f"b{index}")
    if form.is_valid():
        try:
            services.replace_block(page, actor=request.user, index=index, block=form.cleaned_data)
        except ValidationFailed as error:
            for key, problems in error.errors.items():
                messages.error(request, f"{key.rsplit('.', 1)[-1]}: {' '.join(problems)}")
        else:
            messages.success(request, _("Block saved."))
    else:
        for field, field_errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in field_errors)}")
    return redirect(f"{request.path.rsplit('/blocks/', 1)[0]}/#block-{index}")


@require_POST
@domain_errors
def block_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Append a block of the chosen kind."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    try:
        page = services.add_block(page, actor=request.user, kind=str(request.POST.get("kind")))
    except ValidationFailed as error:
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
    return redirect("webforms:page_edit", pk=page.pk)


@require_POST
@domain_errors
def block_move(request: AuthenticatedHttpRequest, pk: int, index: int) -> HttpResponse:
    """Move a block up or down; or remove it."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.remove_block(page, actor=request.user, index=index)
        else:
            offset = -1 if action == "up" else 1
            services.move_block(page, actor=request.user, index=index, offset=offset)
    except ValidationFailed as error:  # the block is gone (another tab removed it)
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
    return redirect("webforms:page_edit", pk=page.pk)


@require_POST
@domain_errors
def page_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Publish or unpublish a page."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    try:
        services.set_page_status(page, actor=request.user, status=str(request.POST.get("status")))
    except ValidationFailed as error:  # a status the buttons never send
        messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
    return redirect("webforms:page_edit", pk=page.pk)


@require_POST
@domain_errors
def page_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a page."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    services.delete_page(page, actor=request.user)
    messages.success(request, _("Page deleted."))
    return redirect("webforms:pages")


@require_POST
@domain_errors
def image_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Upload an image for the page's image blocks."""
    _require(request)
    page = get_object_or_404(LandingPage, pk=pk)
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, _("Choose an image file."))
    elif upload.size is not None and upload.size > 6 * 1024 * 1024:
        messages.error(request, _("The image is larger than 5 MB."))
    else:
        try:
            services.upload_image(actor=request.user, raw=upload.read(), name=upload.name or "")
        except ValidationFailed as error:
            messages.error(request, " ".join(p for ps in error.errors.values() for p in ps))
        else:
            messages.success(request, _("Image uploaded: add an image block to use it."))
    return redirect("webforms:page_edit", pk=page.pk)


@require_GET
@domain_errors
def page_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show the page as visitors will see it (drafts too), without counting a view."""
    _require(request)
    return _page_response(request, get_object_or_404(LandingPage, pk=pk), preview=True)
