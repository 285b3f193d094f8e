"""Opens and clicks from the public endpoints, and their move onto contacts' timelines.

`record_open` and `record_click` run in the public request: one indexed read of the message by
its token and one INSERT of a `MessageEvent`, no session, no template. `post_events` (a
schedule, every minute) writes the new events onto the contacts' timelines in bulk.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clientela.core.events import Via
from clientela.delivery.choices import MailOpsVerb, MessageEventKind
from clientela.delivery.machines import is_machine_open, is_scanner_click
from clientela.delivery.models import Message, MessageEvent
from clientela.timeline.services import build_event, record_events

POST_SCHEDULE = "delivery.post_message_events"
POST_BATCH = 2000
MAX_AGENT = 400
TIMELINE_VERBS = {
    MessageEventKind.OPEN: MailOpsVerb.OPENED,
    MessageEventKind.CLICK: MailOpsVerb.CLICKED,
}


def _sent(token: str) -> tuple[int, datetime | None] | None:
    row = Message.objects.filter(token=token).values_list("pk", "sent_at").first()
    return (int(row[0]), row[1]) if row is not None else None


def record_open(token: str, *, user_agent: str, now: datetime | None = None) -> bool:
    """Store an open of the message `token` (flagged when a machine's); False if unknown."""
    found = _sent(token)
    if found is None:
        return False
    moment = now or timezone.now()
    MessageEvent.objects.create(
        message_id=found[0],
        kind=MessageEventKind.OPEN,
        at=moment,
        machine=is_machine_open(user_agent, found[1], moment),
        user_agent=user_agent[:MAX_AGENT],
    )
    return True


def record_click(
    token: str, url: str, *, user_agent: str, head: bool = False, now: datetime | None = None
) -> bool:
    """Store a click on `url` in the message `token` (flagged when a scanner's); False if unknown."""
    found = _sent(token)
    if found is None:
        return False
    moment = now or timezone.now()
    MessageEvent.objects.create(
        message_id=found[0],
        kind=MessageEventKind.CLICK,
        at=moment,
        machine=is_scanner_click(user_agent, found[1], moment, head=head),
        url=url,
        user_agent=user_agent[:MAX_AGENT],
    )
    return True


def post_events(limit: int = POST_BATCH) -> int:
    """Write new opens and clicks onto their contacts' timelines; return how many were posted.

    A machine open or scanner click is posted too, marked automatic, so the timeline does not
    claim a person read what only a proxy fetched.
    """
    with transaction.atomic():
        pending = list(
            MessageEvent.objects.filter(posted=False)
            .select_related("message")
            .order_by("id")[:limit]
        )
        if not pending:
            return 0
        events = []
        for item in pending:
            verb = TIMELINE_VERBS.get(MessageEventKind(item.kind))
            message = item.message
            if verb is None or message.contact_id is None:
                continue
            events.append(
                build_event(
                    verb,
                    actor=None,
                    target=message,
                    via=Via.SYSTEM,
                    data={
                        "kind": message.kind,
                        "subject": message.subject,
                        "to": message.to_address,
                        "url": item.url[:500],
                        "machine": item.machine,
                    },
                    contact_id=message.contact_id,
                    at=item.at,
                )
            )
        record_events(events)
        MessageEvent.objects.filter(pk__in=[item.pk for item in pending]).update(posted=True)
    return len(pending)
