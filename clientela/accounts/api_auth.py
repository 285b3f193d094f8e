"""API authentication (bearer tokens and browser sessions), request language and rate limiting."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AuthRateThrottle

from clientela.accounts.models import ApiToken, User
from clientela.accounts.queries import active_token

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)
SUPPORTED_LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)
MAX_TOKEN_LENGTH = 200


class InvalidToken(AuthenticationError):
    """A bearer token was sent but it is unknown, revoked, or its user is inactive."""

    def __init__(self) -> None:
        super().__init__(message=_("This API token is not valid, or it was revoked."))


def actor(request: HttpRequest) -> User:
    """Return the user an authenticated API request acts as (its token's or its session's)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def activate_api_language(request: HttpRequest, user: User | None = None) -> str:
    """Answer in the language the client asks for (Accept-Language), else the user's own."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        language = translation.get_language_from_request(request)
    elif user is not None and user.language in SUPPORTED_LANGUAGES:
        language = user.language
    else:
        language = getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the request acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """Look the token up (one query with the user and role) and note when it was last used."""
        activate_api_language(request)
        token = token.strip()
        found = active_token(token) if token and len(token) <= MAX_TOKEN_LENGTH else None
        if found is None:
            raise InvalidToken()
        user = found.user  # with its role already loaded: role_of() needs no query
        _touch(found)
        request.clientela_token = found  # type: ignore[attr-defined]
        request.user = user
        activate_api_language(request, user)
        return user


def _touch(token: ApiToken) -> None:
    """Record the token's use at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Bookkeeping, not a business change: no event, no version bump.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (for /api/docs), with Django's CSRF check on writes."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Only a signed-in browser is held to CSRF: a token client without cookies must get
        # 401 (bad or missing token), not a confusing CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        """Return the session's user when signed in and active."""
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


def api_rate() -> str:
    """Return the per-token request rate, e.g. "6000/m" (settings.CLIENTELA["API_RATE"])."""
    return str(settings.CLIENTELA.get("API_RATE") or "6000/m")


class TokenRateThrottle(AuthRateThrottle):
    """Per-token (or per-session-user) rate limit read from settings at every request.

    ninja's sliding log keeps one timestamp per request in the cache, which costs more than the
    request itself at thousands per minute; this counts requests in fixed windows instead
    (one atomic cache increment). A client may burst up to twice the rate across a window edge.
    """

    scope = "clientela"

    def __init__(self) -> None:
        super().__init__(rate=api_rate())
        self._local = threading.local()

    def _refresh_rate(self) -> None:
        rate = api_rate()
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)

    def get_cache_key(self, request: HttpRequest) -> str:
        """One counter per token, per session user, else per client address."""
        token = getattr(request, "clientela_token", None)
        if token is not None:
            ident = f"t{token.pk}"
        elif getattr(request, "auth", None) is not None:
            ident = f"u{request.auth.pk}"  # type: ignore[attr-defined]
        else:
            ident = f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: HttpRequest) -> bool:
        """Count this request in the current window; refuse once the window is full."""
        self._refresh_rate()
        if not self.num_requests or not self.duration:
            return True
        now = time.time()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request)}:{window}"
        cache.add(key, 0, timeout=self.duration * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=self.duration * 2)
            count = 1
        self._local.wait = (window + 1) * self.duration - now
        return bool(count <= self.num_requests)

    def wait(self) -> float | None:
        """Seconds until the current window ends."""
        return getattr(self._local, "wait", None)
