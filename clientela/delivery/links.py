"""The public links of a sent message: open pixel, click redirects, unsubscribe, bounce address.

Every link carries the message's token (160 random bits, never a database id) and an HMAC
signature made with the site's secret over what the link does (and, for a click, the target
URL). A link whose signature does not match is refused before the database is asked, and only
a signed URL redirects, so the click endpoint is no open redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import cache
from typing import Any
from urllib.parse import quote

from django.conf import settings

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{40}$")
SIGNATURE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")
OPEN, CLICK, UNSUBSCRIBE = "o", "c", "u"
# Where the public endpoints live (accounts.middleware.PUBLIC_PREFIXES names it too).
PREFIX = "/m/"


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"clientela.delivery.links:" + secret.encode()).digest()


def sign(*parts: str) -> str:
    """Return the 128-bit URL-safe HMAC-SHA256 signature of `parts`."""
    mac = hmac.new(_key(settings.SECRET_KEY), "\x1f".join(parts).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()


def verify(signature: str, *parts: str) -> bool:
    """Whether `signature` is the signature of `parts` (constant-time)."""
    if not SIGNATURE_PATTERN.match(signature):
        return False
    return hmac.compare_digest(signature, sign(*parts))


def conf(name: str, default: Any = None) -> Any:
    """Return one of the CLIENTELA settings of mail operations (its default when unset)."""
    value = settings.CLIENTELA.get(name)
    return default if value is None or value == "" else value


def public_url() -> str:
    """Return the address public links point at (CLIENTELA_PUBLIC_URL)."""
    return str(conf("PUBLIC_URL", "http://localhost:8000")).rstrip("/")


def open_url(token: str) -> str:
    """Return the URL of the message's open pixel."""
    return f"{public_url()}{PREFIX}o/{token}/{sign(OPEN, token)}.gif"


def click_url(token: str, url: str) -> str:
    """Return the signed redirect through which a click on `url` is counted."""
    return f"{public_url()}{PREFIX}c/{token}/{sign(CLICK, token, url)}/?u={quote(url, safe='')}"


def unsubscribe_url(token: str) -> str:
    """Return the message's unsubscribe link (GET: preference page; POST: one-click)."""
    return f"{public_url()}{PREFIX}u/{token}/{sign(UNSUBSCRIBE, token)}/"


def bounce_domain() -> str:
    """Return the domain of per-message bounce addresses (blank: not configured)."""
    return str(conf("MAIL_BOUNCE_DOMAIN", "")).strip().lower()


def bounce_address(token: str) -> str:
    """Return the message's VERP bounce address (blank without a bounce domain)."""
    domain = bounce_domain()
    return f"bounce+{token}@{domain}" if domain else ""


def unsubscribe_mailto(token: str) -> str:
    """Return the mailto: unsubscribe address of List-Unsubscribe (blank without a domain)."""
    domain = bounce_domain()
    return f"mailto:unsubscribe+{token}@{domain}?subject=unsubscribe" if domain else ""


ADDRESS_PATTERN = re.compile(r"^(bounce|unsubscribe)\+([0-9a-f]{40})@", re.IGNORECASE)


def parse_address(address: str) -> tuple[str, str] | None:
    """Return ("bounce" | "unsubscribe", token) of one of our VERP addresses, else None."""
    match = ADDRESS_PATTERN.match(address.strip().strip("<>"))
    if match is None:
        return None
    return match.group(1).lower(), match.group(2).lower()
