"""Opens and clicks from the public endpoints, and their move onto contacts' timelines.

`record_open` and `record_click` run in the public request: one INSERT … SELECT of a
`MessageEvent` by the message's token (one round trip), no session, no template. `post_events` (a
schedule, every minute) writes the new events onto the contacts' timelines in bulk.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

from clientela.core.compiled import prepared_cursor
from clientela.core.events import Via
from clientela.delivery.choices import MailOpsVerb, MessageEventKind
from clientela.delivery.links import conf
from clientela.delivery.machines import is_automatic_agent
from clientela.delivery.models import Message, MessageEvent
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, record_events

POST_SCHEDULE = "delivery.post_message_events"
POST_BATCH = 2000
MAX_AGENT = 400
TIMELINE_VERBS = {
    MessageEventKind.OPEN: MailOpsVerb.OPENED,
    MessageEventKind.CLICK: MailOpsVerb.CLICKED,
}


@cache
def _event_sql(postgresql: bool) -> str:
    """Return the one statement that stores an open or click of the message with a token.

    It reads the message by its token and inserts the event in one round trip (nothing when
    no message has the token); `machine` is the agent's verdict or "right after sending". On
    PostgreSQL the commit does not wait for the WAL flush (set_config(..., true) is SET
    LOCAL): a crash of the database may lose the last fraction of a second of opens, never
    corrupt anything.
    """
    quote = connection.ops.quote_name
    events, messages = quote(MessageEvent._meta.db_table), quote(Message._meta.db_table)
    sync_off = ", (SELECT set_config('synchronous_commit', 'off', true)) AS c" if postgresql else ""
    return (
        f"INSERT INTO {events} (message_id, kind, at, machine, url, user_agent, detail, posted) "  # noqa: S608
        "SELECT m.id, %s, %s, (%s OR (m.sent_at IS NOT NULL AND m.sent_at > %s)), %s, %s, '', "
        f"%s FROM {messages} AS m{sync_off} WHERE m.token = %s"
    )


def _store(
    token: str, kind: str, *, moment: datetime, machine: bool, window: float, url: str, agent: str
) -> bool:
    postgresql = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        kind, adapt(moment), machine, adapt(moment - timedelta(seconds=window)), url,
        agent[:MAX_AGENT], False, token,
    ]  # fmt: skip
    with prepared_cursor(connection) as cursor:
        cursor.execute(_event_sql(postgresql), params)
        stored: int = cursor.rowcount
    return stored > 0


def record_open(token: str, *, user_agent: str, now: datetime | None = None) -> bool:
    """Store an open of the message `token` (flagged when a machine's); False if unknown."""
    return _store(
        token,
        MessageEventKind.OPEN,
        moment=now or timezone.now(),
        machine=is_automatic_agent(user_agent),
        window=float(conf("MAIL_MACHINE_OPEN_SECONDS", 2)),
        url="",
        agent=user_agent,
    )


def record_click(
    token: str, url: str, *, user_agent: str, head: bool = False, now: datetime | None = None
) -> bool:
    """Store a click on `url` in the message `token` (flagged when a scanner's); False if unknown."""
    return _store(
        token,
        MessageEventKind.CLICK,
        moment=now or timezone.now(),
        machine=head or is_automatic_agent(user_agent),
        window=float(conf("MAIL_SCANNER_CLICK_SECONDS", 10)),
        url=url,
        agent=user_agent,
    )


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
            events.append(_timeline_event(verb, item))
        record_events(events)
        MessageEvent.objects.filter(pk__in=[item.pk for item in pending]).update(posted=True)
    return len(pending)


def _timeline_event(verb: str, item: MessageEvent) -> Event:
    """Build the timeline event of one open, click or unsubscribe (its verb from TIMELINE_VERBS)."""
    message = item.message
    return build_event(
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
