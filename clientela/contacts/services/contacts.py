"""Writes for contacts: create, edit, trash and restore, with one live contact per e-mail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import Entity
from clientela.contacts.models import Company, Contact, CustomField
from clientela.contacts.queries import companies_visible_to, contacts_visible_to, custom_fields_for
from clientela.contacts.services.companies import create_company
from clientela.contacts.services.records import (
    NO_TAGS,
    apply_changes,
    contact_search_text,
    lock_current,
    region,
    require_capability,
    require_public_via,
    resolve_relations,
    set_deleted,
    snapshot_fields,
)
from clientela.contacts.services.tags import tag_new_contact, tags_from_names
from clientela.contacts.validation import (
    CONTACT_FIELDS,
    Errors,
    clean_common,
    clean_custom,
    require_identity,
)
from clientela.core.exceptions import Conflict, DuplicateRecord, ValidationFailed
from clientela.core.locks import lock_name
from clientela.timeline.choices import Verb, Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, diff_fields, record_events


def refuse_email_in_use(email: str, *, actor: User | None, exclude: int | None = None) -> None:
    """Refuse an e-mail another live contact already has (DuplicateRecord, 409 in the API).

    Race-safe without a unique index (the demo and imports from before keep same-e-mail pairs
    for the duplicates screen, see docs/decisions.md): the e-mail is locked for the rest of the
    transaction, so of two concurrent creates the second sees the first's row.
    """
    if not email:
        return
    lock_name(f"contacts.email:{email}")
    existing = Contact.objects.filter(email=email, deleted_at__isnull=True)
    if exclude is not None:
        existing = existing.exclude(pk=exclude)
    existing_id = existing.order_by("id").values_list("pk", flat=True).first()
    if existing_id is None:
        return
    if actor is not None and contacts_visible_to(actor).filter(pk=existing_id).exists():
        message = _("Contact #%(id)s already has this e-mail. Open it or merge instead.") % {
            "id": existing_id
        }
        raise DuplicateRecord({"email": [message]}, existing_id=existing_id)
    message = _(
        "A contact with this e-mail already exists and is owned by someone outside your scope."
    )
    raise DuplicateRecord({"email": [message]})


@transaction.atomic
def create_contact(*, actor: User | None, data: Mapping[str, Any], via: str = Via.UI) -> Contact:
    """Validate and create a contact owned by the actor unless another owner is given.

    The actor None is a public form's visitor (via=Via.FORM): the contact has no owner and no
    creator, and its timeline says it came through the public form.
    """
    require_public_via(actor, via)
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    values, custom = _clean_new(actor, data, custom_fields_for(Entity.CONTACT))
    refuse_email_in_use(values.get("email") or "", actor=actor)
    contact, created = _insert(actor, values, custom, data.get("tags"), via)
    record_events([created])
    return contact


def create_checked_contact(
    *,
    data: Mapping[str, Any],
    definitions: Mapping[str, CustomField] | None = None,
    via: str = Via.FORM,
) -> tuple[Contact, Event]:
    """Create a public form's contact, as `create_contact` does, for a caller that checked it.

    The caller holds the e-mail's lock (`core.locks.lock_names`) in its transaction and found
    no live contact with that e-mail, so neither is done again. `definitions` are the active
    contact custom fields when the caller has them. The created event comes back unwritten:
    the caller writes it with its own events (one INSERT, one segment mark).
    """
    require_public_via(None, via)
    values, custom = _clean_new(
        None, data, definitions if definitions is not None else custom_fields_for(Entity.CONTACT)
    )
    with transaction.atomic(savepoint=False):
        return _insert(None, values, custom, data.get("tags"), via)


def create_checked_contacts(
    items: Sequence[Mapping[str, Any]],
    *,
    definitions: Mapping[str, CustomField] | None = None,
    via: str = Via.FORM,
) -> list[tuple[Contact, Event]]:
    """Create many public-form contacts at once, each as `create_checked_contact` would.

    The caller holds the locks of all their e-mails and phones and found none of them live.
    The contacts are one INSERT, their tags one look-up per distinct set and one INSERT; the
    created events come back unwritten, in the order of `items`. Everything is checked before
    anything is written (ValidationFailed for the first bad item).
    """
    require_public_via(None, via)
    known = definitions if definitions is not None else custom_fields_for(Entity.CONTACT)
    checked = [_clean_new(None, data, known) for data in items]
    contacts = [_new_contact(None, values, custom, via) for values, custom in checked]
    if not contacts:
        return []
    with transaction.atomic(savepoint=False):
        Contact.objects.bulk_create(contacts)
        tagged: dict[tuple[str, ...], list[Any]] = {}
        pairs = []
        for contact, data in zip(contacts, items, strict=True):
            names = tuple(data.get("tags") or ())
            if names and names not in tagged:
                tagged[names] = tags_from_names(names)
            pairs += [(contact, tag) for tag in tagged.get(names, [])]
        if pairs:
            through = Contact.tags.through
            through.objects.bulk_create(
                [through(contact_id=contact.pk, tag_id=tag.pk) for contact, tag in pairs]
            )
    return [
        (c, build_event(Verb.CREATED, actor=None, target=c, via=via, contact_id=c.pk))
        for c in contacts
    ]


def _clean_new(
    actor: User | None, data: Mapping[str, Any], definitions: Mapping[str, CustomField]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return a new contact's checked values and custom fields (ValidationFailed otherwise)."""
    errors: Errors = {}
    values = clean_common(data, CONTACT_FIELDS, region=region(), errors=errors)
    owner = {"owner": actor.pk} if actor is not None else {}
    values.update(resolve_relations({**owner, **data}, actor, errors))
    custom = clean_custom(data.get("custom") or {}, definitions, errors)
    require_identity(values, errors)
    if errors:
        raise ValidationFailed(errors)
    return values, custom


