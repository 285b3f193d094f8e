"""Tracking's adapters: the public script and ingest, and the tracked-sites screens."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from clientela.core.clients import rate_limit_key
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, require
from clientela.core.users import AuthenticatedHttpRequest
from clientela.tracking import services
from clientela.tracking.bots import is_bot
from clientela.tracking.forms import SiteForm
from clientela.tracking.ingest import MAX_BODY_BYTES, SITE_KEY, parse_batch
from clientela.tracking.models import TrackedSite
from clientela.tracking.queries import (
    all_allowed_origins,
    get_site_for_user,
    may_manage_sites,
    site_for_key,
    site_rows,
)

SCRIPT = Path(__file__).resolve().parent / "static" / "tracking" / "clientela.js"
SCRIPT_MAX_AGE = 3600
CORS_MAX_AGE = 86400


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


@require_GET
def script(request: HttpRequest) -> HttpResponse:
    """Serve the tracking script (the same for every site: it reads its key from its tag)."""
    response = HttpResponse(_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def site_config(request: HttpRequest, key: str) -> HttpResponse:
    """Tell the script the site's cookie consent mode (public: the key is on every page)."""
    site = site_for_key(key) if SITE_KEY.fullmatch(key) else None
    if site is None:
        return HttpResponse(status=404)
    response = JsonResponse({"consent": site.consent_mode})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _rate() -> str:
    return str(settings.CLIENTELA.get("TRACK_RATE") or "600/m")


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def events(request: HttpRequest) -> HttpResponse:
    """Take one batch of events (sendBeacon's text/plain JSON or fetch's JSON); 204 when taken.

    Refusals say nothing about why: 400 for anything malformed, 404 for an unknown or inactive
    site, 403 for a page of an origin the site does not allow, 413 for a body past 64 KB, 429
    past the per-IP rate. Known bots get 204 and nothing is stored.
    """
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        if origin and origin in all_allowed_origins():
            _cors(response, origin)
            response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
        return response
    if is_ratelimited(
        request, group="tracking.events", key=rate_limit_key, rate=_rate(), increment=True
    ):
        return HttpResponse(status=429)
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        body = request.body
    except RawPostDataException:  # a multipart form, already read: not a batch
        return HttpResponse(status=400)
    batch = parse_batch(body)
    if batch is None:
        return HttpResponse(status=400)
    site = site_for_key(batch.site)
    if site is None:
        return HttpResponse(status=404)
    if origin is not None and origin not in site.origins:
        return HttpResponse(status=403)
    if not is_bot(request.headers.get("User-Agent", "")):
        services.ingest_events(site, batch.visitor, batch.events, received_at=timezone.now())
    return _cors(HttpResponse(status=204), origin)


# --- Screens --------------------------------------------------------------------------------


def snippet(request: HttpRequest, site: TrackedSite) -> str:
    """Return the <script> tag a site pastes into its pages."""
    src = request.build_absolute_uri(reverse("tracking:script"))
    return f'<script src="{src}" data-site="{site.key}" async></script>'


def _apply(form: SiteForm, exc: ValidationFailed) -> None:
    for field, errors in exc.errors.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


@require_GET
@domain_errors
def site_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Tracked sites with their events of the last day and month."""
    require(may_manage_sites(request.user))
    return render(request, "tracking/site_list.html", {"rows": site_rows(request.user)})


@require_http_methods(["GET", "POST"])
@domain_errors
def site_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add a tracked site; its snippet is shown next."""
    require(may_manage_sites(request.user))
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.create_site(actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Site added. Paste the snippet into your pages."))
            return redirect("tracking:site_edit", pk=site.pk)
    return render(request, "tracking/site_form.html", {"form": form, "site": None})


@require_http_methods(["GET", "POST"])
@domain_errors
def site_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a tracked site, with the snippet to copy."""
    site = get_site_for_user(request.user, pk, write=True)
    initial = {
        "name": site.name,
        "allowed_origins": site.allowed_origins,
        "consent_mode": site.consent_mode,
        "is_active": site.is_active,
    }
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_site(site, actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Site saved."))
            return redirect("tracking:site_edit", pk=site.pk)
    return render(
        request,
        "tracking/site_form.html",
        {
            "form": form,
            "site": site,
            "snippet": snippet(request, site),
            "consent_call": "clientela('consent', true)",
            "stub": json.dumps("clientela"),
        },
    )
