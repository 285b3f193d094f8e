"""Contact endpoints: thin adapters over contacts.queries and contacts.services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from clientela.accounts.api_auth import actor
from clientela.contacts import services
from clientela.contacts.api.schemas import (
    ConsentIn,
    ContactIn,
    ContactPage,
    ContactPatch,
    ContactQuery,
    DuplicateOut,
    EventPage,
    MergedAwayOut,
    MergeIn,
    MergeOut,
    TimelineQuery,
    UndoOut,
)
from clientela.contacts.choices import Entity
from clientela.contacts.models import Merge
from clientela.contacts.queries import (
    CONTACT_ORDERINGS,
    ContactFilters,
    duplicates_of,
    filter_contacts,
    get_contact_for_user,
    survivor_for_user,
)
from clientela.contacts.representation import (
    ContactOut,
    contact_row_out,
    contact_rows,
    ref,
    reload_contact,
)
from clientela.core.events import verb_label
from clientela.core.exceptions import NotFound
from clientela.core.http import RecordId, api_errors
from clientela.core.keyset import page_of
from clientela.timeline.choices import Via
from clientela.timeline.models import Event

contacts_router = Router(tags=["contacts"])


@contacts_router.get("", response=ContactPage, summary="List contacts")
def list_contacts(request: HttpRequest, query: Query[ContactQuery]) -> dict[str, Any]:
    """List the contacts you may see, filtered and ordered.

    Filter custom fields with `custom.<key>=value` (e.g. `?custom.budget=300000000`).
    """
    user = actor(request)
    # The schema validates and documents the parameters; the list's own parser reads them, so
    # the API filters exactly as the contacts screen and its export do.
    filters = ContactFilters.from_params(request.GET)
    qs = filter_contacts(user, filters, deleted=query.deleted)
    page = page_of(
        request,
        qs,
        fields=CONTACT_ORDERINGS[query.ordering],
        ordering=query.ordering,
        limit=query.limit,
        offset=query.offset,
        cursor=query.cursor,
        shape=contact_rows,
    )
    return page.body([contact_row_out(row._asdict()) for row in page.rows])


@contacts_router.post(
    "", response={201: ContactOut}, summary="Create a contact", openapi_extra=api_errors(409)
)
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    """Create a contact; e-mail and phone are validated and normalised."""
    user = actor(request)
    contact = services.create_contact(
        actor=user, data=payload.dict(exclude_unset=True), via=Via.API
    )
    return Status(201, reload_contact(user, contact.pk))


@contacts_router.post(
    "merge", response=MergeOut, summary="Merge two contacts", openapi_extra=api_errors(404, 409)
)
def merge_contacts(request: HttpRequest, payload: MergeIn) -> dict[str, Any]:
    """Merge `other` into `survivor`; `other` goes to the trash and the merge can be undone."""
    user = actor(request)
    survivor = get_contact_for_user(user, payload.survivor)
    other = get_contact_for_user(user, payload.other)
    merge = services.merge_contacts(
        survivor, other, actor=user, take_from_other=payload.take_from_other, via=Via.API
    )
    return {"merge_id": merge.pk, "survivor": reload_contact(user, survivor.pk)}


@contacts_router.post(
    "merges/{merge_id}/undo",
    response=UndoOut,
    summary="Undo a merge",
    openapi_extra=api_errors(409),
)
def undo_merge(request: HttpRequest, merge_id: RecordId) -> dict[str, Any]:
    """Give the survivor its previous values back and restore the merged contact."""
    user = actor(request)
    merge = Merge.objects.filter(pk=merge_id, entity=Entity.CONTACT).first()
    if merge is None:
        raise NotFound(_("Merge not found."))
    try:
        # Visibility is decided by the one helper: a merge is yours if its survivor is.
        get_contact_for_user(user, merge.survivor_id)
    except NotFound as exc:
        raise NotFound(_("Merge not found.")) from exc
    restored = services.undo_merge(merge, actor=user, via=Via.API)
    try:
        restored_out: dict[str, Any] | None = reload_contact(user, restored.pk)
    except NotFound:
        restored_out = None  # it came back, but it belongs to someone you may not see
    return {"survivor": reload_contact(user, merge.survivor_id), "restored": restored_out}


@contacts_router.get(
    "{contact_id}", response={200: ContactOut, 301: MergedAwayOut}, summary="Get a contact"
)
def get_contact(request: HttpRequest, contact_id: RecordId) -> dict[str, Any] | HttpResponse:
    """One contact with its tags and current consents.

    A contact merged into another answers `301` with `Location` set to the survivor (and its
    id in `merged_into`) when you may see both; writes to it stay `404`, so a change never
    lands on another record unnoticed.
    """
    user = actor(request)
    try:
        return reload_contact(user, contact_id)
    except NotFound:
        survivor = survivor_for_user(user, contact_id)
        if survivor is None:
            raise
    response = JsonResponse(
        {
            "detail": _("This contact was merged into contact %(id)s.") % {"id": survivor},
            "merged_into": survivor,
        },
        status=301,
    )
    response["Location"] = request.build_absolute_uri(
        request.path.rstrip("/").rsplit("/", 1)[0] + f"/{survivor}"
    )
    return response


@contacts_router.patch(
    "{contact_id}",
    response=ContactOut,
    summary="Change a contact",
    openapi_extra=api_errors(409),
)
def update_contact(
    request: HttpRequest, contact_id: RecordId, payload: ContactPatch
) -> dict[str, Any]:
    """Change only the fields sent.

    Send `version` to refuse the change (409) if someone else changed the contact since you
    read it.
    """
    user = actor(request)
    contact = get_contact_for_user(user, contact_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    services.update_contact(contact, actor=user, data=data, via=Via.API, expected_version=version)
    return reload_contact(user, contact_id)


@contacts_router.delete("{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: RecordId) -> Status[None]:
    """Move a contact to the trash (restorable)."""
    user = actor(request)
    services.delete_contact(get_contact_for_user(user, contact_id), actor=user, via=Via.API)
    return Status(204, None)


@contacts_router.post(
    "{contact_id}/restore",
    response=ContactOut,
    summary="Restore a contact",
    openapi_extra=api_errors(409),
)
def restore_contact(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    """Bring a contact back from the trash."""
    user = actor(request)
    contact = get_contact_for_user(user, contact_id, deleted=True)
    services.restore_contact(contact, actor=user, via=Via.API)
    return reload_contact(user, contact_id)


@contacts_router.get(
    "{contact_id}/duplicates", response=list[DuplicateOut], summary="Possible duplicates"
)
def contact_duplicates(request: HttpRequest, contact_id: RecordId) -> list[dict[str, Any]]:
    """Contacts you may see with the same e-mail or phone, or a similar name at the same company."""
    user = actor(request)
    contact = get_contact_for_user(user, contact_id)
    return [
        {
            "id": other.pk,
            "full_name": other.full_name,
            "email": other.email,
            "phone": other.phone,
            "company": ref(other.company),
            "owner": ref(other.owner),
            "reason": str(reason),
        }
        for other, reason in duplicates_of(user, contact)
    ]


@contacts_router.get("{contact_id}/timeline", response=EventPage, summary="Contact timeline")
def contact_timeline(
    request: HttpRequest, contact_id: RecordId, page: Query[TimelineQuery]
) -> dict[str, Any]:
    """Everything that happened to the contact, newest first."""
    contact = get_contact_for_user(actor(request), contact_id)
    events = Event.objects.filter(contact=contact).select_related("actor")
    count = events.count()
    rows = list(events[page.offset : page.offset + page.limit])
    next_url = None
    if page.offset + page.limit < count:
        params = request.GET.copy()
        params["offset"] = str(page.offset + page.limit)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    items = [
        {
            "id": e.pk,
            "created_at": e.created_at,
            "verb": e.verb,
            "verb_label": verb_label(e.verb),
            "via": e.via,
            "actor": ref(e.actor),
            "target_type": e.target_type,
            "target_id": e.target_id,
            "target_repr": e.target_repr,
            "data": e.data,
        }
        for e in rows
    ]
    return {"items": items, "count": count, "next": next_url}


@contacts_router.post(
    "{contact_id}/consents", response={201: ContactOut}, summary="Record a consent decision"
)
def record_consent(
    request: HttpRequest, contact_id: RecordId, payload: ConsentIn
) -> Status[dict[str, Any]]:
    """Append a consent decision (Habeas Data / GDPR) and return the contact's current consents."""
    user = actor(request)
    contact = get_contact_for_user(user, contact_id, write=True)
    services.record_consent(contact, actor=user, via=Via.API, **payload.dict())
    return Status(201, reload_contact(user, contact_id))
