"""Access helpers shared by the account views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability


def admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 404 to anyone who may not manage users: admin URLs stay undiscoverable."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_capability(request.user, "accounts.manage_users"):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Return the `next` parameter when it is a URL inside this site, else `fallback`.

    Only a path ("/contacts/") or an http(s) URL of this host qualifies: `redirect()` takes a
    bare word such as "abc" or '{"a":1}' for a URL name to reverse, which was a 500.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if _is_url(candidate) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _is_url(text: str) -> bool:
    """Whether `text` is a path or an http(s) URL (not a word `redirect()` would reverse)."""
    if text.startswith("/"):
        return True
    try:
        return urlsplit(text).scheme in {"http", "https"}
    except ValueError:  # "http://[" and the like
        return False


def signed_in_user(request: HttpRequest) -> User:
    """Return the request's user; LoginRequiredMiddleware guarantees one on non-public pages."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Http404
    return user
