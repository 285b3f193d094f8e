"""Requests held to the OpenAPI document, both ways: what is sent and what comes back.

`call_documented` sends one request to an operation of the served `/api/openapi.json` — the
public endpoints described by hand (`/f/…`, `/t/events`, `/hooks/…`) as well as ninja's — and
fails unless the request is exactly what the document describes (every parameter and the body
valid against their schemas, nothing required missing, no undocumented parameter) and the
answer is one the document declares (status, media type, body schema; no 5xx). A test then
asserts the status it expects, so the description of a hand-documented endpoint cannot drift
from the view that serves it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Headers of HTTP itself, which an operation need not document as parameters.
HTTP_HEADERS = frozenset({"accept", "accept-language", "origin", "user-agent", "referer"})
_UNSET = object()


class InTestTransaction:
    """Django's WSGI application, kept on the test's connection and transaction.

    A real request closes "old" connections at its start and end, which would end the test's
    transaction; Django's own test client detaches those handlers the same way. The body is
    read and closed while they are detached. Like the test client (and every server), it
    gives the request a client address: Werkzeug's test environ has none.
    """

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """Answer one request within the current test's transaction."""
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@cache
def served_schema() -> Any:
    """Return the document as the application serves it, loaded by schemathesis."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", InTestTransaction())


def json_body(value: Any) -> bytes:
    """Return the exact bytes `call_documented` sends for a JSON body (to sign them)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _valid(document: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> None:
    """Fail unless `value` is valid against `schema` (its $refs into the document's components)."""
    root = {**schema, "components": document.get("components", {})}
    errors = [error.message for error in jsonschema_rs.validator_for(root).iter_errors(value)]
    assert not errors, f"{where} is not what the document describes: {errors}"


def _check_parameters(
    document: dict[str, Any], operation: dict[str, Any], given: dict[str, dict[str, Any]]
) -> None:
    """Fail on a missing required, an invalid, or an undocumented parameter."""
    documented: dict[str, set[str]] = {"path": set(), "query": set(), "header": set()}
    for parameter in operation.get("parameters") or []:
        place, name = parameter["in"], parameter["name"]
        values = given.get(place, {})
        if place == "header":
            values = {key.lower(): value for key, value in values.items()}
            name = name.lower()
        documented.setdefault(place, set()).add(name)
        if name not in values:
            assert not parameter.get("required"), f"the {place} parameter {name} is required"
            continue
        _valid(document, parameter.get("schema", {}), values[name], f"{place} parameter {name}")
    for place, values in given.items():
        names = {key.lower() if place == "header" else key for key in values}
        extra = (
            names - documented.get(place, set()) - (HTTP_HEADERS if place == "header" else set())
        )
        assert not extra, f"undocumented {place} parameters: {sorted(extra)}"


def call_documented(
    method: str,
    path: str,
    *,
    path_parameters: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = _UNSET,
    media_type: str | None = None,
) -> Response:
    """Send a request the document describes and return the answer, held to the document.

    `path` is the document's template (`/t/events`, `/hooks/meta/{public_id}`). A JSON body
    goes as `json_body(body)`, so a test can sign exactly what is sent.
    """
    from clientela.api import api

    document = api.get_openapi_schema()
    operation = document["paths"][path][method.lower()]
    given = {"path": path_parameters or {}, "query": query or {}, "header": headers or {}}
    _check_parameters(document, operation, {k: v for k, v in given.items() if v})
    request_body = operation.get("requestBody") or {}
    if body is _UNSET:
        assert not request_body.get("required"), f"{method} {path} requires a body"
        raw: Any = NOT_SET
    else:
        assert media_type in request_body.get("content", {}), f"{media_type} is not documented"
        schema = request_body["content"][media_type].get("schema", {})
        _valid(document, schema, body, "the body")
        raw = json_body(body) if media_type == "application/json" else body
    case = served_schema()[path][method.upper()].Case(
        path_parameters=path_parameters or {},
        query=query or None,
        headers=headers or None,
        body=raw,
        media_type=media_type,
    )
    response: Response = case.call()
    case.validate_response(response, checks=CHECKS)
    return response
