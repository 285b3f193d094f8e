"""The one access-matrix helper every app's tests use (UI routes and API operations).

An app's ``tests/test_access_matrix.py`` declares ``ROUTE_MATRIX`` (``"namespace:name"`` →
status per persona) and runs it with :func:`route_mismatches`; when it serves API operations,
its ``tests/test_api_access_matrix.py`` declares ``API_MATRIX`` (``"METHOD /api/v1/path"`` →
status per persona) and runs it with :func:`api_mismatches`. The coverage tests in
``clientela/core/tests/test_access_coverage.py`` collect every matrix of every installed
Clientela app and fail when a route of the URLconf or an API operation is in none of them, so
a new screen or endpoint cannot ship without saying who may use it.

Personas are the shared ones of the root ``conftest.py`` (``personas`` fixture) plus the
anonymous visitor.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider")
ANONYMOUS = "anonymous"
EVERY_PERSONA = (*PERSONAS, ANONYMOUS)

Row = dict[str, int]


def row(
    admin: int,
    manager: int,
    rep: int,
    rep2: int,
    colleague: int,
    marketer: int,
    outsider: int,
    *,
    anonymous: int = 302,
) -> Row:
    """One matrix row: a status per persona in the order of PERSONAS, then the visitor's.

    Anonymous visitors are sent to the sign-in page (302) unless told otherwise.
    """
    statuses = (admin, manager, rep, rep2, colleague, marketer, outsider)
    return {**dict(zip(PERSONAS, statuses, strict=True)), ANONYMOUS: anonymous}


def everyone(status: int, *, anonymous: int = 302) -> Row:
    """The same status for every signed-in persona, and `anonymous` for visitors."""
    return row(*(status,) * len(PERSONAS), anonymous=anonymous)


@dataclass
class Request:
    """How a route or an operation is requested in a matrix, each part a function of the world."""

    method: str = "GET"
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    query: Callable[[Any], str] = lambda world: ""
    data: Callable[[Any], Any] = field(default=lambda world: {})


# --- UI routes ------------------------------------------------------------------------------


def _walk(patterns: Iterable[Any], namespace: str = "") -> dict[str, URLPattern]:
    found: dict[str, URLPattern] = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found.update(_walk(entry.url_patterns, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[f"{namespace}:{entry.name}" if namespace else entry.name] = entry
    return found


def named_routes() -> dict[str, URLPattern]:
    """Every named route of the site, ``"namespace:name"``, included URLconfs flattened."""
    return _walk(get_resolver().url_patterns)


def _piece(entry: URLPattern | URLResolver) -> str:
    # A regular-expression pattern reads "^api/..."; anchors are noise once pieces are joined.
    return str(entry.pattern).removeprefix("^")


def every_route() -> list[tuple[str, str | None]]:
    """Every URL pattern of the site as ``(route, "namespace:name")``; unnamed ones give None."""
    found: list[tuple[str, str | None]] = []

    def walk(patterns: Iterable[Any], prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + _piece(entry), inner)
            elif isinstance(entry, URLPattern):
                name = None
                if entry.name:
                    name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append((prefix + _piece(entry), name))

    walk(get_resolver().url_patterns, "", "")
    return found


def route_url(name: str, spec: Request, world: Any, default_kwargs: Mapping[str, Any]) -> str:
    """The URL a matrix requests: the spec's kwargs, or defaults for the route's parameters."""
    if spec.kwargs is not None:
        kwargs = spec.kwargs(world)
    else:
        converters = getattr(named_routes()[name].pattern, "converters", {})
        kwargs = {key: default_kwargs[key] for key in converters}
    return reverse(name, kwargs=kwargs) + spec.query(world)


def route_mismatches(
    name: str,
    matrix: Mapping[str, Row],
    spec: Request,
    personas: Any,
    build_world: Callable[[Any], Any],
    default_kwargs: Callable[[Any], Mapping[str, Any]],
) -> dict[str, int]:
    """Request route `name` as every persona and the visitor and return the statuses that
    differ from the matrix; URL parameters come from the spec, else from `default_kwargs`.

    One world serves every persona: each request runs in a savepoint rolled back after it, so
    one persona's delete does not hide the record from the next.
    """
    world = build_world(personas)
    wrong: dict[str, int] = {}
    for persona in EVERY_PERSONA:
        user = None if persona == ANONYMOUS else getattr(personas, persona)
        with transaction.atomic():
            url = route_url(name, spec, world, default_kwargs(world))
            status = request_route(Client(), user, url, spec, world).status_code
            transaction.set_rollback(True)
        if status != matrix[name][persona]:
            wrong[persona] = status
    return wrong


def request_route(client: Client, user: Any, url: str, spec: Request, world: Any) -> Any:
    """Request a route as `user` (None: an anonymous visitor), in English, and answer the response."""
    from clientela.core.testing import client_for

    if user is not None:
        client = client_for(client, user)
    data = spec.data(world)
    if spec.method == "POST":
        return client.post(url, data)
    return client.get(url, data or None)


def check_rows(matrix: Mapping[str, Row], personas: Iterable[str] = EVERY_PERSONA) -> None:
    """Every row gives a status for every persona, and nothing else."""
    expected = set(personas)
    for name, statuses in matrix.items():
        assert set(statuses) == expected, f"{name}: give a status for exactly {sorted(expected)}"


# --- API operations -------------------------------------------------------------------------


def api_operations() -> set[str]:
    """Every operation of the REST API, as ``"METHOD /api/v1/path/{param}"``."""
    from clientela.api import api

    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def bearer_headers(user: Any) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh API token (None: no header)."""
    if user is None:
        return {}
    from clientela.accounts import services

    _token, raw = services.create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_row(*statuses: int) -> Row:
    """A row of API statuses per persona; visitors without a token always get 401."""
    return row(*statuses, anonymous=401)


