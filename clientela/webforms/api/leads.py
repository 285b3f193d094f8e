"""Read-only API of lead sources (/api/v1/lead-sources) and routing rules (/api/v1/routing-rules).

Both are changed on screen. A source's secrets (Meta's app secret and access token, the
verify token, the Google key or HMAC secret) never leave that screen: the API gives the URL a
sender posts to and the counts. Sources need `webforms.manage`, rules `webforms.route_leads`
(403 without them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from clientela.accounts.api_auth import actor
from clientela.core.exceptions import Forbidden
from clientela.core.http import Offset, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.webforms.choices import AssignmentStrategy, LeadSourceKind
from clientela.webforms.models import AssignmentRule, LeadSource
from clientela.webforms.queries import (
    get_lead_source_for_user,
    get_rule_for_user,
    lead_sources_visible_to,
    may_manage_forms,
    may_route_leads,
    rules_visible_to,
)
from clientela.webforms.views.sources import HOOK_ROUTES

lead_sources_router = Router(tags=["lead sources"])
routing_rules_router = Router(tags=["lead routing"])


class Paging(Schema):
    """Pagination of a list."""

    limit: int = Field(50, ge=1, le=200)
    offset: Offset = Field(0, description="Rows to skip (prefer `cursor` on deep pages)")
    cursor: str = Field("", description="Opaque position taken from a previous `next` URL")


class LeadSourceOut(Schema):
    """A lead source: where its leads go, the URL its sender posts to, and its counts."""

    id: int
    public_id: str
    name: str
    kind: LeadSourceKind
    form_id: int = Field(description="The form whose fields, tags and routing its leads take")
    is_active: bool
    hook_url: str = Field(description="The URL to give the sender")
    mapping: dict[str, str] = Field(description="Signed JSON webhook: contact field -> JSON path")
    id_path: str = Field(description="Signed JSON webhook: where the lead's id is")
    received: int
    refused: int
    last_received_at: datetime | None
    created_at: datetime
    version: int


class LeadSourceList(Schema):
    """A page of lead sources by name: `next` is the URL of the following page, or null."""

    items: list[LeadSourceOut]
    count: int
    count_capped: bool
    next: str | None


class RuleOut(Schema):
    """A routing rule: which leads it takes (criteria) and how it picks their rep."""

    id: int
    name: str
    position: int = Field(description="Rules are tried in this order; the first that matches wins")
    is_active: bool
    criteria: dict[str, list[str]] = Field(
        description="Accepted values per criterion (forms, sources, products, countries, "
        "cities, languages); a missing or empty one accepts any lead"
    )
    strategy: AssignmentStrategy
    member_ids: list[int] = Field(description="The reps it shares leads among")
    fixed_owner_id: int | None
    fallback_owner_id: int | None
    sla_hours: int = Field(description="Hours the rep has for the first contact")
    task_es: str
    task_en: str
    created_at: datetime
    version: int


class RuleList(Schema):
    """A page of routing rules in the order they are tried."""

    items: list[RuleOut]
    count: int
    count_capped: bool
    next: str | None


def source_out(request: HttpRequest, source: LeadSource) -> dict[str, Any]:
    """Return the API representation of a lead source (never its secrets)."""
    path = reverse(HOOK_ROUTES[source.kind], kwargs={"public_id": source.public_id})
    return {
        **{n: getattr(source, n) for n in LeadSourceOut.model_fields if hasattr(source, n)},
        "id": source.pk,
        "mapping": {str(k): str(v) for k, v in (source.mapping or {}).items()},
        "hook_url": request.build_absolute_uri(path),
    }


def rule_out(rule: AssignmentRule) -> dict[str, Any]:
    """Return the API representation of a routing rule (its members prefetched)."""
    criteria = rule.criteria if isinstance(rule.criteria, dict) else {}
    return {
        **{n: getattr(rule, n) for n in RuleOut.model_fields if hasattr(rule, n)},
        "id": rule.pk,
        "criteria": {
            str(key): [str(value) for value in values]
            for key, values in criteria.items()
            if isinstance(values, list)
        },
        "member_ids": sorted(member.pk for member in rule.members.all()),
    }


@lead_sources_router.get("", response=LeadSourceList, summary="List lead sources",
                         openapi_extra=api_errors(403))  # fmt: skip
def list_lead_sources(request: HttpRequest, query: Query[Paging]) -> dict[str, Any]:
    """List the lead sources by name, with the URL each sender posts to."""
    user = actor(request)
    if not may_manage_forms(user):
        raise Forbidden(_("Your role cannot manage web forms."))
    page = page_of(
        request, lead_sources_visible_to(user).order_by("name", "id"), fields=("name", "id"),
        ordering="name", limit=query.limit, offset=query.offset, cursor=query.cursor,
    )  # fmt: skip
    return page.body([source_out(request, s) for s in page.rows])


@lead_sources_router.get(
    "{source_id}", response=LeadSourceOut, url_name="lead_source", summary="Get a lead source",
    openapi_extra=api_errors(403),
)  # fmt: skip
def get_lead_source(request: HttpRequest, source_id: RecordId) -> dict[str, Any]:
    """Return a lead source with the URL its sender posts to."""
    return source_out(request, get_lead_source_for_user(actor(request), source_id))


@routing_rules_router.get("", response=RuleList, summary="List routing rules",
                          openapi_extra=api_errors(403))  # fmt: skip
def list_rules(request: HttpRequest, query: Query[Paging]) -> dict[str, Any]:
    """List the routing rules in the order they are tried."""
    user = actor(request)
    if not may_route_leads(user):
        raise Forbidden(_("Your role cannot change lead routing."))
    page = page_of(
        request, rules_visible_to(user).order_by("position", "id"), fields=("position", "id"),
        ordering="position", limit=query.limit, offset=query.offset, cursor=query.cursor,
    )  # fmt: skip
    return page.body([rule_out(rule) for rule in page.rows])


@routing_rules_router.get(
    "{rule_id}", response=RuleOut, url_name="routing_rule", summary="Get a routing rule",
    openapi_extra=api_errors(403),
)  # fmt: skip
def get_rule(request: HttpRequest, rule_id: RecordId) -> dict[str, Any]:
    """Return a routing rule with its criteria and people."""
    return rule_out(get_rule_for_user(actor(request), rule_id))
