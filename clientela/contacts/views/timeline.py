"""Turning timeline Event rows into sentences a sales rep reads at a glance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, users_visible_to
from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    ContactVerb,
    CustomFieldType,
    Entity,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.models import Company, Contact, CustomField, Merge
from clientela.contacts.normalize import format_phone
from clientela.contacts.queries import companies_visible_to, contacts_visible_to
from clientela.core.events import (
    HIDDEN,
    DataKey,
    DataKind,
    Verb,
    register_data_keys,
    register_verbs,
    verb_spec,
    via_label,
)
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.rendering import (
    Change,
    Entry,
    changes_entry,
    html,
    stored_value,
    who,
)

EVENT_LIMIT = 100
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "lifecycle_stage": dict(LifecycleStage.choices),
    "lead_status": dict(LeadStatus.choices),
    "source": dict(Source.choices),
    "language": {"es": gettext_lazy("Spanish"), "en": gettext_lazy("English")},
}


def plain_value(name: str, raw: Any) -> str:
    """Return a field value (Python or as stored in event JSON) as people read it."""
    if raw is None or raw == "" or raw == []:
        return "—"
    if isinstance(raw, str) and name in CHOICE_LABELS:
        return str(CHOICE_LABELS[name].get(raw, raw))
    if name == "phone" and not isinstance(raw, list | bool):
        return format_phone(str(raw))
    return stored_value(name, raw)


def field_label(model: type[Model], name: str) -> str:
    """Return a model field's verbose name, capitalised (owner_id → Owner)."""
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        found = model._meta.get_field(name.removesuffix("_id"))
    return str(capfirst(getattr(found, "verbose_name", name)))


CONTACT_TYPE = "contacts.contact"
LABEL_KEYS = ("label", "verb_label", "title", "summary")


def verb_label(verb: str, data: Mapping[str, Any]) -> str:
    """Return a readable name for any verb: its registered label, else a label the event carries."""
    spec = verb_spec(verb)
    if spec is not None:
        return str(spec.label)
    for key in LABEL_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _("activity")


