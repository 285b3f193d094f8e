"""Writes for contacts and companies: the only code that creates, changes, merges or deletes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.queries import assignable_owners, has_capability
from clientela.contacts.choices import ContactVerb, Entity
from clientela.contacts.models import Company, Consent, Contact, CustomField, Merge, Note, Tag
from clientela.contacts.normalize import search_key
from clientela.contacts.queries import (
    companies_visible_to,
    contacts_visible_to,
    custom_fields_for,
    get_company_for_user,
)
from clientela.contacts.validation import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    Errors,
    clean_common,
    clean_custom,
    require_identity,
)
from clientela.core.exceptions import (
    Conflict,
    DuplicateRecord,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from clientela.core.locks import lock_name
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import diff_fields, record_event

MERGEABLE_FIELDS = (
    "first_name", "last_name", "email", "phone", "job_title", "company_id", "city", "country",
    "birthday", "language", "lifecycle_stage", "lead_status", "source", "owner_id",
    *(f"{t}_utm_{p}" for t in ("first", "last") for p in ("source", "medium", "campaign", "term", "content")),
    "first_touch_at", "last_touch_at", "external_id",
)  # fmt: skip


# Rows of other apps that follow a contact through a merge: (app_label.Model, FK field name).
# Apps register theirs in AppConfig.ready(), so contacts never imports them.
MERGE_RELATIONS: list[tuple[str, str]] = []


def register_merge_relation(model_label: str, field_name: str) -> None:
    """Make merges move rows of `model_label` whose `field_name` points at the merged contact."""
    if (model_label, field_name) not in MERGE_RELATIONS:
        MERGE_RELATIONS.append((model_label, field_name))


# Told, after a merge or its undo commits, which contacts changed: f(contact_ids). Apps that
# keep data derived from a contact's rows (customer value) register in AppConfig.ready().
MERGE_LISTENERS: list[Callable[[list[int]], None]] = []


def register_merge_listener(listener: Callable[[list[int]], None]) -> None:
    """Call `listener(contact_ids)` after every merge and undo of a merge commits."""
    if listener not in MERGE_LISTENERS:
        MERGE_LISTENERS.append(listener)


def _notify_merge(*contact_ids: int) -> None:
    for listener in MERGE_LISTENERS:
        transaction.on_commit(partial(listener, list(contact_ids)))


def _move_related(
    relations: dict[str, list[int]] | None, source: Contact, target: Contact
) -> dict[str, list[int]]:
    """Re-point registered related rows from `source` to `target`; return the moved ids by model."""
    from django.apps import apps

    moved: dict[str, list[int]] = {}
    for label, field_name in MERGE_RELATIONS:
        model = apps.get_model(label)
        key = f"{label}.{field_name}"
        if relations is None:
            ids = list(
                model._default_manager.filter(**{field_name: source}).values_list("pk", flat=True)
            )
        else:
            ids = relations.get(key, [])
        model._default_manager.filter(pk__in=ids).update(**{field_name: target})
        moved[key] = ids
    return moved


def region() -> str:
    """The default phone region of the installation (CO unless configured)."""
    return str(settings.CLIENTELA["DEFAULT_PHONE_REGION"])


def _require(actor: Any, capability: str, message: str) -> None:
    if not has_capability(actor, capability):
        raise Forbidden(message)


def contact_search_text(contact: Contact) -> str:
    """Folded text used by list search."""
    return search_key(contact.first_name, contact.last_name, contact.email, contact.phone)


def _resolve_relations(data: Mapping[str, Any], actor: Any, errors: Errors) -> dict[str, Any]:
    """Check owner and company references against what the actor may use."""
    out: dict[str, Any] = {}
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


def _snapshot(record: Contact | Company) -> dict[str, Any]:
    """The fields an edit can change, to diff before against after."""
    names = MERGEABLE_FIELDS if isinstance(record, Contact) else (*COMPANY_FIELDS, "owner_id")
    data = {name: getattr(record, name) for name in names}
    data["custom"] = dict(record.custom)
    return data


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """Existing or new tags for the given names (case-insensitive)."""
    tags: list[Tag] = []
    for raw in names:
        name = " ".join(str(raw).split())[:60]
        if not name:
            continue
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags


R = TypeVar("R", Contact, Company)
NO_TAGS = object()  # "tags" absent from an update: leave them as they are


def _record_on_timeline(
    verb: str, record: Contact | Company, *, actor: Any, via: str, data: Any = None
) -> None:
    """An event about this record, on the contact's or the company's own timeline."""
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


def _lock_current(model: type[R], pk: int, expected_version: int | None) -> R:
    """The record locked for update; refused when someone changed it since it was read."""
    locked = model.objects.select_for_update().get(pk=pk)
    if expected_version is not None and locked.version != expected_version:
        if model is Contact:
            message = _("Someone else changed this contact meanwhile. Reload it and try again.")
        else:
            message = _("Someone else changed this company meanwhile. Reload it and try again.")
        raise Conflict(message)
    return locked


def _apply_changes(
    locked: Contact | Company,
    *,
    actor: Any,
    via: str,
    values: Mapping[str, Any],
    custom: Mapping[str, Any],
    tags: Any,
) -> None:
    """Set validated values, custom fields and tags; save and record only what changed.

    The timeline event lists every changed field as [before, after], tags included; an edit
    that changes nothing writes nothing and bumps no version.
    """
    before = _snapshot(locked)
    for key, value in values.items():
        setattr(locked, key, value)
    if custom:
        locked.custom = {k: v for k, v in {**locked.custom, **custom}.items() if v is not None}
    changes = diff_fields(before, _snapshot(locked))
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
    _record_on_timeline(Verb.UPDATED, locked, actor=actor, via=via, data={"changes": changes})


def _set_deleted(record: R, deleted_at: Any, *, actor: Any, via: str) -> R:
    """Move a record to the trash (a time) or back out of it (None), on its timeline."""
    type(record).objects.filter(pk=record.pk).update(
        deleted_at=deleted_at, version=F("version") + 1
    )
    record.refresh_from_db()
    verb = Verb.RESTORED if deleted_at is None else Verb.DELETED
    _record_on_timeline(verb, record, actor=actor, via=via)
    return record


def refuse_email_in_use(email: str, *, actor: Any, exclude: int | None = None) -> None:
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
    if contacts_visible_to(actor).filter(pk=existing_id).exists():
        message = _("Contact #%(id)s already has this e-mail. Open it or merge instead.") % {
            "id": existing_id
        }
        raise DuplicateRecord({"email": [message]}, existing_id=existing_id)
    message = _(
        "A contact with this e-mail already exists and is owned by someone outside your scope."
    )
    raise DuplicateRecord({"email": [message]})


@transaction.atomic
def create_contact(*, actor: Any, data: Mapping[str, Any], via: str = Via.UI) -> Contact:
    """Validate and create a contact owned by the actor unless another owner is given."""
    _require(actor, "contacts.write", _("Your role can only read records."))
    errors: Errors = {}
    values = clean_common(data, CONTACT_FIELDS, region=region(), errors=errors)
    values.update(_resolve_relations({"owner": actor.pk, **data}, actor, errors))
    custom = clean_custom(data.get("custom") or {}, custom_fields_for(Entity.CONTACT), errors)
    require_identity(values, errors)
    if errors:
        raise ValidationFailed(errors)
    refuse_email_in_use(values.get("email") or "", actor=actor)
    contact = Contact(**values, custom={k: v for k, v in custom.items() if v is not None})
    contact.created_by = actor if getattr(actor, "pk", None) else None
    contact.created_via = via
    contact.search_text = contact_search_text(contact)
    contact.save()
    if data.get("tags"):
        contact.tags.set(tags_from_names(data["tags"]))
    record_event(Verb.CREATED, actor=actor, target=contact, via=via, contact_id=contact.pk)
    return contact


@transaction.atomic
def update_contact(
    contact: Contact,
    *,
    actor: Any,
    data: Mapping[str, Any],
    via: str = Via.UI,
    expected_version: int | None = None,
) -> Contact:
    """Change the given fields of a visible contact; stale versions are refused."""
    _require(actor, "contacts.write", _("Your role can only read records."))
    locked = _lock_current(Contact, contact.pk, expected_version)
    errors: Errors = {}
    values = clean_common(data, CONTACT_FIELDS, region=region(), errors=errors)
    values.update(_resolve_relations(data, actor, errors))
    custom_in = data.get("custom")
    custom = clean_custom(custom_in, custom_fields_for(Entity.CONTACT), errors) if custom_in else {}
    merged = {**_snapshot(locked), **values}
    require_identity(merged, errors)
    if errors:
        raise ValidationFailed(errors)
    if values.get("email") and values["email"] != locked.email:
        refuse_email_in_use(values["email"], actor=actor, exclude=locked.pk)
    _apply_changes(
        locked, actor=actor, via=via, values=values, custom=custom, tags=data.get("tags", NO_TAGS)
    )
    return locked


@transaction.atomic
def delete_contact(contact: Contact, *, actor: Any, via: str = Via.UI) -> Contact:
    """Move a contact to the trash (restorable)."""
    _require(actor, "contacts.delete", _("Your role cannot delete records."))
    return _set_deleted(contact, timezone.now(), actor=actor, via=via)


@transaction.atomic
def restore_contact(contact: Contact, *, actor: Any, via: str = Via.UI) -> Contact:
    """Bring a contact back from the trash."""
    _require(actor, "contacts.delete", _("Your role cannot restore records."))
    if contact.merged_into_id:
        raise Conflict(_("This contact was merged into another one: undo the merge instead."))
    return _set_deleted(contact, None, actor=actor, via=via)


@transaction.atomic
def add_note(
    *,
    actor: Any,
    body: str,
    contact: Contact | None = None,
    company: Company | None = None,
    via: str = Via.UI,
) -> Note:
    """Attach a note to a contact or a company."""
    _require(actor, "contacts.write", _("Your role can only read records."))
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": _("Write something first.")})
    if len(body) > 10000:
        raise ValidationFailed({"body": _("Use at most 10,000 characters.")})
    note = Note.objects.create(contact=contact, company=company, author=actor, body=body)
    target: Contact | Company = contact or company  # type: ignore[assignment]
    record_event(
        ContactVerb.NOTE, actor=actor, target=target, via=via, data={"body": body[:2000], "note_id": note.pk},
        contact_id=contact.pk if contact else None, company_id=company.pk if company else None,
    )  # fmt: skip
    return note


@transaction.atomic
def record_consent(
    contact: Contact,
    *,
    actor: Any,
    channel: str,
    purpose: str,
    status: str,
    source: str = "",
    proof: str = "",
    via: str = Via.UI,
) -> Consent:
    """Append a consent decision with its source and proof (Habeas Data / GDPR)."""
    from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus

    _require(actor, "contacts.write", _("Your role can only read records."))
    errors: Errors = {}
    if channel not in ConsentChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if status not in ConsentStatus.values:
        errors["status"] = [_("Choose granted, denied or withdrawn.")]
    if status == ConsentStatus.GRANTED and not (source.strip() or proof.strip()):
        errors["source"] = [_("Say where the consent was given (form, call, signed document…).")]
    if errors:
        raise ValidationFailed(errors)
    consent = Consent.objects.create(
        contact=contact, channel=channel, purpose=purpose, status=status,
        source=source.strip()[:200], proof=proof.strip(), recorded_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    record_event(
        ContactVerb.CONSENT, actor=actor, target=contact, via=via, contact_id=contact.pk,
        data={"channel": channel, "purpose": purpose, "status": status, "source": consent.source},
    )  # fmt: skip
    return consent


@transaction.atomic
def merge_contacts(
    survivor: Contact,
    other: Contact,
    *,
    actor: Any,
    take_from_other: Iterable[str] = (),
    fill_empty: bool = True,
    via: str = Via.UI,
) -> Merge:
    """Merge `other` into `survivor`; fields listed in `take_from_other` (and, with `fill_empty`,
    those empty on the survivor) come from `other`. Tags, notes, consents, events and registered
    related rows (e.g. orders) move; `other` goes to the trash."""
    _require(actor, "contacts.merge", _("Your role cannot merge records."))
    if survivor.pk == other.pk:
        raise ValidationFailed({"other": _("Choose two different contacts.")})
    pair = {
        c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk])
    }
    survivor, other = pair[survivor.pk], pair[other.pk]
    if survivor.deleted_at or other.deleted_at:
        raise Conflict(_("One of these contacts is in the trash."))
    chosen = set(take_from_other)
    unknown = chosen - set(MERGEABLE_FIELDS) - {"custom"}
    if unknown:
        raise ValidationFailed(
            {"fields": [_("Unknown field: %(name)s") % {"name": n} for n in sorted(unknown)]}
        )
    before = _snapshot(survivor)
    for name in MERGEABLE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if name in chosen or (fill_empty and mine in (None, "") and theirs not in (None, "")):
            setattr(survivor, name, theirs)
    survivor.custom = (
        {**other.custom, **survivor.custom}
        if "custom" not in chosen
        else {**survivor.custom, **other.custom}
    )
    moved: dict[str, Any] = {
        "tags": sorted(
            set(other.tags.values_list("id", flat=True))
            - set(survivor.tags.values_list("id", flat=True))
        ),
        "notes": list(other.notes.values_list("id", flat=True)),
        "consents": list(other.consents.values_list("id", flat=True)),
        "events": list(other.events.values_list("id", flat=True)),
        "survivor_tags": sorted(survivor.tags.values_list("id", flat=True)),
    }
    survivor.tags.add(*moved["tags"])
    Note.objects.filter(id__in=moved["notes"]).update(contact=survivor)
    Consent.objects.filter(id__in=moved["consents"]).update(contact=survivor)
    from clientela.timeline.models import Event

    Event.objects.filter(id__in=moved["events"]).update(contact=survivor)
    moved["related"] = _move_related(None, other, survivor)
    survivor.search_text = contact_search_text(survivor)
    survivor.updated_at = timezone.now()
    survivor.version += 1
    survivor.save()
    other.deleted_at = timezone.now()
    other.merged_into = survivor
    other.version += 1
    other.save(update_fields=["deleted_at", "merged_into", "version"])
    merge = Merge.objects.create(
        entity=Entity.CONTACT, survivor_id=survivor.pk, merged_id=other.pk,
        survivor_before={k: _jsonish(v) for k, v in before.items()}, moved=moved, actor=actor,
    )  # fmt: skip
    record_event(
        ContactVerb.MERGED, actor=actor, target=survivor, via=via, contact_id=survivor.pk,
        data={"merged_id": other.pk, "merged": str(other), "merge_id": merge.pk,
              "changes": diff_fields(before, _snapshot(survivor)),
              # The merged record's own "created" entry is derived from its row, which
              # leaves the card: keep where it came from so the timeline can still say it.
              "merged_created_at": other.created_at.isoformat(),
              "merged_created_via": other.created_via, "merged_import_job": other.import_job_id},
    )  # fmt: skip
    _notify_merge(survivor.pk, other.pk)
    return merge


def _jsonish(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def undo_merge(merge: Merge, *, actor: Any, via: str = Via.UI) -> Contact:
    """Reverse a merge: the survivor gets its old values back and the merged contact returns."""
    from datetime import date, datetime

    from clientela.timeline.models import Event

    _require(actor, "contacts.merge", _("Your role cannot merge records."))
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at:
        raise Conflict(_("This merge was already undone."))
    try:
        survivor = Contact.objects.select_for_update().get(pk=merge.survivor_id)
        other = Contact.objects.select_for_update().get(pk=merge.merged_id)
    except Contact.DoesNotExist as exc:
        raise NotFound(_("Contact not found.")) from exc
    for name, value in merge.survivor_before.items():
        if name == "custom":
            survivor.custom = value
        elif name == "birthday" and value:
            survivor.birthday = date.fromisoformat(value)
        elif name.endswith("_touch_at") and value:
            setattr(survivor, name, datetime.fromisoformat(value))
        else:
            setattr(survivor, name, value)
    moved = merge.moved
    survivor.tags.set(moved.get("survivor_tags", []))
    Note.objects.filter(id__in=moved.get("notes", [])).update(contact=other)
    Consent.objects.filter(id__in=moved.get("consents", [])).update(contact=other)
    Event.objects.filter(id__in=moved.get("events", [])).update(contact=other)
    _move_related(moved.get("related", {}), survivor, other)
    survivor.search_text = contact_search_text(survivor)
    survivor.updated_at = timezone.now()
    survivor.version += 1
    survivor.save()
    other.deleted_at = None
    other.merged_into = None
    other.version += 1
    other.save(update_fields=["deleted_at", "merged_into", "version"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    for contact in (survivor, other):
        record_event(
            ContactVerb.MERGE_UNDONE, actor=actor, target=contact, via=via, contact_id=contact.pk,
            data={"merge_id": merge.pk, "survivor_id": survivor.pk, "merged_id": other.pk},
        )  # fmt: skip
    _notify_merge(survivor.pk, other.pk)
    return other


def company_search_text(company: Company) -> str:
    """Folded text used by company search."""
    return search_key(company.name, company.domain, company.email, company.phone, company.tax_id)


@transaction.atomic
def create_company(*, actor: Any, data: Mapping[str, Any], via: str = Via.UI) -> Company:
    """Validate and create a company."""
    _require(actor, "contacts.write", _("Your role can only read records."))
    errors: Errors = {}
    values = clean_common(data, COMPANY_FIELDS, region=region(), errors=errors)
    values.update(
        _resolve_relations(
            {"owner": actor.pk, **{k: v for k, v in data.items() if k == "owner"}}, actor, errors
        )
    )
    custom = clean_custom(data.get("custom") or {}, custom_fields_for(Entity.COMPANY), errors)
    if not values.get("name"):
        errors.setdefault("name", []).append(_("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    company = Company(**values, custom={k: v for k, v in custom.items() if v is not None})
    company.created_by = actor if getattr(actor, "pk", None) else None
    company.created_via = via
    company.search_text = company_search_text(company)
    company.save()
    if data.get("tags"):
        company.tags.set(tags_from_names(data["tags"]))
    record_event(Verb.CREATED, actor=actor, target=company, via=via, company_id=company.pk)
    return company


@transaction.atomic
def update_company(
    company: Company,
    *,
    actor: Any,
    data: Mapping[str, Any],
    via: str = Via.UI,
    expected_version: int | None = None,
) -> Company:
    """Change the given fields of a visible company."""
    _require(actor, "contacts.write", _("Your role can only read records."))
    locked = _lock_current(Company, company.pk, expected_version)
    errors: Errors = {}
    values = clean_common(data, COMPANY_FIELDS, region=region(), errors=errors)
    values.update(
        _resolve_relations({k: v for k, v in data.items() if k == "owner"}, actor, errors)
    )
    custom_in = data.get("custom")
    custom = clean_custom(custom_in, custom_fields_for(Entity.COMPANY), errors) if custom_in else {}
    if "name" in values and not values["name"]:
        errors.setdefault("name", []).append(_("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    _apply_changes(
        locked, actor=actor, via=via, values=values, custom=custom, tags=data.get("tags", NO_TAGS)
    )
    return locked


@transaction.atomic
def delete_company(company: Company, *, actor: Any, via: str = Via.UI) -> Company:
    """Move a company to the trash; its contacts keep existing."""
    _require(actor, "contacts.delete", _("Your role cannot delete records."))
    return _set_deleted(company, timezone.now(), actor=actor, via=via)


@transaction.atomic
def restore_company(company: Company, *, actor: Any, via: str = Via.UI) -> Company:
    """Bring a company back from the trash."""
    _require(actor, "contacts.delete", _("Your role cannot restore records."))
    return _set_deleted(company, None, actor=actor, via=via)


@transaction.atomic
def save_custom_field(
    *,
    actor: Any,
    entity: str,
    key: str,
    field_type: str,
    label: str = "",
    label_es: str = "",
    label_en: str = "",
    choices: Iterable[str] = (),
    choices_en: Iterable[str] = (),
    field: CustomField | None = None,
) -> CustomField:
    """Create or change a custom field definition (administrators only).

    The label has a Spanish and an English version (`label` sets both when one is enough);
    `choices` are the options' stored values and `choices_en`, position by position, how each
    reads in English.
    """
    from django.utils.text import slugify

    from clientela.contacts.choices import CustomFieldType

    _require(actor, "accounts.manage_users", _("Only administrators can define custom fields."))
    errors: Errors = {}
    label_es, label_en = (label_es or label).strip(), (label_en or label).strip()
    key = slugify(key or label_es or label_en).replace("-", "_")[:50]
    if not (label_es or label_en):
        errors["label_es"] = [_("Enter the label people will see.")]
    if entity not in Entity.values:
        errors["entity"] = [_("Choose contacts or companies.")]
    if field_type not in CustomFieldType.values:
        errors["field_type"] = [_("Choose a type.")]
    options = [c.strip() for c in choices if c.strip()]
    if field_type == CustomFieldType.CHOICE and not options:
        errors["choices"] = [_("List at least one choice.")]
    english = [c.strip() for c in choices_en]
    while english and not english[-1]:
        english.pop()
    if len(english) > len(options):
        errors["choices_en"] = [_("Give one English name per choice, in the same order.")]
    clash = CustomField.objects.filter(entity=entity, key=key)
    if field is not None:
        clash = clash.exclude(pk=field.pk)
    if key and clash.exists():
        errors["key"] = [_("Another field already uses this key.")]
    if errors:
        raise ValidationFailed(errors)
    field = field or CustomField(entity=entity, key=key)
    field.label_es, field.label_en = label_es, label_en
    field.field_type = field_type
    field.choices = options
    field.choices_en = english if field_type == CustomFieldType.CHOICE else []
    field.save()
    record_event(
        Verb.UPDATED,
        actor=actor,
        target=field,
        data={"label_es": label_es, "label_en": label_en, "type": field_type},
    )
    return field


def get_company_or_404(actor: Any, company_id: Any) -> Company:
    """Re-export for adapters that only import services."""
    return get_company_for_user(actor, company_id)


@transaction.atomic
def create_contact_at_company(
    *, actor: Any, data: Mapping[str, Any], company_name: str, via: str = Via.UI
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