def _new_contact(
    actor: User | None, values: Mapping[str, Any], custom: Mapping[str, Any], via: str
) -> Contact:
    """Return a checked new contact, unsaved."""
    contact = Contact(**values, custom={k: v for k, v in custom.items() if v is not None})
    contact.created_by = actor if actor is not None and actor.pk else None
    contact.created_via = via
    contact.search_text = contact_search_text(contact)
    return contact


def _insert(
    actor: User | None,
    values: Mapping[str, Any],
    custom: Mapping[str, Any],
    tags: Any,
    via: str,
) -> tuple[Contact, Event]:
    """Save a checked new contact and its tags; return it with its created event (unwritten)."""
    contact = _new_contact(actor, values, custom, via)
    contact.save()
    if tags:
        tag_new_contact(contact, tags_from_names(tags))
    created = build_event(Verb.CREATED, actor=actor, target=contact, via=via, contact_id=contact.pk)
    return contact, created


@transaction.atomic
def update_contact(
    contact: Contact,
    *,
    actor: User | None,
    data: Mapping[str, Any],
    via: str = Via.UI,
    expected_version: int | None = None,
) -> Contact:
    """Change the given fields of a visible contact; stale versions are refused.

    The actor None is a public form's visitor (via=Via.FORM), as in create_contact.
    """
    require_public_via(actor, via)
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    locked = lock_current(Contact, contact.pk, expected_version)
    errors: Errors = {}
    values = clean_common(data, CONTACT_FIELDS, region=region(), errors=errors)
    values.update(resolve_relations(data, actor, errors))
    custom_in = data.get("custom")
    custom = clean_custom(custom_in, custom_fields_for(Entity.CONTACT), errors) if custom_in else {}
    merged = {**snapshot_fields(locked), **values}
    require_identity(merged, errors)
    if errors:
        raise ValidationFailed(errors)
    if values.get("email") and values["email"] != locked.email:
        refuse_email_in_use(values["email"], actor=actor, exclude=locked.pk)
    apply_changes(
        locked, actor=actor, via=via, values=values, custom=custom, tags=data.get("tags", NO_TAGS)
    )
    return locked


@transaction.atomic
def route_contact(contact: Contact, *, owner: User, via: str = Via.FORM) -> Contact:
    """Give a contact to the rep lead routing chose: a system write (no actor), on its timeline.

    Only lead capture calls it (via=Via.FORM), for a contact its routing rules assign.
    """
    require_public_via(None, via)
    if not owner.is_active:
        raise ValidationFailed({"owner": [_("You cannot assign records to this user.")]})
    locked = lock_current(Contact, contact.pk, None)
    apply_changes(
        locked, actor=None, via=via, values={"owner_id": owner.pk}, custom={}, tags=NO_TAGS
    )
    return locked


@transaction.atomic
def route_contacts(routes: Sequence[tuple[Contact, User]], *, via: str = Via.FORM) -> None:
    """Give many contacts the reps lead routing chose, each as `route_contact` would.

    The caller holds the contacts' row locks (a follow-up batch). One UPDATE per rep and one
    INSERT of the updated events; the contacts given are changed in place (owner, version).
    """
    require_public_via(None, via)
    if any(not owner.is_active for _contact, owner in routes):
        raise ValidationFailed({"owner": [_("You cannot assign records to this user.")]})
    now = timezone.now()
    by_owner: dict[int, list[int]] = {}
    events = []
    for contact, owner in routes:
        if contact.owner_id == owner.pk:
            continue
        by_owner.setdefault(owner.pk, []).append(contact.pk)
        changes = diff_fields({"owner_id": contact.owner_id}, {"owner_id": owner.pk})
        contact.owner = owner
        contact.updated_at = now
        contact.version += 1
        events.append(
            build_event(
                Verb.UPDATED, actor=None, target=contact, via=via, contact_id=contact.pk,
                data={"changes": changes},
            )
        )  # fmt: skip
    for owner_id, ids in by_owner.items():
        Contact.objects.filter(pk__in=ids).update(
            owner_id=owner_id, updated_at=now, version=F("version") + 1
        )
    if events:
        record_events(events)


@transaction.atomic
def delete_contact(contact: Contact, *, actor: User, via: str = Via.UI) -> Contact:
    """Move a contact to the trash (restorable)."""
    require_capability(actor, "contacts.delete", _("Your role cannot delete records."))
    return set_deleted(contact, timezone.now(), actor=actor, via=via)


@transaction.atomic
def restore_contact(contact: Contact, *, actor: User, via: str = Via.UI) -> Contact:
    """Bring a contact back from the trash."""
    require_capability(actor, "contacts.delete", _("Your role cannot restore records."))
    if contact.merged_into_id:
        raise Conflict(_("This contact was merged into another one: undo the merge instead."))
    return set_deleted(contact, None, actor=actor, via=via)


@transaction.atomic
def create_contact_at_company(
    *, actor: User, data: Mapping[str, Any], company_name: str, via: str = Via.UI
) -> Contact:
    """Create a contact at the visible company with this name, creating the company if none.

    One transaction: when the contact is invalid, no company is left behind.
    """
    name = " ".join(company_name.split())
    company: Company | None = None
    if name:
        visible = companies_visible_to(actor).order_by("id")
        company = visible.filter(name=name).first() or visible.filter(name__iexact=name).first()
        if company is None:
            try:
                company = create_company(actor=actor, data={"name": name}, via=via)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    {("company" if k == "name" else k): v for k, v in exc.errors.items()}
                ) from exc
    return create_contact(
        actor=actor, data={**data, "company": company.pk if company else None}, via=via
    )
