"""API of lead sources (/api/v1/lead-sources) and routing rules (/api/v1/routing-rules).

Adapters over the services the screens use (`webforms.services.inbound` and `.assigning`), so
the API validates, versions and records exactly as the screens do. A source's secrets (Meta's
app secret and access token, the verify token, the Google key or HMAC secret) are written,
never read back: the API gives the URL a sender posts to and the counts, and the verify token
and signing secret once, in the answer that creates the source (like a new API token). Sources
need `webforms.manage`, rules `webforms.route_leads` (403 without them).
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
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.http import DbInt, ListPage, PageQuery, RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.webforms import routing
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
from clientela.webforms.services import assigning, inbound
from clientela.webforms.views.sources import HOOK_ROUTES

lead_sources_router = Router(tags=["lead sources"])
routing_rules_router = Router(tags=["lead routing"])


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


class LeadSourceList(ListPage):
    """A page of lead sources by name: `next` is the URL of the following page, or null."""

    items: list[LeadSourceOut]


class LeadSourceCreated(LeadSourceOut):
    """A new lead source, with the secrets its sender needs: shown in this answer only."""

    verify_token: str = Field(description="Meta: the verify token to type in the app's webhook")
    secret: str = Field(
        description="Google: the key to paste in the lead form; signed JSON: the HMAC secret"
    )


MAPPING = "Signed JSON webhook: contact field -> JSON path of its value (e.g. `lead.email`)"


class LeadSourceIn(Schema):
    """A new lead source: where its leads come from and the form whose rules they follow."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: LeadSourceKind
    form_id: DbInt = Field(description="The form whose fields, tags and routing its leads take")
    is_active: bool = True
    app_secret: str = Field("", description="Meta: the app secret that signs its notifications")
    access_token: str = Field("", description="Meta: the page access token to fetch each lead")
    mapping: dict[str, str] = Field(default_factory=dict, description=MAPPING)
    id_path: str = Field("", description="Signed JSON webhook: JSON path of the lead's id")


class LeadSourcePatch(Schema):
    """Lead source changes: only the fields sent change; its kind stays.

    `version` refuses a stale change (409). An empty `app_secret` or `access_token` keeps the
    stored one.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    form_id: DbInt | None = None
    is_active: bool | None = None
    app_secret: str | None = None
    access_token: str | None = None
    mapping: dict[str, str] | None = Field(None, description=MAPPING + " (replaces it)")
    id_path: str | None = None
    version: DbInt | None = Field(None, description="Refuse the change if the source moved on")


CRITERIA = (
    "Accepted values per criterion: `forms` (form public ids), `sources` (contact sources such "
    "as `facebook`), `products`, `countries` (ISO codes), `cities`, `languages`; a missing or "
    "empty one accepts any lead"
)


class RuleIn(Schema):
    """A new routing rule, tried after the existing ones."""

    model_config = ConfigDict(extra="forbid")

    name: str
    strategy: AssignmentStrategy = AssignmentStrategy.ROUND_ROBIN
    member_ids: list[DbInt] = Field(default_factory=list, description="The reps it shares among")
    fixed_owner_id: DbInt | None = Field(None, description="Who gets every lead (`fixed`)")
    fallback_owner_id: DbInt | None = Field(None, description="Who gets it when nobody can")
    sla_hours: DbInt = Field(24, description="Hours the rep has for the first contact")
    criteria: dict[str, list[str]] = Field(default_factory=dict, description=CRITERIA)
    task_es: str = ""
    task_en: str = Field("", description="The rep's task in Spanish, English or both")
    is_active: bool = True


class RulePatch(Schema):
    """Routing rule changes: only the fields sent change; `version` refuses a stale change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    strategy: AssignmentStrategy | None = None
    member_ids: list[DbInt] | None = None
    fixed_owner_id: DbInt | None = None
    fallback_owner_id: DbInt | None = None
    sla_hours: DbInt | None = None
    criteria: dict[str, list[str]] | None = Field(None, description=CRITERIA + " (replaces it)")
    task_es: str | None = None
    task_en: str | None = None
    is_active: bool | None = None
    version: DbInt | None = Field(None, description="Refuse the change if the rule moved on")


