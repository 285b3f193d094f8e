"""The bounce receiver: an SMTP server (aiosmtpd) for the bounce and unsubscribe addresses.

Point the MX of MAIL_BOUNCE_DOMAIN (or a relay's transport for it) at `clientela
bounce_receiver`. It accepts mail only for `bounce+<token>@` and `unsubscribe+<token>@`
addresses and hands each message to `services.bounces.process_inbound` before answering 250,
so a message the database could not take is refused with 451 and the sender tries again.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from clientela.delivery.links import parse_address
from clientela.delivery.services.bounces import process_inbound

log = logging.getLogger("clientela.delivery.receiver")
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def _process(raw: bytes, recipients: list[str]) -> None:
    close_old_connections()
    try:
        process_inbound(raw, recipients)
    finally:
        close_old_connections()


class BounceHandler:
    """aiosmtpd handler: our VERP addresses only; each message processed before 250."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        """Accept a bounce or unsubscribe address of ours, refuse the rest (550)."""
        if parse_address(address) is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Process the message (DSN, ARF report or unsubscribe request) and answer."""
        raw = bytes(envelope.content or b"")
        if len(raw) > MAX_MESSAGE_BYTES:
            return "552 5.3.4 Message too big"
        try:
            await sync_to_async(_process, thread_sensitive=False)(raw, list(envelope.rcpt_tos))
        except Exception:
            log.exception("delivery: an inbound bounce could not be processed")
            return "451 4.3.0 Try again later"
        return "250 2.0.0 Processed"
