"""The generic JSON webhook: any system posts a lead signed with a shared secret.

The signature header is `X-Clientela-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>">`: the timestamp is signed with the body, so a captured request cannot be
replayed later than the tolerance, and within it the lead id (or the signature itself) is
the replay key the caller stores. Fields are picked from the JSON by a mapping of contact
field -> dotted path ("contact.email", "answers.0.value").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from clientela.webforms.inbound import InboundLead, InboundRefused

HEADER = "X-Clientela-Signature"
TOLERANCE_SECONDS = 300
MAX_PATH_DEPTH = 8


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """Return the header value a sender puts on `body` (documented for integrators)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def check_signature(body: bytes, header: str, secret: str, *, now: float) -> str:
    """Verify the header against the body and the clock; return the signature (replay key)."""
    if not secret:
        raise InboundRefused("no secret configured")
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, value)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or len(stamp) > 12 or not given:
        raise InboundRefused("missing or malformed signature")
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        raise InboundRefused("stale timestamp")
    expected = sign(body, secret, int(stamp)).split("v1=", 1)[1]
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise InboundRefused("signature mismatch")
    return expected


def pick(payload: Any, path: str) -> str:
    """Return the text at a dotted path of a JSON document ("" when it is not there)."""
    node = payload
    for step in path.split(".")[:MAX_PATH_DEPTH]:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return ""
    if isinstance(node, bool) or node is None or isinstance(node, dict | list):
        return ""
    return str(node).strip()[:1000]


def read_webhook(
    body: bytes, *, mapping: Mapping[str, str], id_path: str, replay_key: str
) -> InboundLead:
    """Read a verified body with the source's field mapping; the id path names the lead."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboundRefused("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InboundRefused("body is not an object")
    fields = {field: value for field, path in mapping.items() if (value := pick(payload, path))}
    attribution = {
        key: value
        for key in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
        if (value := pick(payload, key))
    }
    external_id = (pick(payload, id_path) if id_path else "") or replay_key
    return InboundLead(
        source="webhook",
        external_id=external_id[:200],
        fields=fields,
        attribution=attribution,
        raw=payload,
    )
