"""The REST API root: /api/v1/…, OpenAPI at /api/openapi.json, docs at /api/docs.

Domain exceptions and request validation errors become JSON in the caller's language:
400 {"detail": "...", "errors": {"field": ["message", ...]}}, 401, 403, 404, 409 and 429.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from functools import wraps
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, URLPattern, URLResolver, include, path, re_path, resolve
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from clientela.accounts.api import accounts_router
from clientela.accounts.api_auth import (
    InvalidToken,
    SessionAuth,
    TokenAuth,
    TokenRateThrottle,
    activate_api_language,
)
from clientela.activities.api import activities_router
from clientela.billing.api import invoices_router, payments_router, quotes_router
from clientela.campaigns.api import campaigns_router, templates_router
from clientela.catalog.api import products_router
from clientela.contacts.api import companies_router, contacts_router
from clientela.core.exceptions import (
    Conflict,
    DuplicateRecord,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from clientela.core.http import error_response, unstorable_reason
from clientela.deals.api import deals_router, pipelines_router
from clientela.delivery.api import suppressions_router
from clientela.sales.api import reports_router
from clientela.segments.api import segments_router
from clientela.tracking.api import public_paths as tracking_public_paths
from clientela.tracking.api import public_schemas as tracking_public_schemas
from clientela.webforms.api import (
    forms_router,
    lead_sources_router,
    pages_router,
    routing_rules_router,
)
from clientela.webforms.api import public_paths as webforms_public_paths

logger = logging.getLogger("clientela.api")


class InvalidText(ValueError):
    """A JSON body holds text no database column can store: a lone surrogate or a NUL."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid text in the request body")
        self.errors = errors