def api_mismatches(
    operation: str,
    matrix: Mapping[str, Row],
    spec: Request,
    personas: Any,
    build_world: Callable[[Any], Any],
    default_kwargs: Callable[[Any], dict[str, Any]],
) -> dict[str, int]:
    """Send `operation` as every persona (a fresh world each) and return the statuses that
    differ from the matrix; path parameters come from the spec, else from `default_kwargs`."""
    if spec.kwargs is None:
        spec = Request(spec.method, default_kwargs, spec.query, spec.data)
    wrong: dict[str, int] = {}
    for persona in EVERY_PERSONA:
        world = build_world(personas)
        user = None if persona == ANONYMOUS else getattr(personas, persona)
        response = call_operation(Client(), bearer_headers(user), operation, spec, world)
        if response.status_code != matrix[operation][persona]:
            wrong[persona] = response.status_code
    return wrong


def call_operation(
    client: Client, headers: Mapping[str, str], operation: str, spec: Request, world: Any
) -> Any:
    """Send one API operation (path parameters from the spec) and answer the response."""
    method, template = operation.split(" ", 1)
    path = template.format(**(spec.kwargs(world) if spec.kwargs else {})) + spec.query(world)
    body = spec.data(world)
    kwargs: dict[str, Any] = {**headers, "HTTP_ACCEPT_LANGUAGE": "en"}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(path, **kwargs)


# --- coverage -------------------------------------------------------------------------------


def collected_matrices(module_name: str, attribute: str) -> dict[str, Row]:
    """Merge `attribute` of `clientela.<app>.tests.<module_name>` over every Clientela app."""
    merged: dict[str, Row] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("clientela."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name and f"{config.name}.tests" in exc.name:
                continue
            raise
        matrix = getattr(module, attribute, None)
        if matrix is None:
            continue
        duplicated = set(merged) & set(matrix)
        assert not duplicated, f"{config.name} repeats rows of another app: {sorted(duplicated)}"
        merged.update(matrix)
    return merged
