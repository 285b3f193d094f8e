"""Per-user interface language and a login wall for every page but the public ones."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from clientela.core.registries import public_prefixes

# The platform's own public paths; apps add theirs with core.registries.register_public_prefix.
BASE_PUBLIC_PREFIXES = ("/accounts/login", "/api/", "/static/", "/healthz", "/i18n/", "/favicon")


class UserLanguageMiddleware:
    """Activate the signed-in user's language, else the session/cookie choice, else Spanish."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Activate the language for this request and name it in Content-Language."""
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        user_id = request.session.get("_auth_user_id") if hasattr(request, "session") else None
        cached = request.session.get("clientela_language") if user_id else None
        if cached:
            language = cached
        if language not in {code for code, _ in settings.LANGUAGES}:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class LoginRequiredMiddleware:
    """Send anonymous visitors to the login page (the API authenticates by token instead)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Redirect an anonymous visitor of a non-public path to the login page."""
        if not request.user.is_authenticated and not request.path.startswith(
            BASE_PUBLIC_PREFIXES + public_prefixes()
        ):
            return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
        return self.get_response(request)
