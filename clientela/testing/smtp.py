"""A real SMTP server (aiosmtpd) in-process for tests: it records what it receives.

`SmtpServer` listens on a free loopback port in its own thread. Every accepted message is kept
as a `Received` (envelope and parsed e-mail). `answer(address, "451 …", …)` makes the server
refuse the next RCPT TO of that address with the given replies in turn (then accept it
again), so tests can exercise temporary and permanent failures. The `smtp_server` fixture
(root conftest) starts one and points Django's SMTP backend at it.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from clientela.testing.processes import free_port


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and the parsed e-mail."""

    mail_from: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage

    def part(self, content_type: str) -> str:
        """Return the decoded body part of `content_type` ("text/plain", "text/html")."""
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        if found is None or found.get_content_type() != content_type:
            raise LookupError(content_type)
        return str(found.get_content())


@dataclass
class RecordingHandler:
    """The aiosmtpd handler: accept and record, or answer with scripted refusals."""

    received: list[Received] = field(default_factory=list)
    scripted: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        """Refuse the address with its next scripted reply, else accept it."""
        with self.lock:
            replies = self.scripted.get(address.lower())
            if replies:
                return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message and answer with a queue id."""
        raw = bytes(envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.counter += 1
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
            return f"250 2.0.0 Ok: queued as T{self.counter:05d}"


class SmtpServer:
    """A running aiosmtpd server on loopback."""

    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    @property
    def messages(self) -> list[Received]:
        """Return the messages received so far."""
        with self.handler.lock:
            return list(self.handler.received)

    def answer(self, address: str, *replies: str) -> None:
        """Refuse `address`'s next RCPT TO with each of `replies` in turn, then accept it."""
        with self.handler.lock:
            self.handler.scripted.setdefault(address.lower(), []).extend(replies)

    def start(self) -> None:
        """Start listening."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """Start an SMTP server for the duration of the block."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