def _strings(value: Any, where: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string of a decoded JSON document (object keys included) with its location."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*where, str(key)), str(key)
            yield from _strings(item, (*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, str(index)))


def text_problem(text: str) -> str | None:
    """Return the field message for text no database column can store, or None when it can."""
    reason = unstorable_reason(text)
    if reason == "nul":
        return str(ProhibitNullCharactersValidator.message)
    if reason == "surrogate":
        return _(
            "This text holds an unpaired UTF-16 surrogate (e.g. \\ud800), which is not valid Unicode."
        )
    return None


class StrictJSONParser(Parser):
    """The JSON parser of every API body: text a database cannot store is refused up front.

    Checking the decoded document once here covers every write operation, present and future,
    instead of a validator on each schema's string fields.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        """Decode the body and refuse lone surrogates and NUL characters, field by field."""
        data = json.loads(request.body)
        errors: dict[str, list[str]] = {}
        for where, text in _strings(data):
            problem = text_problem(text)
            if problem:
                errors.setdefault(".".join(where) or "__all__", []).append(problem)
        if errors:
            raise InvalidText(errors)
        return data


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every error answer: `detail` for people, the rest for programs.",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Messages per field (`custom.<key>`, `__all__` for the whole input)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "existing_id": {
            "anyOf": [{"type": "integer"}, {"type": "null"}],
            "description": "409 on a value in use: the record holding it, null if not yours",
        },
    },
    "required": ["detail"],
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


class ClientelaAPI(NinjaAPI):
    """NinjaAPI with translated, field-level validation errors and documented error statuses.

    Its OpenAPI document declares every error status each operation can answer.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        """Return Ninja's document plus the error answers.

        401 and 429 everywhere, 400 with input, 403 on writes, 404 on a record's path;
        operations declare others with `api_errors`.
        """
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        components.update(copy.deepcopy(tracking_public_schemas()))
        # Public endpoints served by Django views outside /api/ (documented here all the same).
        paths = schema.setdefault("paths", {})
        paths.update(copy.deepcopy(webforms_public_paths()))
        paths.update(copy.deepcopy(tracking_public_paths()))
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if operation.get("security") == []:
                    # A public endpoint (no token, own rate limits and refusals) documents
                    # every status it answers itself.
                    continue
                statuses = {401, 429}
                parameters = operation.get("parameters") or []
                if parameters or operation.get("requestBody"):
                    statuses.add(400)
                if method in WRITE_METHODS:
                    statuses.add(403)
                if any(p.get("in") == "path" for p in parameters):
                    statuses.add(404)
                responses = operation.setdefault("responses", {})
                for status in sorted(statuses):
                    if status not in responses and str(status) not in responses:
                        responses[status] = error_response(status)
        return schema

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        """Translate each pydantic error while its input and context are still at hand."""
        error = super().validation_error_from_error_contexts(error_contexts)
        originals = [
            item
            for context in error_contexts
            for item in context.pydantic_validation_error.errors(include_url=False)
        ]
        for item, original in zip(error.errors, originals, strict=True):
            item["msg"] = pydantic_message(original)
        return error


def pydantic_message(error: Mapping[str, Any]) -> str:
    """Return a user-facing message for one pydantic error, reusing Django's translated wording."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_")):
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("“%(value)s” value must be either True or False.") % {"value": value}
    if kind.startswith("datetime_"):
        return _("Enter a valid date/time.")
    if kind.startswith("date_"):
        return _("Enter a valid date.")
    if kind in {"literal_error", "enum"}:
        return _("Select a valid choice. %(value)s is not one of the available choices.") % {
            "value": value
        }
    if kind == "string_too_long":
        limit = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(str(value))}
    if kind == "string_too_short":
        limit = int(ctx.get("min_length", 0))
        return ngettext(
            "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(str(value))}
    if kind in {"less_than_equal", "less_than"}:
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le", ctx.get("lt"))
        }
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge", ctx.get("gt"))
        }
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Enter a list of values.")
    if kind in {"dict_type", "model_type", "model_attributes_type", "json_invalid", "json_type"}:
        return _("Enter a valid JSON.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    return _("Enter a valid value.")


def field_name(loc: Any) -> str:
    """Turn ninja's error location ("body", "payload", "custom", "x") into "custom.x"."""
    parts = [str(part) for part in loc]
    source, rest = (parts[0], parts[1:]) if parts else ("", [])
    if source == "body" and rest and rest[0] == "payload":
        rest = rest[1:]  # every body parameter is called `payload`
    return ".".join(rest) or "__all__"


def _keep_language(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Restore the thread's language after an operation and label the response's language."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(translation.get_language()):
            response = run(request, *args, **kwargs)
            response["Content-Language"] = translation.get_language()
            return response

    return wrapper


api = ClientelaAPI(
    title="Clientela API",
    version="1",
    description=(
        "Contacts, companies, segments, activities, users and departments of a Clientela "
        "installation, and lead capture: forms, landing pages, lead sources and routing rules. "
        "The public endpoints web pages and ad platforms call without a token (a form post, "
        "tracking batches, inbound lead webhooks) are documented here too. "
        "Send `Authorization: Bearer <token>` (create tokens in your profile, with "
        "`clientela token create USERNAME`, or with POST /api/v1/tokens). "
        "Every call acts with the token user's permissions."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[TokenAuth(), SessionAuth()],
    throttle=[TokenRateThrottle()],
    parser=StrictJSONParser(),
)
api.add_decorator(_keep_language, mode="view")


def _json(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(ValidationFailed)
def _validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return _json(request, 400, _("Some fields are not valid."), errors=exc.errors)


@api.exception_handler(DuplicateRecord)
def _duplicate(request: HttpRequest, exc: DuplicateRecord) -> HttpResponse:
    message = next(iter(exc.errors.values()))[0]
    return _json(request, 409, message, errors=exc.errors, existing_id=exc.existing_id)


@api.exception_handler(ValidationError)
def _request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        errors.setdefault(field_name(item.get("loc", ())), []).append(str(item.get("msg", "")))
    return _json(request, 400, _("Some fields are not valid."), errors=errors)


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return _json(request, 404, str(exc) or _("Not found."))


@api.exception_handler(Http404)
def _http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json(request, 404, _("Not found."))


@api.exception_handler(Forbidden)
def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return _json(request, 403, str(exc) or _("You are not allowed to do this."))


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return _json(request, 409, str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if isinstance(exc, InvalidToken):
        detail = exc.message
    else:
        activate_api_language(request)
        detail = _("Authentication required: send the header “Authorization: Bearer <token>”.")
    response = _json(request, 401, detail)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = max(1, math.ceil(exc.wait or 1))
    return _json(
        request,
        429,
        ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, InvalidText):  # ninja wraps every parser error
        return _json(request, 400, _("Some fields are not valid."), errors=exc.__cause__.errors)
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        message = _("Send a valid JSON body.")
        return _json(request, 400, message, errors={"__all__": [message]})
    if exc.status_code == 403 and "CSRF" in str(exc):
        return _json(request, 403, _("The CSRF check failed. Reload the page and try again."))
    return _json(request, exc.status_code, str(exc))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Answer an unexpected error in the API's JSON shape, logged with its traceback."""
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return _json(request, 500, _("Something went wrong on our side. It has been logged."))


api.add_router("/v1/", accounts_router)
api.add_router("/v1/contacts", contacts_router)
api.add_router("/v1/companies", companies_router)
api.add_router("/v1/segments", segments_router)
api.add_router("/v1/activities", activities_router)
api.add_router("/v1/forms", forms_router)
api.add_router("/v1/pages", pages_router)
api.add_router("/v1/lead-sources", lead_sources_router)
api.add_router("/v1/routing-rules", routing_rules_router)
api.add_router("/v1/templates", templates_router)
api.add_router("/v1/campaigns", campaigns_router)
api.add_router("/v1/suppressions", suppressions_router)
api.add_router("/v1/pipelines", pipelines_router)
api.add_router("/v1/deals", deals_router)
api.add_router("/v1/reports", reports_router)
api.add_router("/v1/products", products_router)
api.add_router("/v1/quotes", quotes_router)
api.add_router("/v1/invoices", invoices_router)
api.add_router("/v1/payments", payments_router)


@csrf_exempt
def api_fallback(request: HttpRequest, rest: str) -> HttpResponse:
    """Paths under /api/ that no operation matched.

    With a trailing slash (`/api/v1/contacts/`) the operation without it answers, for every
    method (a redirect would lose a POST body with many clients); anything else is a JSON 404,
    never the HTML page.
    """
    if rest.endswith("/") and rest.strip("/"):
        try:
            match = resolve("/api/" + rest.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.namespace == "api":
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
            return response
    activate_api_language(request)
    return _json(request, 404, _("Not found."))


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path does not take with an empty HTML 405: make it JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            activate_api_language(request)
            allowed = response.get("Allow", "")
            response = _json(
                request, 405, _("This path does not take %(method)s.") % {"method": request.method}
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _api_patterns() -> list[URLPattern | URLResolver]:
    """Ninja's URL patterns, each answering a wrong method in JSON."""
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
    return patterns


# Mounted by the root URLconf: ninja's operations first, then the fallback.
api_urlpatterns: list[URLPattern | URLResolver] = [
    path("api/", include((_api_patterns(), "ninja"), namespace="api")),
    re_path(r"^api/(?P<rest>.*)$", api_fallback),
]
