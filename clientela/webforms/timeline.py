"""How web-form events read on a contact's timeline and in the audit log."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.contacts.choices import ConsentChannel, ConsentPurpose
from clientela.core.events import HIDDEN, DataKey, Verb, register_data_keys, register_verbs
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, html
from clientela.webforms.choices import FormVerb


def submitted_entry(timeline: Any, event: Event, entry: Entry) -> Entry:
    """Tell a form submission: «Envió el formulario «X»» with the fields under it."""
    data = event.data or {}
    entry.sentence = html(_("Submitted form “%(name)s”"), name=str(data.get("form", "")))
    fields = data.get("fields") or {}
    if isinstance(fields, dict):
        entry.body = "\n".join(f"{label}: {value}" for label, value in fields.items())
    return entry


def confirmed_entry(timeline: Any, event: Event, entry: Entry) -> Entry:
    """Tell a double opt-in confirmation click."""
    data = event.data or {}
    channel, purpose = str(data.get("channel", "")), str(data.get("purpose", ""))
    entry.sentence = html(
        _("Confirmed consent for %(channel)s · %(purpose)s (form “%(name)s”)"),
        channel=dict(ConsentChannel.choices).get(channel, channel),
        purpose=dict(ConsentPurpose.choices).get(purpose, purpose),
        name=str(data.get("form", "")),
    )
    return entry


def register_form_verbs() -> None:
    """Register web forms' verbs, their sentences and their data keys (WebformsConfig.ready)."""
    register_verbs(
        FormVerb,
        timeline={FormVerb.SUBMITTED: submitted_entry, FormVerb.CONSENT_CONFIRMED: confirmed_entry},
    )
    register_data_keys({"form_id": HIDDEN})
    # A form's builder notes the field or consent it added (the form's "updated" event).
    register_data_keys(
        {
            "field_added": DataKey(gettext_lazy("Field added")),
            "consent_added": DataKey(gettext_lazy("Consent added")),
        },
        verbs=[Verb.UPDATED],
    )
    register_data_keys(
        {
            "form": DataKey(gettext_lazy("Form")),
            "fields": DataKey(gettext_lazy("Fields")),
            "text_version": DataKey(gettext_lazy("Legal text version")),
        },
        verbs=[FormVerb.SUBMITTED, FormVerb.CONSENT_CONFIRMED],
    )
