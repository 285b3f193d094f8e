"""The public endpoints of sent e-mail: open pixel, click redirect, unsubscribe and preferences.

No login, no session, no CSRF token (the links are signed per message, see `links`): they are
opened from mail clients and posted by mailbox providers (RFC 8058 one-click). The pixel and
the redirect do one read and one INSERT and render no template.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clientela.delivery import links
from clientela.delivery.models import Message
from clientela.delivery.queries import message_for_token
from clientela.delivery.services.engagement import record_click, record_open
from clientela.delivery.services.unsubscribe import (
    is_unsubscribed,
    opted_out_topics,
    save_preferences,
    unsubscribe,
)
from clientela.delivery.topics import topics

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
MAX_URL = 4000
NO_STORE = "no-store, no-cache, must-revalidate, private"


def _checked(token: str, signature: str, *parts: str) -> bool:
    return bool(links.TOKEN_PATTERN.match(token)) and links.verify(signature, *parts)


@require_http_methods(["GET", "HEAD"])
def pixel(request: HttpRequest, token: str, sig: str) -> HttpResponse:
    """Count an open and answer a transparent 1×1 GIF (404 for a link we did not sign)."""
    if not _checked(token, sig, links.OPEN, token):
        return HttpResponse(status=404)
    record_open(token, user_agent=request.headers.get("User-Agent", ""))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = NO_STORE
    return response


@require_http_methods(["GET", "HEAD"])
def click(request: HttpRequest, token: str, sig: str) -> HttpResponse:
    """Count a click and redirect to the signed target; anything else is a 404."""
    target = request.GET.get("u", "")
    if (
        len(target) > MAX_URL
        or not target.lower().startswith(("http://", "https://"))
        or not _checked(token, sig, links.CLICK, token, target)
    ):
        return HttpResponse(status=404)
    record_click(
        token,
        target,
        user_agent=request.headers.get("User-Agent", ""),
        head=request.method == "HEAD",
    )
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"
    return response


def _message(token: str, sig: str) -> Message:
    if not _checked(token, sig, links.UNSUBSCRIBE, token):
        raise Http404
    message = message_for_token(token)
    if message is None:
        raise Http404
    return message


def _one_click(request: HttpRequest) -> bool:
    """Whether the POST is RFC 8058's one-click (form-encoded or multipart, as providers send)."""
    return request.POST.get("List-Unsubscribe") == "One-Click"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str, sig: str) -> HttpResponse:
    """Show the recipient's preference page; POST one-click (RFC 8058) unsubscribes at once."""
    message = _message(token, sig)
    if request.method == "POST" and _one_click(request):
        unsubscribe(message, how="one-click")
        response = HttpResponse(status=200)
        response["Cache-Control"] = NO_STORE
        return response
    language = message.language if message.language in ("es", "en") else "es"
    saved = False
    if request.method == "POST":
        keep = (
            []
            if request.POST.get("action") == "unsubscribe"
            else [str(key) for key in request.POST.getlist("topics")][:50]
        )
        save_preferences(message, keep=keep)
        saved = True
    left = opted_out_topics(message)
    out = is_unsubscribed(message)
    with translation.override(language):
        response = render(
            request,
            "delivery/preferences.html",
            {
                "address": message.to_address,
                "topics": [
                    {
                        "key": topic.key,
                        "label": str(topic.label),
                        "on": not out and topic.key not in left,
                    }
                    for topic in topics()
                ],
                "unsubscribed": out,
                "saved": saved,
                "language": language,
            },
        )
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"
    return response