class Renderer:
    """Renders the events of one contact or company, looking up referenced names in bulk."""

    def __init__(
        self,
        user: User,
        record: Contact | Company,
        events: list[Event],
        custom_fields: Mapping[str, CustomField],
        undoable_merges: Iterable[int] = (),
    ) -> None:
        self.user = user
        self.record = record
        self.is_contact = isinstance(record, Contact)
        self.model: type[Model] = Contact if self.is_contact else Company
        self.custom_fields = custom_fields
        self.undoable = set(undoable_merges)
        self.events = events
        owner_ids: set[int] = set()
        company_ids: set[int] = set()
        for event in events:
            for name, pair in (event.data.get("changes") or {}).items():
                bucket = (
                    owner_ids
                    if name == "owner_id"
                    else company_ids
                    if name == "company_id"
                    else None
                )
                if bucket is not None:
                    bucket.update(v for v in pair if isinstance(v, int))
        self.users = (
            {u.pk: who(u) for u in users_visible_to(user).filter(pk__in=owner_ids)}
            if owner_ids
            else {}
        )
        self.companies = (
            dict(companies_visible_to(user).filter(pk__in=company_ids).values_list("pk", "name"))
            if company_ids
            else {}
        )
        self.can_import = has_capability(user, "contacts.import")
        # Events that came over with a merge keep their old target; only those are "from a
        # merged contact" (a purchase's target is an order, and is this contact's own).
        self.merged_ids: set[str] = set()
        if self.is_contact and any(self.foreign_contact(e) for e in events):
            self.merged_ids = {
                str(pk)
                for pk in Merge.objects.filter(
                    entity=Entity.CONTACT, survivor_id=record.pk
                ).values_list("merged_id", flat=True)
            } | {
                str(pk)
                for pk in Contact.objects.filter(merged_into_id=record.pk).values_list(
                    "pk", flat=True
                )
            }
        other_ids = {
            other
            for e in events
            if e.verb == ContactVerb.MERGE_UNDONE
            and isinstance(other := self.undo_other(e.data or {}), int)
        }
        self.contact_names: dict[int, str] = (
            {c.pk: str(c) for c in contacts_visible_to(user).filter(pk__in=other_ids)}
            if other_ids
            else {}
        )

    def foreign_contact(self, event: Event) -> bool:
        """Whether the event is about another contact (and so could come from a merge)."""
        return event.target_type == CONTACT_TYPE and event.target_id != str(self.record.pk)

    def from_merged(self, event: Event) -> bool:
        """Whether the event was recorded on a contact later merged into this one."""
        return self.foreign_contact(event) and event.target_id in self.merged_ids

    def undo_other(self, data: Mapping[str, Any]) -> Any:
        """Return the contact a merge undo separated from this one."""
        survivor, merged = data.get("survivor_id"), data.get("merged_id")
        return merged if survivor == self.record.pk else survivor

    def import_job_link(self, job: object) -> str:
        """Return the import job's page, for users allowed to open it."""
        if not self.can_import or not isinstance(job, int):
            return ""
        return reverse("contacts:import_job", args=[job])

    # Values -----------------------------------------------------------------------------------
    def label(self, name: str) -> str:
        """Return the human name of a changed field."""
        if name == "tags":
            return _("Tags")
        try:
            return field_label(self.model, name)
        except FieldDoesNotExist:
            return name

    def value(self, name: str, raw: Any) -> str:
        """Return a stored value as people read it, related records by name."""
        if name == "owner_id" and isinstance(raw, int):
            return self.users.get(raw, f"#{raw}")
        if name == "company_id" and isinstance(raw, int):
            return self.companies.get(raw, f"#{raw}")
        return plain_value(name, raw)

    def changes(self, data: Mapping[str, Any]) -> list[Change]:
        """Return the field changes an event carries, custom fields expanded one by one."""
        out: list[Change] = []
        for name, pair in (data.get("changes") or {}).items():
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            old, new = pair
            if name == "custom":
                old, new = old or {}, new or {}
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        definition = self.custom_fields.get(key)
                        label = definition.label if definition else key
                        before, after = old.get(key), new.get(key)
                        if definition is not None and definition.choices:
                            # An option reads in the reader's language.
                            before = definition.option_label(before) if before else before
                            after = definition.option_label(after) if after else after
                        out.append(Change(label, self.value(key, before), self.value(key, after)))
                continue
            out.append(Change(self.label(name), self.value(name, old), self.value(name, new)))
        return out

    # Sentences --------------------------------------------------------------------------------
    def created_entry(self) -> Entry:
        """Tell the record's creation from the record itself (imports write no event per row)."""
        record = self.record
        via = record.created_via
        if via == Via.IMPORT:
            if record.import_job_id:
                sentence = html(_("Created by import #%(job)s"), job=record.import_job_id)
            else:
                sentence = html(_("Created by an import"))
        elif self.is_contact:
            sentence = html(_("%(who)s created this contact"), who=who(record.created_by))
        else:
            sentence = html(_("%(who)s created this company"), who=who(record.created_by))
        entry = Entry(record.created_at, "created", sentence, via=self.via_label(via))
        if via == Via.IMPORT:
            entry.link = self.import_job_link(record.import_job_id)
            entry.link_text = _("Open the import")
        if via == Via.IMPORT and record.created_by_id:
            entry.note = _("Import started by %(who)s") % {"who": who(record.created_by)}
        return entry

    @staticmethod
    def via_label(via: str) -> str:
        """Return where a change came from, as a short label in the reader's language.

        "Demo data", never the stored "seed"; none for the web UI (the usual case).
        """
        return "" if via == Via.UI else str(capfirst(via_label(via)))

    @property
    def this(self) -> str:
        """How the record is named in a sentence."""
        return _("this contact") if self.is_contact else _("this company")

    def entry(self, event: Event) -> Entry | None:
        """Return one event as a timeline line, as its verb's registered sentence reads.

        None for events shown elsewhere. A verb no app registered gets the generic sentence.
        """
        entry = Entry(event.created_at, event.verb, mark_safe(""), via=self.via_label(event.via))
        if self.from_merged(event):
            entry.note = _("On “%(name)s”, later merged into this contact.") % {
                "name": event.target_repr
            }
        spec = verb_spec(event.verb)
        sentence = spec.timeline if spec is not None else None
        if sentence is not None and sentence(self, event, entry) is None:
            return None
        if not entry.sentence:
            entry.sentence = self.generic_sentence(event)
        return entry

    @staticmethod
    def generic_sentence(event: Event) -> SafeString:
        """Who did what; other apps' events (a purchase on an order) name their record."""
        what = verb_label(event.verb, event.data or {})
        if event.target_repr and not event.target_type.startswith("contacts."):
            return html(
                _("%(who)s: %(what)s (%(record)s)"),
                who=who(event.actor),
                what=what,
                record=event.target_repr,
            )
        return html(_("%(who)s: %(what)s"), who=who(event.actor), what=what)

    def entries(self, *, include_created: bool = True) -> list[Entry]:
        """Every line, newest first, the creation last."""
        lines = [e for e in (self.entry(event) for event in self.events) if e is not None]
        if include_created:
            lines.append(self.created_entry())
        lines.sort(key=lambda e: e.when, reverse=True)
        return lines


def timeline_for(
    user: User,
    record: Contact | Company,
    custom_fields: Mapping[str, CustomField],
    *,
    undoable_merges: Iterable[int] = (),
    limit: int = EVENT_LIMIT,
) -> tuple[list[Entry], bool]:
    """Return the record's timeline and whether older events were left out."""
    events = list(record.events.select_related("actor").order_by("-created_at", "-id")[: limit + 1])
    truncated = len(events) > limit
    renderer = Renderer(user, record, events[:limit], custom_fields, undoable_merges)
    # When older events are left out, the creation belongs to the part not shown.
    return renderer.entries(include_created=not truncated), truncated


