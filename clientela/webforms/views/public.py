"""The public endpoints: the hosted form, its submission, the embed script, ALTCHA, confirmation.

Anyone on the internet reaches these, so each one is rate-limited, takes only signed tokens
(never database ids) and answers hostile input with a 4xx: a JSON body when the client asks for
JSON (Accept or Content-Type), else a page in the visitor's language.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from clientela.core.clients import client_ip
from clientela.core.exceptions import NotFound
from clientela.webforms import antispam, services
from clientela.webforms.choices import FieldKind, HiddenSource
from clientela.webforms.models import Form
from clientela.webforms.queries import form_spec, published_form

MAX_BODY = 64 * 1024
PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob: data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


def visitor_language(request: HttpRequest, form: Form | None) -> str:
    """Return es or en: ?lang=, else the browser's Accept-Language, else the form's default."""
    asked = str(request.GET.get("lang", ""))[:2].lower()
    if asked in {"es", "en"}:
        return asked
    header = request.headers.get("Accept-Language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in {"es", "en"}:
            return code
    return form.language if form is not None and form.language in {"es", "en"} else "es"


def wants_json(request: HttpRequest) -> bool:
    """Whether the client asked for a JSON answer (Accept, or a JSON body)."""
    accept = request.headers.get("Accept", "")
    content_type = request.headers.get("Content-Type", "")
    return "application/json" in accept or content_type.startswith("application/json")


def allowed_origin(request: HttpRequest, form: Form | None) -> str | None:
    """Return the request's Origin when the form may be embedded there, else None."""
    origin = request.headers.get("Origin", "")
    if form is None or not origin:
        return None
    return origin if origin in (form.allowed_origins or []) else None


def with_cors(response: HttpResponse, request: HttpRequest, form: Form | None) -> HttpResponse:
    """Let an allowed embedding origin read the answer (never any other origin)."""
    origin = allowed_origin(request, form)
    response["Vary"] = "Origin, Accept-Language"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _json_error(
    request: HttpRequest, form: Form | None, status: int, errors: dict[str, list[str]]
) -> HttpResponse:
    first = next(iter(errors.values()))[0]
    return with_cors(
        JsonResponse({"detail": first, "errors": errors}, status=status), request, form
    )


