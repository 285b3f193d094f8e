"""Company endpoints: thin adapters over contacts.queries and contacts.services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from clientela.accounts.api_auth import actor
from clientela.contacts import services
from clientela.contacts.api.schemas import (
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
    CompanyQuery,
)
from clientela.contacts.queries import (
    COMPANY_ORDERINGS,
    CompanyFilters,
    filter_companies,
    get_company_for_user,
)
from clientela.contacts.representation import (
    company_detail,
    company_out,
)
from clientela.core.http import RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.timeline.choices import Via

companies_router = Router(tags=["companies"])


@companies_router.get("", response=CompanyPage, summary="List companies")
def list_companies(request: HttpRequest, query: Query[CompanyQuery]) -> dict[str, Any]:
    """Companies you may see, filtered and ordered."""
    # The schema validates and documents the parameters; the list's own parser reads them, so
    # the API filters exactly as the companies screen and its export do.
    filters = CompanyFilters.from_params(request.GET)
    qs = filter_companies(actor(request), filters, deleted=query.deleted)
    qs = qs.select_related("owner").prefetch_related("tags")
    page = page_of(
        request,
        qs,
        fields=COMPANY_ORDERINGS[filters.ordering],
        ordering=filters.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
    )
    return page.body([company_out(c, [t.name for t in c.tags.all()]) for c in page.rows])


@companies_router.post("", response={201: CompanyOut}, summary="Create a company")
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[dict[str, Any]]:
    """Create a company."""
    user = actor(request)
    company = services.create_company(
        actor=user, data=payload.dict(exclude_unset=True), via=Via.API
    )
    return Status(201, company_detail(get_company_for_user(user, company.pk)))


@companies_router.get("{company_id}", response=CompanyOut, summary="Get a company")
def get_company(request: HttpRequest, company_id: RecordId) -> dict[str, Any]:
    """One company with its tags."""
    return company_detail(get_company_for_user(actor(request), company_id))


@companies_router.patch(
    "{company_id}",
    response=CompanyOut,
    summary="Change a company",
    openapi_extra=api_errors(409),
)
def update_company(
    request: HttpRequest, company_id: RecordId, payload: CompanyPatch
) -> dict[str, Any]:
    """Change only the fields sent; `version` refuses a stale change (409)."""
    user = actor(request)
    company = get_company_for_user(user, company_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    services.update_company(company, actor=user, data=data, via=Via.API, expected_version=version)
    return company_detail(get_company_for_user(user, company_id))


@companies_router.delete("{company_id}", response={204: None}, summary="Delete a company")
def delete_company(request: HttpRequest, company_id: RecordId) -> Status[None]:
    """Move a company to the trash; its contacts stay."""
    user = actor(request)
    services.delete_company(get_company_for_user(user, company_id), actor=user, via=Via.API)
    return Status(204, None)


@companies_router.post("{company_id}/restore", response=CompanyOut, summary="Restore a company")
def restore_company(request: HttpRequest, company_id: RecordId) -> dict[str, Any]:
    """Bring a company back from the trash."""
    user = actor(request)
    company = get_company_for_user(user, company_id, deleted=True)
    services.restore_company(company, actor=user, via=Via.API)
    return company_detail(get_company_for_user(user, company_id))
