"""Small IMAP4rev1 and POP3 servers for tests: plain TCP on loopback, one mailbox each.

They speak the subset of the real protocols a mail client uses to drain a mailbox — IMAP
(RFC 3501): CAPABILITY, LOGIN, SELECT, SEARCH, FETCH (RFC822), STORE (+FLAGS Deleted),
EXPUNGE, NOOP, LOGOUT; POP3 (RFC 1939): USER, PASS, STAT, RETR (dot-stuffed), DELE, NOOP, RSET,
QUIT, with deletions applied only at QUIT as real servers do (`drop_next_quit` cuts the
connection at the next QUIT instead). A wrong password is refused the way
real servers refuse it (`NO [AUTHENTICATIONFAILED]`, `-ERR [AUTH]`). Every command line is kept
(passwords masked) so tests can say what the client did; `mailbox.messages` is what is left.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clientela.testing.processes import free_port


@dataclass
class Mailbox:
    """The messages a test server holds, its credentials and the commands it was sent."""

    user: str
    password: str
    messages: list[bytes] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # POP3: the next QUIT gets no answer and applies no deletion, as when the connection drops
    # just before it (the messages stay for the next session).
    drop_next_quit: bool = False

    def log(self, line: str) -> None:
        """Keep one command line (its verb upper-cased, a password masked)."""
        verb, _sep, rest = line.partition(" ")
        verb = verb.upper()
        if verb == "PASS":
            rest = "***"
        elif verb == "LOGIN":
            rest = f"{rest.split(' ')[0]} ***"
        with self.lock:
            self.commands.append(f"{verb} {rest}".strip())

    def verbs(self) -> list[str]:
        """Return the commands' verbs in order (IMAP tags dropped)."""
        with self.lock:
            return [line.split(" ")[0] for line in self.commands]


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _arguments(text: str) -> list[str]:
    """Split IMAP arguments: atoms and quoted strings (backslash escapes undone)."""
    return [atom or re.sub(r"\\(.)", r"\1", quoted) for quoted, atom in _TOKEN.findall(text)]


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    mailbox: Mailbox