def _public_page(
    request: HttpRequest,
    form: Form | None,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    embed = request.GET.get("embed") == "1"
    ancestors = "'none'"
    if embed and form is not None and form.allowed_origins:
        ancestors = " ".join(form.allowed_origins)
    response = HttpResponse(
        render_to_string(template, {"embed": embed, **context}, request=request), status=status
    )
    response["Content-Security-Policy"] = PUBLIC_CSP.format(ancestors=ancestors)
    response["Cache-Control"] = "no-store"
    return with_cors(response, request, form)


def form_context(
    request: HttpRequest,
    form: Form,
    *,
    errors: dict[str, list[str]] | None = None,
    values: Any = None,
    preview: bool = False,
) -> dict[str, Any]:
    """Return what the form partial needs: fields, consents, a fresh render token, values."""
    spec = form_spec(form)
    fields, consents = spec.fields, spec.consents
    data = values if values is not None else {}
    params = request.GET
    visible, hidden = [], []
    for item in fields:
        name = item.input_name
        if item.kind == FieldKind.HIDDEN:
            if item.hidden_source != HiddenSource.FIXED:
                raw = data.get(name) if values is not None else params.get(name, "")
                hidden.append({"name": name, "value": str(raw or "")[:150]})
            continue
        raw = data.get(name, "")
        visible.append(
            {"field": item, "name": name, "value": "" if isinstance(raw, dict | list) else raw,
             "errors": (errors or {}).get(name, [])}
        )  # fmt: skip
    consent_rows = [
        {"consent": c, "name": c.input_name, "checked": bool(data.get(c.input_name)),
         "errors": (errors or {}).get(c.input_name, [])}
        for c in consents
    ]  # fmt: skip
    return {
        "form": form,
        "visible": visible,
        "hidden": hidden,
        "consents": consent_rows,
        "general_errors": (errors or {}).get("__all__", []),
        "token": antispam.issue_render_token(form.public_id),
        # The iframe version posts back into the frame: its answer must stay frameable.
        "action": reverse("webforms:public", kwargs={"public_id": form.public_id})
        + ("?embed=1" if request.GET.get("embed") == "1" else ""),
        "challenge_url": reverse("webforms:altcha", kwargs={"public_id": form.public_id}),
        "page_url": str(data.get("_page", "")) if values is not None else request.build_absolute_uri(),
        "referrer": str(data.get("_referrer", "")) if values is not None else request.headers.get("Referer", ""),
        "phone_country": str(data.get("phone_country", "")) or str(settings.CLIENTELA["DEFAULT_PHONE_REGION"]),
        "preview": preview,
        "HONEYPOT": antispam.HONEYPOT,
    }  # fmt: skip


def _parse(request: HttpRequest) -> tuple[Any, dict[str, list[str]] | None]:
    """Return the posted data (a dict or a QueryDict), or field errors for an unusable body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY + 1
    if length > MAX_BODY:
        return None, {"__all__": [_("The submission is too large.")]}
    if request.headers.get("Content-Type", "").startswith("application/json"):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None, {"__all__": [_("Send a valid JSON body.")]}
        if not isinstance(data, dict):
            return None, {"__all__": [_("Send a JSON object.")]}
        return data, None
    return request.POST, None


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def public_form(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show the hosted form (GET), take a submission (POST), answer a CORS preflight (OPTIONS)."""
    form = published_form(public_id)
    if request.method == "OPTIONS":
        return preflight(request, form)
    language = visitor_language(request, form)
    with translation.override(language):
        if form is None or not form.is_published:
            if request.method == "POST" and wants_json(request):
                return _json_error(
                    request, None, 404, {"__all__": [_("This form does not exist.")]}
                )
            return _public_page(request, None, "webforms/public_missing.html", {}, status=404)
        if request.method == "GET":
            return _public_page(
                request, form, "webforms/public_form.html", form_context(request, form)
            )
        response = submit(request, form, language)
        response["Content-Language"] = language
        return response


@csrf_exempt
def public_fallback(request: HttpRequest, rest: str) -> HttpResponse:
    """Answer 404 for any other path under /f/: JSON when the client asks for it, else a page."""
    with translation.override(visitor_language(request, None)):
        if wants_json(request):
            return _json_error(request, None, 404, {"__all__": [_("This form does not exist.")]})
        return _public_page(request, None, "webforms/public_missing.html", {}, status=404)


def preflight(request: HttpRequest, form: Form | None) -> HttpResponse:
    """Answer a CORS preflight: only for an origin the form allows, else 403 with no CORS headers."""
    origin = allowed_origin(request, form)
    if form is None or not form.is_published or origin is None:
        return HttpResponse(status=403)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _refuse(
    request: HttpRequest, form: Form, status: int, errors: dict[str, list[str]], data: Any
) -> HttpResponse:
    if wants_json(request):
        return _json_error(request, form, status, errors)
    context = form_context(request, form, errors=errors, values=data if data is not None else {})
    return _public_page(request, form, "webforms/public_form.html", context, status=status)


def submit(request: HttpRequest, form: Form, language: str) -> HttpResponse:
    """Check, validate and store one submission (the worker processes it); answer JSON or a page."""
    if antispam.rate_limited(request, form.public_id):
        message = _("Too many submissions. Wait a minute and try again.")
        return _refuse(request, form, 429, {"__all__": [message]}, None)
    data, problem = _parse(request)
    if problem is not None:
        return _refuse(request, form, 400, problem, None)
    spam = [_("We could not accept this submission. Reload the page and try again.")]
    token = antispam.read_render_token(data.get(antispam.TOKEN_FIELD), form.public_id)
    challenge = antispam.altcha_valid(data.get(antispam.ALTCHA_FIELD))
    if (
        antispam.honeypot_filled(data)
        or token is None
        or antispam.filled_too_fast(token)
        or challenge is None
    ):
        services.count_spam(form)
        return _refuse(request, form, 400, {"__all__": spam}, data)
    spec = form_spec(form)
    _cleaned, errors = services.clean_payload(
        form, spec.fields, spec.consents, data, spec.definitions
    )
    if errors:
        return _refuse(request, form, 400, errors, data)
    if not antispam.spend_altcha(challenge, token.nonce):
        services.count_spam(form)
        return _refuse(request, form, 400, {"__all__": spam}, data)
    visit = services.Visit(
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        page_url=str(data.get("_page") or request.headers.get("Referer", ""))[:1000],
        referrer=str(data.get("_referrer") or "")[:1000],
        language=language,
        visitor_id=str(data.get(antispam.VISITOR_FIELD) or "")[:64],
    )
    payload = services.raw_payload(data)
    payload.pop(antispam.ALTCHA_FIELD, None)  # a spent proof of work; kept out of the record
    # Stored raw and answered; the worker makes the contact within seconds.
    submission, _created = services.store_submission(
        form, payload=payload, visit=visit, idempotency_key=token.nonce
    )
    if wants_json(request):
        body = {"reference": submission.reference, "message": form.thank_you() or _("Thank you!")}
        if form.redirect_url and services.redirect_allowed(form.redirect_url):
            body["redirect"] = form.redirect_url
        return with_cors(JsonResponse(body, status=201), request, form)
    if form.redirect_url and services.redirect_allowed(form.redirect_url):
        return HttpResponseRedirect(form.redirect_url, status=303)
    return _public_page(request, form, "webforms/public_thanks.html", {"form": form}, status=200)


@require_GET
def embed_script(request: HttpRequest, public_id: str) -> HttpResponse:
    """Serve the script that renders the form inside any page and submits it cross-origin."""
    form = published_form(public_id)
    if form is None or not form.is_published:
        raise Http404
    language = visitor_language(request, form)
    with translation.override(language):
        html = render_to_string(
            "webforms/_form.html",
            {**form_context(request, form), "embedded": True},
            request=request,
        )
        config = {
            "action": request.build_absolute_uri(
                reverse("webforms:public", kwargs={"public_id": form.public_id})
            ),
            "challenge": request.build_absolute_uri(
                reverse("webforms:altcha", kwargs={"public_id": form.public_id})
            ),
            "widget": request.build_absolute_uri(static("vendor/altcha/altcha.js")),
            "html": html,
            "failed": _("Something went wrong. Try again in a moment."),
        }
    text = (
        json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    script = render_to_string("webforms/embed.js", {"config": text})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"  # a script tag needs no CORS; harmless
    return response


@csrf_exempt
@require_http_methods(["GET", "OPTIONS"])
def altcha_challenge(request: HttpRequest, public_id: str) -> HttpResponse:
    """Hand the ALTCHA widget a fresh signed challenge (rate-limited like submissions)."""
    form = published_form(public_id)
    if form is None or not form.is_published:
        raise Http404
    if request.method == "OPTIONS":
        return preflight(request, form)
    if antispam.rate_limited(request, f"challenge:{form.public_id}"):
        return with_cors(JsonResponse({"detail": "too many requests"}, status=429), request, form)
    response = JsonResponse(antispam.new_challenge())
    response["Cache-Control"] = "no-store"
    return with_cors(response, request, form)


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Activate a double opt-in consent from the link of the confirmation e-mail."""
    language = visitor_language(request, None)
    with translation.override(language):
        if antispam.rate_limited(request, "confirm"):
            return _public_page(
                request, None, "webforms/public_confirm.html", {"state": "limited"}, status=429
            )
        try:
            done = services.confirm_consent(
                token, ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")
            )
        except NotFound:
            return _public_page(
                request, None, "webforms/public_confirm.html", {"state": "invalid"}, status=404
            )
        state = "already" if done.already else "confirmed"
        return _public_page(request, None, "webforms/public_confirm.html", {"state": state})
