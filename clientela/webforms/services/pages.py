"""Landing pages: settings, blocks, publishing, images, and counting views.

Blocks are cleaned (`webforms.pages.clean_blocks`, nh3 for author HTML) every time they are
stored, so what a visitor's browser gets was never raw author input; a form block must name
one of our forms, an image block one of our uploaded images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.images import reencode
from clientela.webforms.choices import FormStatus, PageVerb
from clientela.webforms.models import Form, LandingPage, PageImage
from clientela.webforms.pages import KINDS, clean_blocks
from clientela.webforms.services.building import require_manager

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Addresses under /p/ that routes of their own use.
RESERVED_SLUGS = frozenset({"img", "static", "admin", "api"})


def _settings(data: Mapping[str, Any], page: LandingPage | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    slug = str(data.get("slug") or "").strip().lower()
    if not SLUG.match(slug) or len(slug) > 80 or slug in RESERVED_SLUGS:
        errors["slug"] = [
            _("Use lower-case letters, digits and dashes, e.g. webinar-vivienda-2026.")
        ]
    elif LandingPage.objects.filter(slug=slug).exclude(pk=page.pk if page else 0).exists():
        errors["slug"] = [_("Another page already has this address.")]
    values["slug"] = slug
    for key, limit in (("title_es", 200), ("title_en", 200), ("description_es", 300),
                       ("description_en", 300)):  # fmt: skip
        text = str(data.get(key) or "").strip()
        if len(text) > limit:
            errors[key] = [_("Use at most %(n)s characters.") % {"n": limit}]
        values[key] = text
    if not values["title_es"] and not values["title_en"]:
        errors["title_es"] = [_("Give the page a title in Spanish, English or both.")]
    language = str(data.get("language") or "es")
    values["language"] = language if language in {"es", "en"} else "es"
    if errors:
        raise ValidationFailed(errors)
    return values


def _check_references(blocks: list[dict[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    forms = {b["form"] for b in blocks if b["type"] == "form"}
    images = {b["image"] for b in blocks if b["type"] == "image"}
    known_forms = set(Form.objects.filter(public_id__in=forms).values_list("public_id", flat=True))
    known_images = set(PageImage.objects.filter(token__in=images).values_list("token", flat=True))
    for index, block in enumerate(blocks):
        if block["type"] == "form" and block["form"] not in known_forms:
            errors[f"blocks.{index}.form"] = [_("Choose a form.")]
        if block["type"] == "image" and block["image"] not in known_images:
            errors[f"blocks.{index}.image"] = [_("Choose an uploaded image.")]
    if errors:
        raise ValidationFailed(errors)


@contextmanager
def _all_errors(errors: dict[str, list[str]] | None = None) -> Iterator[dict[str, list[str]]]:
    """Collect a check's field errors into `errors`, so one answer lists every bad field."""
    found = {} if errors is None else errors
    try:
        yield found
    except ValidationFailed as exc:
        for key, messages in exc.errors.items():
            found.setdefault(key, []).extend(messages)


SETTINGS = ("slug", "title_es", "title_en", "description_es", "description_en", "language")


def _blocks(raw: Any) -> list[dict[str, Any]]:
    """Return blocks cleaned (nh3 for author HTML) whose forms and images exist."""
    blocks = clean_blocks(raw)
    _check_references(blocks)
    return blocks


