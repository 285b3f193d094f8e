"""The landing pages API, mounted at /api/v1/pages.

Adapters over webforms.queries and webforms.services.pages, the same service the editor uses:
blocks are cleaned there (nh3 for author HTML, known forms and images only). Every operation
needs `webforms.manage` (403 without it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from clientela.accounts.api_auth import actor
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.webforms.choices import FormStatus
from clientela.webforms.models import LandingPage
from clientela.webforms.queries import get_page_for_user, may_manage_forms, pages_visible_to
from clientela.webforms.services import pages as services

pages_router = Router(tags=["landing pages"])

BLOCKS = (
    "The page's blocks in order, each an object with its `type`: `heading` (`level` 1-3, "
    "`text_es`, `text_en`), `text` (`html_es`, `html_en`: sanitised to p, br, strong, em, u, "
    "lists, links, h2, h3 and blockquote), `image` (`image`: an uploaded image's token, "
    "`alt_es`, `alt_en`), `form` (`form`: a form's `public_id`), `button` (`label_es`, "
    "`label_en`, `url`: https://…, a path or an #anchor) or `video` (`url`, `caption_es`, "
    "`caption_en`); at most 50"
)


class PageOut(Schema):
    """A landing page: its settings, its (cleaned) blocks and its public address."""

    id: int
    slug: str
    title_es: str
    title_en: str
    description_es: str
    description_en: str
    language: str
    status: FormStatus
    blocks: list[dict[str, Any]]
    views: int
    public_url: str
    created_at: datetime
    updated_at: datetime
    version: int


class PageList(ListPage):
    """A page of landing pages: `next` is the URL of the following page, or null."""

    items: list[PageOut]


class LandingPageQuery(PageQuery):
    """Filters and pagination of the landing pages list."""

    status: Literal["published", "draft"] | None = None


class PageIn(Schema):
    """A new landing page (a draft until it is published with PATCH `status`)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="The address under /p/: lower-case letters, digits, dashes")
    title_es: str = ""
    title_en: str = Field("", description="A title in Spanish, English or both")
    description_es: str = ""
    description_en: str = ""
    language: Literal["es", "en"] = "es"
    blocks: list[dict[str, Any]] | None = Field(
        None, description=BLOCKS + " (without it: a heading with the title)"
    )


class PagePatch(Schema):
    """Page changes: only the fields sent change; `version` refuses a stale change (409)."""

    model_config = ConfigDict(extra="forbid")

    slug: str | None = None
    title_es: str | None = None
    title_en: str | None = None
    description_es: str | None = None
    description_en: str | None = None
    language: Literal["es", "en"] | None = None
    status: Literal["published", "draft"] | None = None
    blocks: list[dict[str, Any]] | None = Field(None, description=BLOCKS + " (replaces them all)")
    version: DbInt | None = Field(None, description="Refuse the change if the page moved on")


def _require(user: Any) -> None:
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))


def page_out(request: HttpRequest, page: LandingPage) -> dict[str, Any]:
    """Return the API representation of a landing page."""
    return {
        **{name: getattr(page, name) for name in PageOut.model_fields if hasattr(page, name)},
        "id": page.pk,
        "public_url": request.build_absolute_uri(
            reverse("webforms:landing", kwargs={"slug": page.slug})
        ),
    }


@pages_router.get("", response=PageList, summary="List landing pages",
                  openapi_extra=api_errors(403))  # fmt: skip
def list_pages(request: HttpRequest, query: Query[LandingPageQuery]) -> dict[str, Any]:
    """List the landing pages by address, with their blocks and views."""
    user = actor(request)
    _require(user)
    qs = pages_visible_to(user)
    if query.status:
        qs = qs.filter(status=query.status)
    page = page_of(
        request, qs.order_by("slug", "id"), fields=("slug", "id"), ordering="slug",
        limit=query.limit, offset=query.offset, cursor=query.cursor,
    )  # fmt: skip
    return page.body([page_out(request, p) for p in page.rows])


@pages_router.post("", response={201: PageOut}, summary="Create a landing page")
def create_page(request: HttpRequest, payload: PageIn) -> Status[dict[str, Any]]:
    """Create a draft page; its blocks are cleaned like the editor's."""
    data = payload.dict(exclude_unset=True)
    if data.get("blocks") is None:
        data.pop("blocks", None)
    page = services.create_page(actor=actor(request), data=data, via=Via.API)
    return Status(201, page_out(request, page))


@pages_router.get(
    "{page_id}", response=PageOut, url_name="page", summary="Get a landing page",
    openapi_extra=api_errors(403),
)  # fmt: skip
def get_page(request: HttpRequest, page_id: RecordId) -> dict[str, Any]:
    """Return a landing page with its blocks."""
    return page_out(request, get_page_for_user(actor(request), page_id))


@pages_router.patch("{page_id}", response=PageOut, summary="Change a landing page",
                    openapi_extra=api_errors(409))  # fmt: skip
def patch_page(request: HttpRequest, page_id: RecordId, payload: PagePatch) -> dict[str, Any]:
    """Change the fields sent; `status` publishes the page or takes it back to draft."""
    user = actor(request)
    page = get_page_for_user(user, page_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    if data.get("blocks", []) is None:
        data.pop("blocks")
    if data.get("status", "") is None:
        data.pop("status")
    if not data:  # nothing to change: no new version, no event
        return page_out(request, page)
    page = services.update_page(page, actor=user, data=data, via=Via.API, expected_version=version)
    return page_out(request, page)
