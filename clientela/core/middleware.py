"""Response headers Django 5.2 does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class ContentSecurityPolicyMiddleware:
    """Send settings.CONTENT_SECURITY_POLICY on every response that has none.

    Django 6 sets this header natively; until then this is the one place. Scripts come from
    this site only and no inline script runs: templates use data attributes that
    static/clientela/app.js handles instead of on* attributes (a test holds every template to it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = str(getattr(settings, "CONTENT_SECURITY_POLICY", "") or "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer the request, adding the policy header unless the view set its own."""
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class NullCharacterMiddleware:
    """Refuse (400) a request whose path, query string or form holds a NUL character.

    PostgreSQL cannot take NUL in any text value, so `?q=%00` or `/api/v1/roles/%00` reached
    the database as a ValueError (a 500) wherever a view passed the text on. No real client
    sends NUL in a URL or a form; refusing it at the door covers every view, present and future
    (forms refuse it per field too; JSON bodies are checked by the API's parser).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer 400 when the request holds a NUL character, else pass it on."""
        if _holds_nul(request):
            message = str(ProhibitNullCharactersValidator.message)
            if request.path.startswith("/api/") or _asks_for_json(request):
                return JsonResponse(
                    {"detail": message, "errors": {"__all__": [message]}}, status=400
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _asks_for_json(request: HttpRequest) -> bool:
    """Whether a client outside /api/ (a public form's script) sent or asked for JSON."""
    return "application/json" in request.headers.get("Accept", "") or request.headers.get(
        "Content-Type", ""
    ).startswith("application/json")


def _holds_nul(request: HttpRequest) -> bool:
    """Whether the path, a query parameter or a form field holds a NUL (uploads not read)."""
    if "\x00" in request.path:
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        if request.path.startswith("/api/"):
            # The API parses the body itself: read it first, so parsing the form here reads the
            # kept bytes and leaves `request.body` readable (a form post to a JSON endpoint
            # was a RawPostDataException, a 500, instead of the API's 400).
            request.body  # noqa: B018
        sources.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for source in sources
        for key, values in source.lists()
    )
