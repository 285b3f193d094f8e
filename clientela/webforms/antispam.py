"""Anti-spam without third parties: render tokens (time trap, idempotency), honeypot, ALTCHA.

* Every rendering of a form carries a signed render token: the form, a random nonce and the
  moment it was rendered. A post sooner than FORM_MIN_FILL_SECONDS after it is a bot's; the
  nonce is the submission's idempotency key (a double click posts the same token).
* A honeypot input (`website`) a person never sees nor fills.
* ALTCHA proof of work (the `altcha` library, self-hosted): the widget solves a challenge the
  server signed; a solution is good once (spent solutions are remembered in the cache until
  the challenge expires, keyed to the render token so a double click is not a replay).

Rate limits (per visitor IP and per form) are django-ratelimit's, counted in the default cache.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import altcha
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_ratelimit.core import is_ratelimited

from clientela.core.clients import rate_limit_key

HONEYPOT = "website"
TOKEN_FIELD = "_token"
ALTCHA_FIELD = "altcha"
VISITOR_FIELD = "clientela_visitor"
CHALLENGE_LIFETIME = dt.timedelta(minutes=20)
_SALT = "clientela.webforms.render"


def _settings() -> dict[str, Any]:
    return dict(settings.CLIENTELA)


def _altcha_key() -> str:
    return str(salted_hmac("clientela.webforms.altcha", "key").hexdigest())


@dataclass(frozen=True)
class RenderToken:
    """What a render token says: which form, which rendering (nonce), when."""

    public_id: str
    nonce: str
    issued_at: float


def issue_render_token(public_id: str, *, now: float | None = None) -> str:
    """Return a signed token for one rendering of the form (128-bit nonce, timestamp)."""
    moment = time.time() if now is None else now
    return signing.dumps({"f": public_id, "n": secrets.token_hex(16), "t": moment}, salt=_SALT)


def read_render_token(token: Any, public_id: str) -> RenderToken | None:
    """Return the token's content when it is genuine, for this form and not too old; else None."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("f") != public_id:
        return None
    nonce, issued = data.get("n"), data.get("t")
    if not isinstance(nonce, str) or not isinstance(issued, int | float):
        return None
    if time.time() - issued > int(_settings()["FORM_TOKEN_MAX_AGE"]):
        return None
    return RenderToken(public_id, nonce, float(issued))


def filled_too_fast(token: RenderToken, *, now: float | None = None) -> bool:
    """Whether the form came back sooner after its rendering than a person can fill it."""
    moment = time.time() if now is None else now
    return moment - token.issued_at < float(_settings()["FORM_MIN_FILL_SECONDS"])


def honeypot_filled(data: Any) -> bool:
    """Whether the invisible honeypot input holds anything."""
    value = data.get(HONEYPOT) if hasattr(data, "get") else None
    return bool(value)


def new_challenge() -> dict[str, Any]:
    """Return a signed ALTCHA challenge for the widget (expires after CHALLENGE_LIFETIME)."""
    challenge = altcha.create_challenge(
        altcha.ChallengeOptions(
            hmac_key=_altcha_key(),
            max_number=int(_settings()["ALTCHA_MAX_NUMBER"]),
            expires=dt.datetime.now(dt.UTC) + CHALLENGE_LIFETIME,
        )
    )
    return challenge.to_dict()


def altcha_valid(payload: Any) -> str | None:
    """Return the solved challenge's id when the ALTCHA payload is genuine, unexpired; else None."""
    if not isinstance(payload, str) or not payload or len(payload) > 2000:
        return None
    try:
        ok, _error = altcha.verify_solution(payload, _altcha_key(), check_expires=True)
        if not ok:
            return None
        challenge = json.loads(base64.b64decode(payload))["challenge"]
    except Exception:
        return None
    return str(challenge) if isinstance(challenge, str) else None


def spend_altcha(challenge: str, owner: str) -> bool:
    """Mark a solved challenge used by `owner` (the render nonce); False when another used it."""
    key = f"webforms:altcha:{challenge}"
    lifetime = int(CHALLENGE_LIFETIME.total_seconds()) + 60
    if cache.add(key, owner, lifetime):
        return True
    return bool(cache.get(key) == owner)


def rate_limited(request: HttpRequest, public_id: str) -> bool:
    """Count one submission attempt; True when the visitor's IP or the form is over its rate."""
    config = _settings()
    by_ip = is_ratelimited(
        request,
        group="webforms.ip",
        key=rate_limit_key,
        rate=config["FORM_RATE_IP"],
        increment=True,
    )
    by_form = is_ratelimited(
        request,
        group="webforms.form",
        key=lambda _group, _request: public_id,
        rate=config["FORM_RATE_FORM"],
        increment=True,
    )
    return bool(by_ip or by_form)
