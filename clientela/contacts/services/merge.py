"""Merging two contacts and undoing it, with the registries other apps' rows and derived data
follow merges through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.contacts.choices import ContactVerb, Entity
from clientela.contacts.models import Consent, Contact, Merge, Note
from clientela.contacts.services.records import (
    MERGEABLE_FIELDS,
    contact_search_text,
    require_capability,
    snapshot_fields,
)
from clientela.core.exceptions import Conflict, NotFound, ValidationFailed
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import diff_fields, record_event

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
    require_capability(actor, "contacts.merge", _("Your role cannot merge records."))
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
    before = snapshot_fields(survivor)
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
              "changes": diff_fields(before, snapshot_fields(survivor)),
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
    require_capability(actor, "contacts.merge", _("Your role cannot merge records."))
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
