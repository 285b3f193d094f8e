"""How lead-routing events read on a contact's timeline and in the audit log."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.events import DataKey, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, html
from clientela.webforms.choices import RoutingVerb


def assigned_entry(timeline: Any, event: Event, entry: Entry) -> Entry:
    """Tell an assignment: «Asignado a Laura (regla «Medellín»), primer contacto en 24 h»."""
    data = event.data or {}
    owner, rule = str(data.get("owner", "")), str(data.get("rule", ""))
    hours = data.get("sla_hours", 24)
    if rule:
        entry.sentence = html(
            _(
                "Lead assigned to %(owner)s by the rule “%(rule)s”; first contact within %(hours)s h"
            ),
            owner=owner,
            rule=rule,
            hours=str(hours),
        )
    else:
        entry.sentence = html(
            _("New lead for its owner %(owner)s; first contact within %(hours)s h"),
            owner=owner,
            hours=str(hours),
        )
    return entry


def register_routing_verbs() -> None:
    """Register lead routing's verbs and data keys (WebformsConfig.ready)."""
    register_verbs(RoutingVerb, timeline={RoutingVerb.ASSIGNED: assigned_entry})
    register_data_keys(
        {
            "owner": DataKey(gettext_lazy("Owner")),
            "rule": DataKey(gettext_lazy("Rule")),
            "sla_hours": DataKey(gettext_lazy("Hours to first contact")),
            "strategy": DataKey(gettext_lazy("Strategy")),
        },
        verbs=list(RoutingVerb),
    )