# Sentences of contacts' own verbs (registered in ContactsConfig.ready) -------------------------
def note_entry(timeline: Renderer, event: Event, entry: Entry) -> Entry:
    """Tell a note, its text under the sentence."""
    entry.sentence = html(_("%(who)s added a note"), who=who(event.actor))
    entry.body = str((event.data or {}).get("body", ""))
    return entry


def consent_entry(timeline: Renderer, event: Event, entry: Entry) -> Entry:
    """Tell a consent recorded for a channel and purpose."""
    data = event.data or {}
    channel, purpose, status = (
        str(data.get("channel", "")),
        str(data.get("purpose", "")),
        str(data.get("status", "")),
    )
    entry.sentence = html(
        _("%(who)s recorded consent for %(channel)s · %(purpose)s: %(status)s"),
        who=who(event.actor),
        channel=dict(ConsentChannel.choices).get(channel, channel),
        purpose=dict(ConsentPurpose.choices).get(purpose, purpose),
        status=dict(ConsentStatus.choices).get(status, status),
    )
    if data.get("source"):
        entry.note = _("Source: %(source)s") % {"source": data["source"]}
    return entry


def merged_entry(timeline: Renderer, event: Event, entry: Entry) -> Entry:
    """Another record merged into this one (undoable while the merge stands)."""
    data = event.data or {}
    actor = who(event.actor)
    name = data.get("merged") or (
        f"#{data['merged_id']}" if data.get("merged_id") else _("another contact")
    )
    job = data.get("merged_import_job")
    if data.get("merged_created_via") == Via.IMPORT and isinstance(job, int):
        entry.sentence = html(
            _("%(who)s merged “%(name)s” into %(this)s (created by import #%(job)s)"),
            who=actor,
            name=name,
            this=timeline.this,
            job=job,
        )
        entry.link = timeline.import_job_link(job)
        entry.link_text = _("Open the import")
    else:
        entry.sentence = html(
            _("%(who)s merged “%(name)s” into %(this)s"),
            who=actor,
            name=name,
            this=timeline.this,
        )
    entry.changes = timeline.changes(data)
    merge_id = data.get("merge_id")
    if isinstance(merge_id, int) and merge_id in timeline.undoable:
        entry.merge_id = merge_id
    return entry


def merge_undone_entry(timeline: Renderer, event: Event, entry: Entry) -> Entry:
    """Tell a merge undone: the other contact, linked when the reader may see it."""
    actor = who(event.actor)
    other = timeline.undo_other(event.data or {})
    name = timeline.contact_names.get(other) if isinstance(other, int) else None
    if name:
        entry.sentence = html(
            _("%(who)s undid a merge: “%(name)s” is a separate contact again"),
            who=actor,
            name=name,
        )
        entry.link = reverse("contacts:contact_detail", args=[other])
        entry.link_text = _("Open that contact")
    else:
        entry.sentence = html(
            _("%(who)s undid a merge: contact #%(other)s is separate again"),
            who=actor,
            other=other or "?",
        )
    return entry


def register_contact_verbs() -> None:
    """Register contacts' verbs and how they read (from ContactsConfig.ready)."""
    register_verbs(
        ContactVerb,
        timeline={
            ContactVerb.NOTE: note_entry,
            ContactVerb.CONSENT: consent_entry,
            ContactVerb.MERGED: merged_entry,
            ContactVerb.MERGE_UNDONE: merge_undone_entry,
            ContactVerb.TAGGED: changes_entry,
        },
    )
    # How contacts' events' details read in the audit log (ids are the software's business).
    register_data_keys(
        {"merge_id": HIDDEN, "merged_id": HIDDEN, "survivor_id": HIDDEN, "note_id": HIDDEN}
    )
    register_data_keys(
        {
            "merged": DataKey(gettext_lazy("Merged contact")),
            "merged_created_at": DataKey(gettext_lazy("Merged contact created"), DataKind.MOMENT),
            "merged_created_via": DataKey(gettext_lazy("Merged contact came from"), DataKind.VIA),
            "merged_import_job": HIDDEN,
        },
        verbs=[ContactVerb.MERGED],
    )
    register_data_keys({"body": DataKey(gettext_lazy("Note"))}, verbs=[ContactVerb.NOTE])
    register_data_keys(
        {
            "channel": DataKey(
                gettext_lazy("Channel"), DataKind.CHOICE, dict(ConsentChannel.choices)
            ),
            "purpose": DataKey(
                gettext_lazy("Purpose"), DataKind.CHOICE, dict(ConsentPurpose.choices)
            ),
            "status": DataKey(
                gettext_lazy("Decision"), DataKind.CHOICE, dict(ConsentStatus.choices)
            ),
            "source": DataKey(gettext_lazy("Where it was given")),
        },
        verbs=[ContactVerb.CONSENT],
    )
    register_data_keys(
        {"type": DataKey(gettext_lazy("Type"), DataKind.CHOICE, dict(CustomFieldType.choices))},
        verbs=[Verb.UPDATED],
    )