class _ImapHandler(socketserver.StreamRequestHandler):
    """One IMAP session."""

    server: _Server
    CAPABILITIES: ClassVar[str] = "IMAP4rev1 AUTH=PLAIN"

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        authenticated = False
        selected = False
        deleted: set[int] = set()
        self.send(f"* OK [CAPABILITY {self.CAPABILITIES}] Clientela test IMAP4rev1 ready")
        while raw := self.rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tag, _sep, rest = line.partition(" ")
            command, _sep, args_text = rest.partition(" ")
            command = command.upper()
            args = _arguments(args_text)
            box.log(f"{command} {args_text}")
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY {self.CAPABILITIES}")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                if args[:2] == [box.user, box.password]:
                    authenticated = True
                    self.send(f"{tag} OK [CAPABILITY {self.CAPABILITIES}] LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif not authenticated:
                self.send(f"{tag} BAD {command} needs LOGIN first")
            elif command == "SELECT":
                if (args[0] if args else "").upper() != "INBOX":
                    self.send(f"{tag} NO [NONEXISTENT] Unknown mailbox")
                    continue
                selected = True
                with box.lock:
                    count = len(box.messages)
                self.send("* FLAGS (\\Deleted \\Seen)")
                self.send(f"* {count} EXISTS")
                self.send("* 0 RECENT")
                self.send("* OK [UIDVALIDITY 1] UIDs valid")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif not selected:
                self.send(f"{tag} BAD {command} needs SELECT first")
            elif command == "SEARCH":
                criteria = [a.upper() for a in args]
                with box.lock:
                    numbers = [
                        str(n)
                        for n in range(1, len(box.messages) + 1)
                        if "UNDELETED" not in criteria or n not in deleted
                    ]
                self.send(" ".join(["* SEARCH", *numbers]))
                self.send(f"{tag} OK SEARCH completed")
            elif command == "FETCH":
                number = int(args[0]) if args and args[0].isdigit() else 0
                with box.lock:
                    message = box.messages[number - 1] if 0 < number <= len(box.messages) else None
                if message is None:
                    self.send(f"{tag} BAD no such message")
                    continue
                self.wfile.write(f"* {number} FETCH (RFC822 {{{len(message)}}}\r\n".encode())
                self.wfile.write(message)
                self.send(")")
                self.send(f"{tag} OK FETCH completed")
            elif command == "STORE":
                number = int(args[0]) if args and args[0].isdigit() else 0
                if (
                    len(args) < 3
                    or args[1].upper() != "+FLAGS"
                    or "\\DELETED" not in args_text.upper()
                ):
                    self.send(f"{tag} BAD only +FLAGS \\Deleted is supported")
                    continue
                deleted.add(number)
                self.send(f"* {number} FETCH (FLAGS (\\Deleted))")
                self.send(f"{tag} OK STORE completed")
            elif command == "EXPUNGE":
                with box.lock:
                    for number in sorted(deleted, reverse=True):
                        if 0 < number <= len(box.messages):
                            del box.messages[number - 1]
                            self.send(f"* {number} EXPUNGE")
                deleted.clear()
                self.send(f"{tag} OK EXPUNGE completed")
            else:
                self.send(f"{tag} BAD unknown command {command}")


class _PopHandler(socketserver.StreamRequestHandler):
    """One POP3 session."""

    server: _Server

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        user = ""
        authenticated = False
        deleted: set[int] = set()
        self.send("+OK Clientela test POP3 ready")
        while raw := self.rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            command, _sep, argument = line.partition(" ")
            command = command.upper()
            box.log(line)
            if command == "QUIT":
                with box.lock:
                    dropped, box.drop_next_quit = box.drop_next_quit, False
                if dropped:
                    return
                if authenticated:
                    with box.lock:
                        box.messages[:] = [
                            m for n, m in enumerate(box.messages, 1) if n not in deleted
                        ]
                self.send("+OK bye")
                return
            if command == "NOOP":
                self.send("+OK")
            elif command == "USER":
                user = argument
                self.send("+OK send PASS")
            elif command == "PASS":
                if user == box.user and argument == box.password:
                    authenticated = True
                    self.send("+OK logged in")
                else:
                    self.send("-ERR [AUTH] Authentication failed")
            elif not authenticated:
                self.send("-ERR log in first")
            elif command == "STAT":
                with box.lock:
                    kept = [m for n, m in enumerate(box.messages, 1) if n not in deleted]
                self.send(f"+OK {len(kept)} {sum(len(m) for m in kept)}")
            elif command in ("RETR", "DELE"):
                number = int(argument) if argument.isdigit() else 0
                with box.lock:
                    message = box.messages[number - 1] if 0 < number <= len(box.messages) else None
                if message is None or number in deleted:
                    self.send("-ERR no such message")
                elif command == "DELE":
                    deleted.add(number)
                    self.send(f"+OK message {number} deleted")
                else:
                    self.send(f"+OK {len(message)} octets")
                    for body_line in message.split(b"\r\n"):
                        stuffed = b"." + body_line if body_line.startswith(b".") else body_line
                        self.wfile.write(stuffed + b"\r\n")
                    self.send(".")
            elif command == "RSET":
                deleted.clear()
                self.send("+OK")
            else:
                self.send(f"-ERR unknown command {command}")


@dataclass
class MailServer:
    """A running test mail server: its protocol, port and mailbox."""

    protocol: str
    host: str
    port: int
    mailbox: Mailbox

    def url(self, *, password: str | None = None, folder: str = "INBOX") -> str:
        """Return the mailbox URL a client reads (`imap://user:pass@host:port/INBOX`)."""
        secret = self.mailbox.password if password is None else password
        path = f"/{folder}" if self.protocol == "imap" else ""
        return f"{self.protocol}://{self.mailbox.user}:{secret}@{self.host}:{self.port}{path}"


@contextmanager
def running_mail_server(
    protocol: str, messages: list[bytes] | None = None, **credentials: Any
) -> Iterator[MailServer]:
    """Serve one mailbox over `protocol` ("imap" or "pop3") for the duration of the block."""
    handler = {"imap": _ImapHandler, "pop3": _PopHandler}[protocol]
    box = Mailbox(
        user=str(credentials.get("user", "rebotes")),
        password=str(credentials.get("password", "s3creto")),
        messages=[m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in messages or []],
    )
    port = free_port()
    server = _Server(("127.0.0.1", port), handler)
    server.mailbox = box
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MailServer(protocol, "127.0.0.1", port, box)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
