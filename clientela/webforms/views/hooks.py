"""The inbound lead endpoints: Meta Lead Ads, Google Ads lead forms, the signed JSON webhook.

Public, like the forms: each is found by an unguessable public id, rate-limited per IP, and
proves the sender with the protocol's own secret. A refusal says nothing about why (the
source's screen counts refusals); a replayed delivery answers 200 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from clientela.core.clients import client_ip, rate_limit_key
from clientela.webforms.choices import LeadSourceKind
from clientela.webforms.inbound import InboundRefused
from clientela.webforms.models import LeadSource, Submission
from clientela.webforms.services.inbound import (
    meta_handshake,
    receive_google,
    receive_meta,
    receive_webhook,
)
from clientela.webforms.services.submitting import Visit

MAX_BODY = 256 * 1024


def _source(public_id: str, kind: str) -> LeadSource | None:
    if not public_id.replace("-", "").replace("_", "").isalnum() or len(public_id) > 32:
        return None
    return LeadSource.objects.filter(public_id=public_id, kind=kind, is_active=True).first()


def _visit(request: HttpRequest) -> Visit:
    return Visit(
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        language="es",
    )


def _limited(request: HttpRequest) -> bool:
    rate = str(settings.CLIENTELA["HOOK_RATE_IP"])
    return bool(
        is_ratelimited(
            request, group="webforms.hooks", key=rate_limit_key, rate=rate, increment=True
        )
    )


def _refuse(status: int) -> HttpResponse:
    return JsonResponse({"detail": "refused"}, status=status)


def _body(request: HttpRequest) -> bytes | None:
    """Return the raw body, or None when it is too large or not a raw body (a multipart form).

    Senders post JSON; a multipart body may already have been parsed by then (its raw bytes
    are gone), and nothing a sender posts is a file upload.
    """
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        return None
    if (request.content_type or "").startswith("multipart/"):
        return None
    try:
        body = request.body
    except RawPostDataException:
        return None
    return body if len(body) <= MAX_BODY else None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_hook(request: HttpRequest, public_id: str) -> HttpResponse:
    """Answer Meta's handshake (GET) or take its signed lead notifications (POST)."""
    source = _source(public_id, LeadSourceKind.META)
    if source is None:
        return _refuse(404)
    if _limited(request):
        return _refuse(429)
    try:
        if request.method == "GET":
            params = {key: str(request.GET.get(key, "")) for key in request.GET}
            return HttpResponse(meta_handshake(source, params), content_type="text/plain")
        body = _body(request)
        if body is None:
            return _refuse(400)
        taken = receive_meta(
            source, body, request.headers.get("X-Hub-Signature-256", ""), _visit(request)
        )
    except InboundRefused:
        return _refuse(403)
    return JsonResponse({"received": len(taken)})


def _take_one(
    request: HttpRequest,
    public_id: str,
    kind: str,
    receive: Callable[[LeadSource, bytes, Visit], Submission],
) -> HttpResponse:
    """Find the source, hold the rate, read the body and take one lead with `receive`."""
    source = _source(public_id, kind)
    if source is None:
        return _refuse(404)
    if _limited(request):
        return _refuse(429)
    body = _body(request)
    if body is None:
        return _refuse(400)
    try:
        submission = receive(source, body, _visit(request))
    except InboundRefused:
        return _refuse(403)
    return JsonResponse({"reference": submission.reference})


@csrf_exempt
@require_POST
def google_hook(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take a Google Ads lead-form webhook (its `google_key` must be this source's)."""
    return _take_one(request, public_id, LeadSourceKind.GOOGLE, receive_google)


@csrf_exempt
@require_POST
def json_hook(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take a JSON lead signed with this source's secret (header X-Clientela-Signature)."""
    signature = request.headers.get("X-Clientela-Signature", "")
    return _take_one(
        request,
        public_id,
        LeadSourceKind.WEBHOOK,
        lambda source, body, visit: receive_webhook(source, body, signature, visit),
    )
