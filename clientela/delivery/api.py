"""API of the suppression list (mounted at /api/v1/suppressions): thin adapters over services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from clientela.accounts.api_auth import actor
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden
from clientela.core.http import ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.delivery.choices import SuppressionReason
from clientela.delivery.models import Suppression
from clientela.delivery.queries import (
    SuppressionFilters,
    filter_suppressions,
    get_suppression_for_user,
    may_manage_suppressions,
)
from clientela.delivery.services.suppression import suppress, unsuppress

suppressions_router = Router(tags=["suppressions"])


class SuppressionOut(Schema):
    """An address Clientela never e-mails again, and why."""

    id: int
    email: str
    reason: SuppressionReason
    reason_label: str
    detail: str
    created_at: datetime


class SuppressionPage(ListPage):
    """A page of suppressed addresses: `next` is the URL of the following page, or null."""

    items: list[SuppressionOut]


class SuppressionQuery(PageQuery):
    """Filters and pagination of the suppression list."""

    q: str = Field("", max_length=254, description="Start of the address")
    reason: SuppressionReason | None = None


class SuppressionIn(Schema):
    """An address to suppress."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    reason: SuppressionReason = SuppressionReason.MANUAL
    detail: str = Field("", max_length=500)


class RemovalQuery(Schema):
    """Why the address may receive e-mail again (kept on the audit log)."""

    reason: str = Field(min_length=1, max_length=500)


def suppression_out(item: Suppression) -> dict[str, Any]:
    """Return the API representation of a suppression."""
    return {
        "id": item.pk,
        "email": item.email,
        "reason": item.reason,
        "reason_label": str(item.get_reason_display()),
        "detail": item.detail,
        "created_at": item.created_at,
    }


def _require(user: Any) -> None:
    if not may_manage_suppressions(user):
        raise Forbidden(_("Your role cannot change the suppression list."))


@suppressions_router.get(
    "", response=SuppressionPage, summary="List suppressed addresses",
    openapi_extra=api_errors(403),
)  # fmt: skip
def list_suppressions(request: HttpRequest, query: Query[SuppressionQuery]) -> dict[str, Any]:
    """List the addresses Clientela never e-mails, newest first."""
    user = actor(request)
    _require(user)
    qs = filter_suppressions(user, SuppressionFilters(q=query.q, reason=query.reason or ""))
    page = page_of(
        request,
        qs,
        fields=("-created_at", "-id"),
        ordering="-created",
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
    )
    return page.body([suppression_out(row) for row in page.rows])


@suppressions_router.post("", response={201: SuppressionOut}, summary="Suppress an address")
def create_suppression(request: HttpRequest, payload: SuppressionIn) -> Status[dict[str, Any]]:
    """Add an address to the suppression list (an address already there is returned as is)."""
    user = actor(request)
    _require(user)
    item = suppress(
        payload.email, reason=payload.reason, detail=payload.detail, actor=user, via=Via.API
    )
    return Status(201, suppression_out(item))


@suppressions_router.delete(
    "{suppression_id}", response={204: None}, summary="Remove a suppressed address"
)
def delete_suppression(
    request: HttpRequest, suppression_id: RecordId, query: Query[RemovalQuery]
) -> Status[None]:
    """Let the address receive e-mail again; `reason` says why and is audited."""
    user = actor(request)
    item = get_suppression_for_user(user, suppression_id)
    unsuppress(item, actor=user, reason=query.reason, via=Via.API)
    return Status(204, None)