class RuleMove(Schema):
    """Where a rule goes in the order rules are tried."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["up", "down"]


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


class RuleList(ListPage):
    """A page of routing rules in the order they are tried."""

    items: list[RuleOut]


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
def list_lead_sources(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
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
def list_rules(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
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


def _source_data(source: LeadSource | None, sent: dict[str, Any]) -> dict[str, Any]:
    """Return the service's input: the source's current values overlaid with the sent ones."""
    data: dict[str, Any] = {}
    if source is not None:
        data = {
            "name": source.name, "form": str(source.form_id), "is_active": source.is_active,
            "mapping": dict(source.mapping or {}), "id_path": source.id_path,
        }  # fmt: skip
    for key, value in sent.items():
        data["form" if key == "form_id" else key] = str(value) if key == "form_id" else value
    return data


@lead_sources_router.post("", response={201: LeadSourceCreated}, summary="Create a lead source")
def create_lead_source(request: HttpRequest, payload: LeadSourceIn) -> Status[dict[str, Any]]:
    """Create a lead source; the answer carries its verify token and secret, this once."""
    data = _source_data(None, payload.dict())
    source = inbound.create_lead_source(actor=actor(request), data=data, via=Via.API)
    created = {**source_out(request, source), "verify_token": source.verify_token}
    return Status(201, {**created, "secret": source.secret})


@lead_sources_router.patch(
    "{source_id}", response=LeadSourceOut, summary="Change a lead source",
    openapi_extra=api_errors(409),
)  # fmt: skip
def patch_lead_source(
    request: HttpRequest, source_id: RecordId, payload: LeadSourcePatch
) -> dict[str, Any]:
    """Change the fields sent; the source's URL and secrets stay."""
    user = actor(request)
    source = get_lead_source_for_user(user, source_id)
    sent = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    version = sent.pop("version", None)
    if not sent:  # nothing to change: no new version, no event
        return source_out(request, source)
    source = inbound.update_lead_source(
        source, actor=user, data=_source_data(source, sent), expected_version=version, via=Via.API
    )
    return source_out(request, source)


@lead_sources_router.delete("{source_id}", response={204: None}, summary="Delete a lead source")
def delete_lead_source(request: HttpRequest, source_id: RecordId) -> Status[None]:
    """Delete a lead source: its URL stops answering; the leads it brought stay."""
    user = actor(request)
    inbound.delete_lead_source(get_lead_source_for_user(user, source_id), actor=user, via=Via.API)
    return Status(204, None)


def _rule_data(rule: AssignmentRule | None, sent: dict[str, Any]) -> dict[str, Any]:
    """Return the service's input: the rule's current values overlaid with the sent ones."""
    data: dict[str, Any] = {}
    if rule is not None:
        current = rule_out(rule)
        data = {
            **current, "members": current["member_ids"],
            "fixed_owner": rule.fixed_owner_id, "fallback_owner": rule.fallback_owner_id,
        }  # fmt: skip
    renames = {"member_ids": "members", "fixed_owner_id": "fixed_owner",
               "fallback_owner_id": "fallback_owner"}  # fmt: skip
    for key, value in sent.items():
        data[renames.get(key, key)] = value
    criteria = data.pop("criteria", None) or {}
    unknown = sorted(str(name) for name in criteria if name not in routing.CRITERIA)
    if unknown:
        message = _("These are not routing criteria: %(names)s.") % {"names": ", ".join(unknown)}
        raise ValidationFailed({"criteria": [message]})
    data.update({name: list(criteria.get(name) or []) for name in routing.CRITERIA})
    return data


@routing_rules_router.post("", response={201: RuleOut}, summary="Create a routing rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    """Create a routing rule, tried after the existing ones."""
    user = actor(request)
    if not may_route_leads(user):
        raise Forbidden(_("Your role cannot change lead routing."))
    rule = assigning.save_rule(None, actor=user, data=_rule_data(None, payload.dict()), via=Via.API)
    return Status(201, rule_out(rule))


@routing_rules_router.patch(
    "{rule_id}", response=RuleOut, summary="Change a routing rule", openapi_extra=api_errors(409)
)
def patch_rule(request: HttpRequest, rule_id: RecordId, payload: RulePatch) -> dict[str, Any]:
    """Change the fields sent of a routing rule."""
    user = actor(request)
    rule = get_rule_for_user(user, rule_id)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version", None)
    nullable = {"fixed_owner_id", "fallback_owner_id"}
    sent = {k: v for k, v in sent.items() if v is not None or k in nullable}
    if not sent:  # nothing to change: no new version, no event
        return rule_out(rule)
    rule = assigning.save_rule(
        rule, actor=user, data=_rule_data(rule, sent), expected_version=version, via=Via.API
    )
    return rule_out(rule)


@routing_rules_router.post(
    "{rule_id}/move", response=RuleList, summary="Move a routing rule up or down"
)
def move_rule(request: HttpRequest, rule_id: RecordId, payload: RuleMove) -> dict[str, Any]:
    """Move a rule one place earlier (`up`) or later (`down`); return the rules in order."""
    user = actor(request)
    rule = get_rule_for_user(user, rule_id)
    assigning.move_rule(rule, actor=user, offset=-1 if payload.direction == "up" else 1)
    page = page_of(
        request, rules_visible_to(user).order_by("position", "id"), fields=("position", "id"),
        ordering="position", limit=200, offset=0, cursor="",
    )  # fmt: skip
    return page.body([rule_out(each) for each in page.rows])


@routing_rules_router.delete("{rule_id}", response={204: None}, summary="Delete a routing rule")
def delete_rule(request: HttpRequest, rule_id: RecordId) -> Status[None]:
    """Delete a routing rule; the leads it assigned keep their owner."""
    user = actor(request)
    assigning.delete_rule(get_rule_for_user(user, rule_id), actor=user, via=Via.API)
    return Status(204, None)
