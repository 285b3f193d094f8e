"""What contact and company writes share.

The right check, owner and company references, the before/after snapshot, locking, applying
an edit, the trash and the record's timeline.

Internal to the services package: other apps call the services its ``__init__`` exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import assignable_owners, has_capability
from clientela.contacts.models import Company, Contact
from clientela.contacts.normalize import search_key
from clientela.contacts.queries import companies_visible_to
from clientela.contacts.services.tags import tags_from_names
from clientela.contacts.validation import COMPANY_FIELDS, Errors
from clientela.core.exceptions import Conflict, Forbidden
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import diff_fields, record_event

MERGEABLE_FIELDS = (
    "first_name", "last_name", "email", "phone", "job_title", "company_id", "city", "country",
    "birthday", "language", "lifecycle_stage", "lead_status", "source", "owner_id",
    *(f"{t}_utm_{p}" for t in ("first", "last") for p in ("source", "medium", "campaign", "term", "content")),
    "first_touch_at", "last_touch_at", "external_id",
)  # fmt: skip

R = TypeVar("R", Contact, Company)
NO_TAGS = object()  # "tags" absent from an update: leave them as they are


def region() -> str:
    """Return the default phone region of the installation (CO unless configured)."""
    return str(settings.CLIENTELA["DEFAULT_PHONE_REGION"])


def require_capability(actor: User | None, capability: str, message: str) -> None:
    """Forbidden (with `message`) unless the actor holds the capability.

    The actor None is a public form's visitor (clientela.webforms): no signed-in user, and the
    write is the form's own (its service decides what a visitor may set), so no capability.
    """
    if actor is not None and not has_capability(actor, capability):
        raise Forbidden(message)


def contact_search_text(contact: Contact) -> str:
    """Folded text used by list search."""
    return search_key(contact.first_name, contact.last_name, contact.email, contact.phone)


def company_search_text(company: Company) -> str:
    """Folded text used by company search."""
    return search_key(company.name, company.domain, company.email, company.phone, company.tax_id)


def resolve_relations(
    data: Mapping[str, Any], actor: User | None, errors: Errors
) -> dict[str, Any]:
    """Check owner and company references against what the actor may use.

    A public form (actor None) sets neither: its writes name no owner and no company id.
    """
    out: dict[str, Any] = {}
    if actor is None:
        return _public_relations(data, errors)
    if "owner" in data:
        owner = data["owner"]
        owner_id = getattr(owner, "pk", owner)
        if owner_id in (None, ""):
            out["owner_id"] = None
        else:
            try:
                out["owner_id"] = (
                    assignable_owners(actor).values_list("id", flat=True).get(pk=int(owner_id))
                )
            except (ValueError, TypeError, Exception):
                errors.setdefault("owner", []).append(_("You cannot assign records to this user."))
    if "company" in data:
        company = data["company"]
        company_id = getattr(company, "pk", company)
        if company_id in (None, ""):
            out["company_id"] = None
        else:
            try:
                out["company_id"] = (
                    companies_visible_to(actor).values_list("id", flat=True).get(pk=int(company_id))
                )
            except (ValueError, TypeError, Exception):
                errors.setdefault("company", []).append(_("Company not found."))
    return out


def _public_relations(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """Return a public form's relations: no owner; a company only by the id its service found."""
    out: dict[str, Any] = {}
    if "company" in data:
        company = data["company"]
        company_id = getattr(company, "pk", company)
        if company_id in (None, ""):
            out["company_id"] = None
        else:
            found = (
                Company.objects.filter(pk=company_id, deleted_at__isnull=True)
                .values_list("id", flat=True)
                .first()
            )
            if found is None:
                errors.setdefault("company", []).append(_("Company not found."))
            else:
                out["company_id"] = found
    return out


def require_public_via(actor: User | None, via: str) -> None:
    """Refuse a write without a user unless it comes from a public form (a programming error)."""
    if actor is None and via != Via.FORM:
        raise ValueError("only a public form writes without an actor (via=Via.FORM)")


def snapshot_fields(record: Contact | Company) -> dict[str, Any]:
    """Return the fields an edit can change, to diff before against after."""
    names = MERGEABLE_FIELDS if isinstance(record, Contact) else (*COMPANY_FIELDS, "owner_id")
    data = {name: getattr(record, name) for name in names}
    data["custom"] = dict(record.custom)
    return data


def record_on_timeline(
    verb: str, record: Contact | Company, *, actor: User | None, via: str, data: Any = None
) -> None:
    """Record an event about this record on the contact's or the company's own timeline."""
    is_contact = isinstance(record, Contact)
    record_event(
        verb,
        actor=actor,
        target=record,
        via=via,
        data=data,
        contact_id=record.pk if is_contact else None,
        company_id=None if is_contact else record.pk,
    )


def lock_current(model: type[R], pk: int, expected_version: int | None) -> R:
    """Return the record locked for update; refuse it when someone changed it since it was read."""
    locked = model.objects.select_for_update().get(pk=pk)
    if expected_version is not None and locked.version != expected_version:
        if model is Contact:
            message = _("Someone else changed this contact meanwhile. Reload it and try again.")
        else:
            message = _("Someone else changed this company meanwhile. Reload it and try again.")
        raise Conflict(message)
    return locked


def apply_changes(
    locked: Contact | Company,
    *,
    actor: User | None,
    via: str,
    values: Mapping[str, Any],
    custom: Mapping[str, Any],
    tags: Any,
) -> None:
    """Set validated values, custom fields and tags; save and record only what changed.

    The timeline event lists every changed field as [before, after], tags included; an edit
    that changes nothing writes nothing and bumps no version.
    """
    before = snapshot_fields(locked)
    for key, value in values.items():
        setattr(locked, key, value)
    if custom:
        locked.custom = {k: v for k, v in {**locked.custom, **custom}.items() if v is not None}
    changes = diff_fields(before, snapshot_fields(locked))
    if tags is not NO_TAGS:
        old_tags = sorted(locked.tags.values_list("name", flat=True))
        new_tags = tags_from_names(tags or [])
        locked.tags.set(new_tags)
        if sorted(t.name for t in new_tags) != old_tags:
            changes["tags"] = [old_tags, sorted(t.name for t in new_tags)]
    if not changes:
        return
    if isinstance(locked, Contact):
        locked.search_text = contact_search_text(locked)
    else:
        locked.search_text = company_search_text(locked)
    locked.updated_at = timezone.now()
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    record_on_timeline(Verb.UPDATED, locked, actor=actor, via=via, data={"changes": changes})


def set_deleted(record: R, deleted_at: Any, *, actor: User, via: str) -> R:
    """Move a record to the trash (a time) or back out of it (None), on its timeline."""
    type(record).objects.filter(pk=record.pk).update(
        deleted_at=deleted_at, version=F("version") + 1
    )
    record.refresh_from_db()
    verb = Verb.RESTORED if deleted_at is None else Verb.DELETED
    record_on_timeline(verb, record, actor=actor, via=via)
    return record
