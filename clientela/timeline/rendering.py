"""How events read on a record's timeline: the entry, its pieces and the lifecycle sentences.

A record's timeline screen (the contact and company cards) builds one `Entry` per event and
asks the verb registry (clientela.core.events) how the event reads. The sentences of the
record-lifecycle verbs live here; each app registers the sentences of its own verbs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clientela.accounts.models import User
from clientela.core.events import (
    HIDDEN,
    DataKey,
    DataKind,
    Verb,
    register_data_keys,
    register_verbs,
)
from clientela.timeline.models import Event


def html(message: str, **values: Any) -> SafeString:
    """Fill a translated message with escaped values."""
    escaped = {
        k: v if isinstance(v, int | float) else conditional_escape(v) for k, v in values.items()
    }
    return mark_safe(message % escaped)  # noqa: S308 - every value is escaped


@dataclass
class Change:
    """One field's old and new value, ready to show."""

    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One line of a record's timeline."""

    when: datetime
    kind: str
    sentence: SafeString
    via: str = ""
    changes: list[Change] = field(default_factory=list)
    body: str = ""
    merge_id: int | None = None
    link: str = ""
    link_text: str = ""
    note: str = ""


class RecordTimeline(Protocol):
    """What a record's timeline offers the sentences registered for its verbs."""

    @property
    def this(self) -> str:
        """How the record is named in a sentence ("this contact")."""

    def changes(self, data: Mapping[str, Any]) -> list[Change]:
        """Return the field changes an event carries, as people read them."""

    def from_merged(self, event: Event) -> bool:
        """Whether the event was recorded on a record later merged into this one."""


def who(actor: User | None) -> str:
    """How a person is named in a sentence."""
    if actor is None:
        return _("The system")
    return actor.get_full_name() or actor.username


def stored_value(name: str, raw: Any) -> str:
    """Return a value as stored in event JSON (dates as ISO text) as people read it."""
    if raw is None or raw == "" or raw == []:
        return "—"
    if isinstance(raw, list):
        return ", ".join(str(item) for item in raw)
    if isinstance(raw, bool):
        return str(_("Yes") if raw else _("No"))
    if isinstance(raw, datetime):
        return formats.date_format(timezone.localtime(raw), "SHORT_DATETIME_FORMAT")
    if isinstance(raw, date):
        return formats.date_format(raw, "SHORT_DATE_FORMAT")
    if name == "birthday" or name.endswith("_on"):  # dates stored as ISO text
        try:
            return formats.date_format(date.fromisoformat(str(raw)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(raw)
    if name.endswith("_at"):
        try:
            moment = timezone.localtime(datetime.fromisoformat(str(raw)))
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        except ValueError:
            return str(raw)
    return str(raw)


# Sentences of the record-lifecycle verbs ------------------------------------------------------
def created_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry | None:
    """Only a merged-in record's creation shows: the record's own is told from the record."""
    if not timeline.from_merged(event):
        return None
    entry.sentence = html(
        _("%(who)s created “%(name)s”"), who=who(event.actor), name=event.target_repr
    )
    entry.note = _("That contact was later merged into this one.")
    return entry


def changes_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a change of fields: one field in the sentence, several listed under it."""
    entry.changes = timeline.changes(event.data or {})
    if len(entry.changes) == 1:
        change = entry.changes[0]
        entry.sentence = html(
            _("%(who)s changed %(field)s: %(old)s → %(new)s"),
            who=who(event.actor),
            field=change.label,
            old=change.old,
            new=change.new,
        )
        entry.changes = []
    else:
        count = len(entry.changes)
        entry.sentence = html(
            ngettext(
                "%(who)s changed %(count)d field",
                "%(who)s changed %(count)d fields",
                count,
            ),
            who=who(event.actor),
            count=count,
        )
    return entry


def imported_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that an import updated the record (the fields it changed listed under it)."""
    data = event.data or {}
    entry.changes = timeline.changes(data)
    job = data.get("job_id") or data.get("import_job") or data.get("job")
    entry.sentence = (
        html(_("Import #%(job)s updated %(this)s"), job=job, this=timeline.this)
        if job
        else html(_("An import updated %(this)s"), this=timeline.this)
    )
    return entry


def deleted_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that the record went to the trash."""
    entry.sentence = html(
        _("%(who)s moved %(this)s to the trash"), who=who(event.actor), this=timeline.this
    )
    return entry


def restored_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that the record came back from the trash."""
    entry.sentence = html(
        _("%(who)s restored %(this)s from the trash"), who=who(event.actor), this=timeline.this
    )
    return entry


def register_lifecycle_verbs() -> None:
    """Register the verbs every app writes about its records (from TimelineConfig.ready)."""
    register_verbs(
        Verb,
        timeline={
            Verb.CREATED: created_entry,
            Verb.UPDATED: changes_entry,
            Verb.IMPORTED: imported_entry,
            Verb.DELETED: deleted_entry,
            Verb.RESTORED: restored_entry,
        },
    )
    # Keys many apps' events store: ids of jobs, notes and merges are for the software only.
    register_data_keys(
        {
            "job": HIDDEN,
            "job_id": HIDDEN,
            "import_job": HIDDEN,
            "changes": DataKey(gettext_lazy("Changes")),
            "via": DataKey(gettext_lazy("Made through"), DataKind.VIA),
        }
    )
    # What an import's audit event counts (core.imports job counts).
    register_data_keys(
        {
            "rows": DataKey(gettext_lazy("Rows read")),
            "created": DataKey(gettext_lazy("Records created")),
            "updated": DataKey(gettext_lazy("Records updated")),
            "unchanged": DataKey(gettext_lazy("Records unchanged")),
            "errors": DataKey(gettext_lazy("Rows rejected")),
            "warnings": HIDDEN,
        },
        verbs=[Verb.IMPORTED],
    )
    # What an export's audit event says (clientela.timeline.services.record_export).
    register_data_keys(
        {
            "entity": DataKey(gettext_lazy("Records exported")),
            "format": DataKey(
                gettext_lazy("Format"), DataKind.CHOICE, {"csv": "CSV", "xlsx": "XLSX"}
            ),
            "rows": DataKey(gettext_lazy("Rows")),
            "filters": DataKey(gettext_lazy("Filters")),
        },
        verbs=[Verb.EXPORTED],
    )