def create_page(*, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> LandingPage:
    """Create a draft page with the blocks given, else a heading block from its title."""
    require_manager(actor)
    with _all_errors() as errors:
        values = _settings(data, None)
    with _all_errors(errors):
        blocks = _blocks(data["blocks"]) if "blocks" in data else []
    if errors:
        raise ValidationFailed(errors)
    if "blocks" not in data:
        blocks = [{"type": "heading", "level": 1, "text_es": values["title_es"],
                   "text_en": values["title_en"]}]  # fmt: skip
    with transaction.atomic():
        page = LandingPage.objects.create(created_by=actor, blocks=blocks, **values)
        record_event(PageVerb.SAVED, actor=actor, target=page, via=via, data={"slug": page.slug})
    return page


def update_page(
    page: LandingPage,
    *,
    actor: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    via: str = Via.UI,
) -> LandingPage:
    """Change a page's settings, its blocks and/or its status; Conflict when stale.

    Only the keys in `data` change: settings not given keep their stored values, `blocks`
    replaces every block, `status` publishes the page or takes it back to draft.
    """
    require_manager(actor)
    status = data.get("status")
    errors: dict[str, list[str]] = {}
    if "status" in data and status not in (FormStatus.PUBLISHED, FormStatus.DRAFT):
        errors["status"] = [_("Choose published or draft.")]
    with transaction.atomic():
        locked = LandingPage.objects.select_for_update().get(pk=page.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(_("Someone changed this page meanwhile. Reload it and try again."))
        values: dict[str, Any] = {}
        with _all_errors(errors):
            if any(key in data for key in SETTINGS):
                merged = {key: data.get(key, getattr(locked, key)) for key in SETTINGS}
                values = _settings(merged, locked)
        with _all_errors(errors):
            if "blocks" in data:
                values["blocks"] = _blocks(data["blocks"])
        if errors:
            raise ValidationFailed(errors)
        for key, value in values.items():
            setattr(locked, key, value)
        changed_status = "status" in data and locked.status != status
        if changed_status:
            locked.status = str(status)
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        record_event(PageVerb.SAVED, actor=actor, target=locked, via=via,
                     data={"slug": locked.slug})  # fmt: skip
        if changed_status:
            _record_status(locked, actor=actor, via=via)
    return locked


def add_block(page: LandingPage, *, actor: User, kind: str) -> LandingPage:
    """Append an empty block of `kind` for the author to fill in."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": [_("Choose a kind of block.")]})
    starter: dict[str, Any] = {"type": kind}
    if kind == "heading":
        starter |= {"level": 2, "text_es": _("New heading")}
    elif kind == "text":
        starter |= {"html_es": ""}
    elif kind == "button":
        starter |= {"label_es": _("Sign up"), "url": "#formulario"}
    elif kind == "form":
        first = Form.objects.filter(status=FormStatus.PUBLISHED).order_by("name").first()
        if first is None:
            raise ValidationFailed({"kind": [_("Publish a form first, then add it here.")]})
        starter |= {"form": first.public_id}
    elif kind == "image":
        image = PageImage.objects.order_by("-uploaded_at").first()
        if image is None:
            raise ValidationFailed({"kind": [_("Upload an image first, then add it here.")]})
        starter |= {"image": image.token}
    else:
        starter |= {"url": "https://www.youtube.com/"}
    return update_page(page, actor=actor, data={"blocks": [*page.blocks, starter]})


def move_block(page: LandingPage, *, actor: User, index: int, offset: int) -> LandingPage:
    """Move a block up (-1) or down (+1)."""
    blocks = list(page.blocks)
    if not 0 <= index < len(blocks):
        raise ValidationFailed({"index": [_("That block no longer exists.")]})
    target = max(0, min(len(blocks) - 1, index + offset))
    blocks.insert(target, blocks.pop(index))
    return update_page(page, actor=actor, data={"blocks": blocks})


def remove_block(page: LandingPage, *, actor: User, index: int) -> LandingPage:
    """Remove one block."""
    blocks = list(page.blocks)
    if not 0 <= index < len(blocks):
        raise ValidationFailed({"index": [_("That block no longer exists.")]})
    blocks.pop(index)
    return update_page(page, actor=actor, data={"blocks": blocks})


def replace_block(
    page: LandingPage, *, actor: User, index: int, block: Mapping[str, Any]
) -> LandingPage:
    """Replace one block with the author's edit (cleaned like every block)."""
    blocks = list(page.blocks)
    if not 0 <= index < len(blocks):
        raise ValidationFailed({"index": [_("That block no longer exists.")]})
    blocks[index] = {**dict(block), "type": blocks[index]["type"]}
    return update_page(page, actor=actor, data={"blocks": blocks})


def _record_status(page: LandingPage, *, actor: User, via: str) -> None:
    data = {"slug": page.slug}
    if page.status == FormStatus.PUBLISHED:
        record_event(PageVerb.PUBLISHED, actor=actor, target=page, via=via, data=data)
    else:
        record_event(PageVerb.UNPUBLISHED, actor=actor, target=page, via=via, data=data)


def set_page_status(page: LandingPage, *, actor: User, status: str, via: str = Via.UI) -> None:
    """Publish or unpublish a page."""
    require_manager(actor)
    if status not in (FormStatus.PUBLISHED, FormStatus.DRAFT):
        raise ValidationFailed({"status": [_("Choose published or draft.")]})
    with transaction.atomic():
        LandingPage.objects.filter(pk=page.pk).update(status=status, updated_at=timezone.now())
        page.status = status
        _record_status(page, actor=actor, via=via)


def delete_page(page: LandingPage, *, actor: User, via: str = Via.UI) -> None:
    """Delete a page; its address stops answering."""
    require_manager(actor)
    with transaction.atomic():
        record_event(PageVerb.DELETED, actor=actor, target=page, via=via, data={"slug": page.slug})
        page.delete()


def upload_image(*, actor: User, raw: bytes, name: str, via: str = Via.UI) -> PageImage:
    """Store an uploaded image re-encoded (ValidationFailed says what is wrong with it)."""
    require_manager(actor)
    clean = reencode(raw)
    with transaction.atomic():
        image = PageImage.objects.create(
            name=name[:200],
            data=clean.data,
            extension=clean.extension,
            content_type=clean.content_type,
            width=clean.width,
            height=clean.height,
            uploaded_by=actor,
        )
        record_event(PageVerb.IMAGE_UPLOADED, actor=actor, target=image, via=via,
                     data={"name": image.name})  # fmt: skip
    return image


def count_view(page: LandingPage) -> None:
    """Count one visitor's view of a published page (one UPDATE, no read)."""
    LandingPage.objects.filter(pk=page.pk).update(views=F("views") + 1)
