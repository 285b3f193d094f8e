"""How delivery's events read on a contact's timeline (registered in DeliveryConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.events import DataKey, DataKind, register_data_keys, register_verbs
from clientela.delivery.choices import (
    SUPPRESSION_DETAILS,
    Channel,
    DeliveryVerb,
    MailOpsVerb,
    SuppressionReason,
)
from clientela.delivery.kinds import kind_label
from clientela.timeline.models import Event
from clientela.timeline.rendering import Entry, RecordTimeline, html


def _data(event: Event) -> dict[str, str]:
    data = event.data or {}
    return {
        "subject": str(data.get("subject") or ""),
        "to": str(data.get("to") or ""),
        "kind": kind_label(str(data.get("kind") or "")),
        "reason": str(data.get("reason") or ""),
    }


def sent_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail went to which address."""
    entry.sentence = html(_("E-mail “%(subject)s” (%(kind)s) sent to %(to)s"), **_data(event))
    return entry


def failed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail could not be delivered, and the server's reason."""
    entry.sentence = html(
        _("E-mail “%(subject)s” (%(kind)s) to %(to)s failed: %(reason)s"), **_data(event)
    )
    return entry


def cancelled_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail was cancelled before it left."""
    entry.sentence = html(_("E-mail “%(subject)s” to %(to)s cancelled"), **_data(event))
    return entry


def quiet_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry | None:
    """Keep queueing and re-queueing off the contact's timeline (the audit log has them)."""
    return None


def opened_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail was opened (an automatic fetch says so)."""
    if (event.data or {}).get("machine"):
        entry.sentence = html(
            _("E-mail “%(subject)s” fetched automatically (privacy proxy or scanner)"),
            **_data(event),
        )
    else:
        entry.sentence = html(_("Opened the e-mail “%(subject)s”"), **_data(event))
    return entry


def clicked_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which link of which e-mail was clicked."""
    url = str((event.data or {}).get("url") or "")
    if (event.data or {}).get("machine"):
        sentence = _("Link %(url)s of the e-mail “%(subject)s” checked by a link scanner")
    else:
        sentence = _("Clicked %(url)s in the e-mail “%(subject)s”")
    entry.sentence = html(sentence, url=url, **_data(event))
    return entry


def unsubscribed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that the contact left marketing e-mail, from which message."""
    entry.sentence = html(
        _("Unsubscribed from marketing e-mail (from “%(subject)s”)"), **_data(event)
    )
    return entry


def bounced_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell which e-mail bounced, hard or soft."""
    if (event.data or {}).get("hard"):
        sentence = _("E-mail “%(subject)s” to %(to)s bounced (permanent failure)")
    else:
        sentence = _("E-mail “%(subject)s” to %(to)s bounced (temporary failure)")
    entry.sentence = html(sentence, **_data(event))
    return entry


def complained_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that the contact reported an e-mail as spam."""
    entry.sentence = html(_("Reported the e-mail “%(subject)s” as spam"), **_data(event))
    return entry


def preferences_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that the contact changed their e-mail topics."""
    entry.sentence = html(_("Changed their e-mail preferences"), **_data(event))
    return entry


def suppressed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that an address went on the suppression list, and why."""
    reason = dict(SuppressionReason.choices).get(str((event.data or {}).get("reason")), "")
    entry.sentence = html(
        _("%(to)s will receive no more e-mail: %(why)s"), why=str(reason), **_data(event)
    )
    return entry


def unsuppressed_entry(timeline: RecordTimeline, event: Event, entry: Entry) -> Entry:
    """Tell that an address may receive e-mail again."""
    entry.sentence = html(_("%(to)s removed from the suppression list"), **_data(event))
    return entry


def register_delivery_verbs() -> None:
    """Register delivery's verbs, their sentences and how their data keys read."""
    register_verbs(
        DeliveryVerb,
        {
            DeliveryVerb.SENT: sent_entry,
            DeliveryVerb.FAILED: failed_entry,
            DeliveryVerb.CANCELLED: cancelled_entry,
            DeliveryVerb.QUEUED: quiet_entry,
            DeliveryVerb.RETRIED: quiet_entry,
        },
    )
    register_data_keys(
        {
            "kind": DataKey(gettext_lazy("Kind")),
            "subject": DataKey(gettext_lazy("Subject")),
            "to": DataKey(gettext_lazy("Recipient")),
            "channel": DataKey(gettext_lazy("Channel"), DataKind.CHOICE, dict(Channel.choices)),
            "smtp_code": DataKey(gettext_lazy("SMTP code")),
            "reason": DataKey(gettext_lazy("Reason")),
        },
        verbs=DeliveryVerb.values,
    )
    register_verbs(
        MailOpsVerb,
        {
            MailOpsVerb.OPENED: opened_entry,
            MailOpsVerb.CLICKED: clicked_entry,
            MailOpsVerb.UNSUBSCRIBED: unsubscribed_entry,
            MailOpsVerb.BOUNCED: bounced_entry,
            MailOpsVerb.COMPLAINED: complained_entry,
            MailOpsVerb.PREFERENCES: preferences_entry,
            MailOpsVerb.SUPPRESSED: suppressed_entry,
            MailOpsVerb.UNSUPPRESSED: unsuppressed_entry,
        },
    )
    register_data_keys(
        {
            "kind": DataKey(gettext_lazy("Kind")),
            "subject": DataKey(gettext_lazy("Subject")),
            "to": DataKey(gettext_lazy("Recipient")),
            "channel": DataKey(gettext_lazy("Channel"), DataKind.CHOICE, dict(Channel.choices)),
            "reason": DataKey(
                gettext_lazy("Reason"), DataKind.CHOICE, dict(SuppressionReason.choices)
            ),
            "detail": DataKey(gettext_lazy("Detail"), DataKind.TEXT, SUPPRESSION_DETAILS),
            "url": DataKey(gettext_lazy("Link")),
            "machine": DataKey(gettext_lazy("Automatic")),
            "hard": DataKey(gettext_lazy("Permanent")),
            "how": DataKey(gettext_lazy("How")),
            "topics": DataKey(gettext_lazy("Topics")),
            "left": DataKey(gettext_lazy("Topics left")),
        },
        verbs=MailOpsVerb.values,
    )
