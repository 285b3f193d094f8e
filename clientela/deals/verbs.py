"""How deals read on a customer's timeline, a deal's own and the audit log (from ready()).

Events store data (titles, stage names, amounts as text, codes); sentences are written when
read, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.contacts.custom_inputs import custom_display
from clientela.contacts.models import CustomField
from clientela.core.events import HIDDEN, DataKey, DataKind, register_data_keys, register_verbs
from clientela.deals.choices import (
    DEAL_ENTITY,
    Attendance,
    Authority,
    DealVerb,
    StageKind,
    Timeframe,
)
from clientela.deals.models import Deal
from clientela.timeline.models import Event
from clientela.timeline.rendering import Change, Entry, RecordTimeline, html, stored_value, who

CHOICES: dict[str, dict[str, Any]] = {
    "authority": dict(Authority.choices),
    "timeframe": dict(Timeframe.choices),
    "attendance": dict(Attendance.choices),
}


def _title(data: Mapping[str, Any]) -> str:
    return str(data.get("title") or "—")


def _amount(raw: Any) -> str:
    """Return a stored amount ("42000.00") grouped in the reader's format; "" when zero."""
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return ""
    if not number.is_finite() or not number:
        return ""
    return formats.number_format(number, 2, use_l10n=True, force_grouping=True)


def created_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a deal opened, in which stage and for how much."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s opened the deal “%(title)s” in %(stage)s"),
        who=who(event.actor),
        title=_title(data),
        stage=str(data.get("stage") or "—"),
    )
    amount = _amount(data.get("amount"))
    if amount:
        entry.note = f"{amount} {data.get('currency') or ''}".strip()
    return entry


def moved_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a deal moved from one stage to another; won and lost read as such."""
    data = event.data or {}
    values = {
        "who": who(event.actor),
        "title": _title(data),
        "from": str(data.get("from_stage") or "—"),
        "to": str(data.get("stage") or "—"),
    }
    kind = data.get("kind")
    if kind == StageKind.WON:
        entry.sentence = html(_("%(who)s won the deal “%(title)s” (%(to)s)"), **values)
    elif kind == StageKind.LOST:
        entry.sentence = html(_("%(who)s lost the deal “%(title)s” (%(to)s)"), **values)
        reason = str(data.get("lost_reason") or "")
        note = str(data.get("lost_note") or "")
        entry.note = _("Reason: %(reason)s") % {"reason": reason} + (f" · {note}" if note else "")
    else:
        entry.sentence = html(
            _("%(who)s moved the deal “%(title)s” from %(from)s to %(to)s"), **values
        )
    return entry


def _label(name: str) -> str:
    try:
        found = Deal._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(capfirst(getattr(found, "verbose_name", name)))


def _value(name: str, raw: Any) -> str:
    if name in CHOICES:
        return str(CHOICES[name].get(raw, raw or "—"))
    return stored_value(name, raw)


def _custom_changes(old: Any, new: Any) -> list[Change]:
    """Return one change per deal custom field that changed, labelled in the reader's language."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    keys = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
    if not keys:
        return []
    # Deactivated fields too: their old values still read with their label.
    definitions = {f.key: f for f in CustomField.objects.filter(entity=DEAL_ENTITY, key__in=keys)}
    out = []
    for key in keys:
        definition = definitions.get(key)
        if definition is None:
            out.append(
                Change(key, stored_value(key, old.get(key)), stored_value(key, new.get(key)))
            )
            continue
        before = custom_display(definition, old.get(key)) or "—"
        after = custom_display(definition, new.get(key)) or "—"
        out.append(Change(definition.label, before, after))
    return out


def changed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell the fields of a deal that changed, listed under the sentence."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s changed the deal “%(title)s”"), who=who(event.actor), title=_title(data)
    )
    changes = data.get("changes") or {}
    entry.changes = []
    for name, pair in changes.items() if isinstance(changes, dict) else []:
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        if name == "custom":
            entry.changes.extend(_custom_changes(pair[0], pair[1]))
        else:
            entry.changes.append(Change(_label(name), _value(name, pair[0]), _value(name, pair[1])))
    if "previous_owner_id" in data and data.get("owner"):
        entry.note = _("Now owned by %(owner)s") % {"owner": data["owner"]}
    return entry


def deleted_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell a deal deleted."""
    data = event.data or {}
    entry.sentence = html(
        _("%(who)s deleted the deal “%(title)s”"), who=who(event.actor), title=_title(data)
    )
    return entry


def register_deal_verbs() -> None:
    """Register the verbs of deals, their sentences and how their data reads."""
    register_verbs(
        DealVerb,
        timeline={
            DealVerb.CREATED: created_entry,
            DealVerb.MOVED: moved_entry,
            DealVerb.CHANGED: changed_entry,
            DealVerb.DELETED: deleted_entry,
        },
    )
    register_data_keys(
        {
            "deal_id": HIDDEN,
            "owner_id": HIDDEN,
            "stage_id": HIDDEN,
            "from_stage_id": HIDDEN,
            "previous_owner_id": HIDDEN,
            "title": DataKey(gettext_lazy("Title")),
            "pipeline": DataKey(gettext_lazy("Pipeline")),
            "stage": DataKey(gettext_lazy("Stage")),
            "from_stage": DataKey(gettext_lazy("Previous stage")),
            "kind": DataKey(gettext_lazy("Kind"), DataKind.CHOICE, dict(StageKind.choices)),
            "amount": DataKey(gettext_lazy("Amount")),
            "currency": DataKey(gettext_lazy("Currency")),
            "owner": DataKey(gettext_lazy("Owner")),
            "lost_reason": DataKey(gettext_lazy("Lost reason")),
            "lost_note": DataKey(gettext_lazy("Lost note")),
            "product_id": HIDDEN,
            "description": DataKey(gettext_lazy("Description")),
            "quantity": DataKey(gettext_lazy("Quantity")),
            "line_total": DataKey(gettext_lazy("Line total")),
        },
        verbs=[str(verb) for verb in DealVerb],
    )
