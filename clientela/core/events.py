"""The event vocabulary every app shares, and the port through which events are recorded.

* Channels (`Via`) and the record-lifecycle verbs every app writes (`Verb`: created, updated,
  moved to trash, ...).
* The verb registry: each app registers the verbs it writes in its AppConfig.ready() — the
  code stored in Event.verb, its label (es/en through gettext_lazy, the audit log's "What"),
  and optionally how a timeline entry reads. A verb nobody registered still shows, with a
  generic sentence.
* Data keys: how the details an event stores (its JSON `data`) read in the audit log — a
  translated label per key, and whether the value is a moment, a date, a channel, one of a
  set of choices, or a technical id the reader never sees. Apps register the keys of their
  verbs; a key nobody registered reads as its model field's name, else humanised.
* Record types: the kinds of record events are about, and the screen that shows each one,
  registered by the app that owns them (the audit log's filter and links).
* The port: the timeline app (above accounts in the stack) stores events; accounts, which
  may not import it, records its sign-ins, users and tokens through `record_event` here, and
  the timeline app plugs its writer in with `set_event_recorder`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from clientela.core.users import User


class Via(models.TextChoices):
    """Which adapter made the change."""

    UI = "ui", _("web")
    API = "api", _("API")
    CLI = "cli", _("command line")
    IMPORT = "import", _("import")
    SYSTEM = "system", _("system")
    # A visitor's submission of a public web form (no signed-in user: the actor is None).
    FORM = "form", _("public form")
    # Records the demo and the benchmarks load (stored as `created_via` on their rows).
    SEED = "seed", _("demo data")


def via_label(code: str) -> str:
    """Return a channel as people read it, in the current language; never the stored code."""
    label = dict(Via.choices).get(code)
    return str(label) if label is not None else humanize_key(code)


def humanize_key(name: str) -> str:
    """Make a stored key or code nobody labelled readable ("merged_at" → "Merged at")."""
    return str(capfirst(str(name).replace("_", " ").replace(".", " ").strip())) or "—"


class Verb(models.TextChoices):
    """What happened to a record, whatever app owns it (registered by the timeline app)."""

    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    DELETED = "deleted", _("moved to trash")
    RESTORED = "restored", _("restored from trash")
    IMPORTED = "imported", _("updated by import")
    EXPORTED = "exported", _("exported")


# How an event reads on a record's timeline: (renderer, event, entry) -> the entry filled in,
# or None to leave the event off the timeline. An entry left without a sentence gets the
# generic one. See clientela.timeline.rendering.
TimelineSentence = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class VerbSpec:
    """A registered verb: its stored code, its label and how its timeline entry reads."""

    code: str
    label: str | Promise
    timeline: TimelineSentence | None = None


VERBS: dict[str, VerbSpec] = {}


def register_verb(
    code: str, label: str | Promise, *, timeline: TimelineSentence | None = None
) -> VerbSpec:
    """Register a verb (call from an AppConfig.ready); a code belongs to one app."""
    spec = VerbSpec(str(code), label, timeline)
    known = VERBS.get(spec.code)
    if known is not None and known != spec:
        raise ImproperlyConfigured(f"verb {spec.code!r} is registered twice")
    VERBS[spec.code] = spec
    return spec


def register_verbs(
    choices: type[models.TextChoices], timeline: Mapping[str, TimelineSentence] | None = None
) -> None:
    """Register every member of a TextChoices of verbs, with their timeline sentences."""
    sentences = timeline or {}
    for code, label in choices.choices:
        register_verb(code, label, timeline=sentences.get(code))


class DataKind(models.TextChoices):
    """How the value under an event data key reads."""

    TEXT = "text", "text"
    MOMENT = "moment", "moment"  # an ISO date and time, shown in the reader's time zone
    DATE = "date", "date"  # an ISO date
    VIA = "via", "via"  # a channel code (Via)
    CHOICE = "choice", "choice"  # a code of `choices`
    HIDDEN = "hidden", "hidden"  # a technical id: never shown to people


@dataclass(frozen=True)
class DataKey:
    """How one key of an event's data reads: its label (gettext_lazy) and its kind of value."""

    label: Any = ""
    kind: str = DataKind.TEXT
    choices: Mapping[Any, Any] | None = None

    @property
    def hidden(self) -> bool:
        """Whether the key is technical and never shown."""
        return self.kind == DataKind.HIDDEN


# A technical key, never shown (merge ids, note ids, job ids: the record is linked instead).
HIDDEN = DataKey(kind=DataKind.HIDDEN)

# verb code -> {key: DataKey}; the verb "" holds the keys any verb may store.
DATA_KEYS: dict[str, dict[str, DataKey]] = {}


def register_data_keys(keys: Mapping[str, DataKey], *, verbs: Iterable[str] = ("",)) -> None:
    """Say how data keys of `verbs` read (every verb when none is named); from ready()."""
    for verb in verbs:
        DATA_KEYS.setdefault(str(verb), {}).update(keys)


def data_key(verb: str, name: str) -> DataKey | None:
    """How `name` reads in an event of `verb`: the verb's own key first, then a shared one."""
    found = DATA_KEYS.get(verb, {}).get(name)
    return found if found is not None else DATA_KEYS.get("", {}).get(name)


def verb_spec(code: str) -> VerbSpec | None:
    """Return the registered verb, or None for a code no app registered."""
    return VERBS.get(code)


def verb_label(code: str) -> str:
    """Return a verb's label in the current language; the stored code when nobody registered it."""
    spec = VERBS.get(code)
    return str(spec.label) if spec else code


def verb_choices() -> list[tuple[str, str]]:
    """(code, label) of every registered verb, for filters."""
    return [(spec.code, capfirst(str(spec.label))) for spec in VERBS.values()]


def jsonable(value: Any) -> Any:
    """Make a field value safe to keep in a JSON column."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def diff_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose value changed."""
    return {
        key: [jsonable(before.get(key)), jsonable(after.get(key))]
        for key in after
        if jsonable(before.get(key)) != jsonable(after.get(key))
    }


@dataclass(frozen=True)
class RecordType:
    """A kind of record events are about ("app_label.model"), and the screen showing one.

    The screen is a URL name taking the record's id, when there is such a screen.
    """

    target_type: str
    url_name: str | None = None


RECORD_TYPES: dict[str, RecordType] = {}


def register_record_type(target_type: str, url_name: str | None = None) -> RecordType:
    """Offer a record type in the audit log's filter, linked to its screen (from ready())."""
    record_type = RecordType(target_type, url_name)
    RECORD_TYPES[target_type] = record_type
    return record_type


_RECORDERS: list[Callable[..., Any]] = []


def set_event_recorder(recorder: Callable[..., Any]) -> None:
    """Plug in the function that stores events (the timeline app's, from its ready())."""
    _RECORDERS[:] = [recorder]


def record_event(
    verb: str,
    *,
    actor: User | None,
    target: models.Model,
    via: str = Via.UI,
    data: Mapping[str, Any] | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    at: datetime | None = None,
) -> Any:
    """Append one event to the timeline / audit log through the installed recorder."""
    if not _RECORDERS:
        raise ImproperlyConfigured("no event recorder: is clientela.timeline installed?")
    return _RECORDERS[0](
        verb,
        actor=actor,
        target=target,
        via=via,
        data=data,
        contact_id=contact_id,
        company_id=company_id,
        at=at,
    )
