"""Serialise the worker's usual e-mail (text part, optional HTML alternative) to bytes, fast.

Django's `EmailMessage.message().as_bytes()` builds the message with the `email` package, whose
compat32 generator folds every header through `email.header.Header` and compiles a regular
expression per multipart message to check its boundary: ≈ 0.8 ms per campaign message, more
than the SMTP transaction itself. `to_bytes` writes the same message directly — the same
headers in the same order, the same transfer encodings (7bit or 8bit text, quoted-printable
when a line passes 998 bytes, RFC 2047 encoded words for non-ASCII header values, Django's
`sanitize_address` for non-ASCII addresses) — and returns None for anything else (attachments,
Cc/Bcc, another charset or subtype), which then goes through Django as before.
`delivery/tests/test_mime.py` holds it equal to Django's output once both are parsed.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import smtplib
from email.utils import formatdate, getaddresses
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import (
    ADDRESS_HEADERS,
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    BadHeaderError,
    sanitize_address,
)

# A plain address Django's sanitize_address would return unchanged (no name, ASCII, no quotes).
PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*)$")
CRLF = "\r\n"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
FOLD_AT = 78
# Bytes of UTF-8 per encoded word: base64 of 45 bytes is 60 characters, 72 with "=?utf-8?b??=".
WORD_BYTES = 45


def envelope_address(address: str) -> str:
    """Return the SMTP envelope form of an address (Django's sanitize_address, skipped if plain)."""
    if PLAIN_ADDRESS.match(address):
        return address
    return _sanitized(address)


# A dot-atom address smtplib's quoteaddr (email.utils.parseaddr) returns unchanged in <…>.
DOT_ATOM_ADDRESS = re.compile(
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$"
)


def smtp_path(address: str) -> str:
    """Return the `<…>` of MAIL FROM / RCPT TO for an address, as smtplib's sendmail would.

    smtplib parses every address again (`quoteaddr`): a plain dot-atom address is written as
    it is, anything else (a sender with a display name) is parsed once and remembered.
    """
    if DOT_ATOM_ADDRESS.match(address):
        return f"<{address}>"
    return _quoted(envelope_address(address))


@lru_cache(maxsize=1024)
def _quoted(address: str) -> str:
    if DOT_ATOM_ADDRESS.match(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


@lru_cache(maxsize=1024)
def _sanitized(address: str) -> str:
    # A campaign's sender ("Shop <hola@shop.co>") is the same for every message of the batch:
    # Django's parse (the email package's header parser) runs once per address, not per message.
    return sanitize_address(address, "utf-8")


def _encoded_words(value: str) -> str:
    """Return `value` as RFC 2047 base64 encoded words of at most 75 characters each."""
    words: list[str] = []
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > WORD_BYTES:
            words.append(f"=?utf-8?b?{base64.b64encode(bytes(chunk)).decode()}?=")
            chunk = bytearray()
        chunk += encoded
    if chunk or not words:
        words.append(f"=?utf-8?b?{base64.b64encode(bytes(chunk)).decode()}?=")
    return (CRLF + " ").join(words)


def _fold(line: str) -> str | None:
    """Fold an ASCII header line at its spaces to about 78 characters (None: it cannot fit)."""
    if len(line) <= FOLD_AT:
        return line
    lines: list[str] = []
    name, _sep, value = line.partition(": ")
    words = value.split(" ")
    # Never fold right after the colon: the value would read back with a leading space.
    current = f"{name}: {words[0]}"
    for word in words[1:]:
        if current and len(current) + 1 + len(word) > FOLD_AT:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    if any(len(part) + 1 > RFC5322_EMAIL_LINE_LENGTH_LIMIT for part in lines):
        return None
    return (CRLF + " ").join(lines)


def _header(name: str, value: str) -> str | None:
    """Return one header line as Django would set it (None: leave the message to Django)."""
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for {name!r})")
    if "  " in value or value != value.strip():
        return None  # compat32 folding moves or drops such spaces: keep Django's own result
    if not value.isascii():
        if name.lower() in ADDRESS_HEADERS:
            value = ", ".join(sanitize_address(pair, "utf-8") for pair in getaddresses((value,)))
            if not value.isascii():
                return None
        else:
            return f"{name}: {_encoded_words(value)}"
    return _fold(f"{name}: {value}")


def _has_long_line(text: str) -> bool:
    """Whether a line of `text` (as str.splitlines cuts it) passes 998 bytes in UTF-8.

    A line of at most 249 characters cannot (4 bytes per character at most), one of more than
    998 always does: only the lines in between are encoded to count their bytes.
    """
    shortest_long = RFC5322_EMAIL_LINE_LENGTH_LIMIT // 4
    lines = text.splitlines()
    if max(map(len, lines), default=0) <= shortest_long:
        return False
    for line in lines:
        size = len(line)
        if size <= shortest_long:
            continue
        if size > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return True
        if len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return True
    return False


def _part(text: str, subtype: str) -> list[str]:
    """Return the header lines and body of one text part, encoded as Django would."""
    long_lines = _has_long_line(text)
    head = [f'Content-Type: text/{subtype}; charset="utf-8"', "MIME-Version: 1.0"]
    if long_lines:
        # binascii's quoted-printable (C) where Django's charset uses email.quoprimime (Python).
        unix = LINE_BREAK.sub("\n", text).encode("utf-8", "surrogateescape")
        body = binascii.b2a_qp(unix, istext=True).decode("ascii").replace("\n", CRLF)
        return [*head, "Content-Transfer-Encoding: quoted-printable", "", body]
    # The generator breaks lines at CR, LF and CRLF only (str.splitlines knows more breaks).
    body = text.replace(CRLF, "\n").replace("\r", "\n").replace("\n", CRLF)
    encoding = "7bit" if text.isascii() else "8bit"
    return [*head, f"Content-Transfer-Encoding: {encoding}", "", body]


def to_bytes(email: EmailMessage) -> bytes | None:
    """Return the bytes Django would send for `email`, or None if it is not the usual shape."""
    alternatives = list(getattr(email, "alternatives", []) or [])
    if (
        email.attachments
        or email.cc
        or email.bcc
        or (email.encoding or settings.DEFAULT_CHARSET).lower() != "utf-8"
        or email.content_subtype != "plain"
        or len(alternatives) > 1
        or (alternatives and alternatives[0][1] != "text/html")
        or not isinstance(email.body, str)
    ):
        return None
    text_part = _part(email.body, "plain")
    names = {key.lower() for key in email.extra_headers}
    wanted: list[tuple[str, str]] = [
        ("Subject", str(email.subject)),
        ("From", str(email.extra_headers.get("From", email.from_email))),
    ]
    if email.to:
        wanted.append(("To", ", ".join(str(a) for a in email.to)))
    if email.reply_to:
        wanted.append(("Reply-To", ", ".join(str(a) for a in email.reply_to)))
    if "date" not in names:
        wanted.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        return None  # the worker always sets it; anything else goes through Django
    wanted.extend((k, str(v)) for k, v in email.extra_headers.items() if k.lower() != "from")
    headers: list[str] = []
    for name, value in wanted:
        line = _header(name, value)
        if line is None:
            return None
        headers.append(line)
    if not alternatives:
        lines = [*text_part[:3], *headers, "", text_part[4]]
        return CRLF.join(lines).encode("utf-8", "surrogateescape")
    html = str(alternatives[0][0])
    boundary = f"===============clientela{secrets.token_hex(12)}=="
    if boundary in html or boundary in email.body:  # pragma: no cover - 96 random bits
        return None
    top = [f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"', "MIME-Version: 1.0"]
    lines = [
        *top,
        *headers,
        "",
        f"--{boundary}",
        *text_part,
        f"--{boundary}",
        *_part(html, "html"),
        f"--{boundary}--",
        "",
    ]
    return CRLF.join(lines).encode("utf-8", "surrogateescape")
