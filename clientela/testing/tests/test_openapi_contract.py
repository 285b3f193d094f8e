"""The OpenAPI document is the truth API clients are generated from (issue 11, 5.11).

Schemathesis generates requests from the served `/api/openapi.json` for every operation and
calls the real Django application in-process (WSGI, no server): no answer may be a 5xx, every
status must be declared, and every body must match its declared schema. The number of
examples is bounded so the pass stays well under a minute (CLIENTELA_FUZZ_EXAMPLES raises it).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from clientela.accounts.models import User
from clientela.accounts.services import create_token
from clientela.api import api
from clientela.testing.openapi import CHECKS, InTestTransaction

# Per operation; ~31 operations × 12 examples ≈ 370 requests in CI.
EXAMPLES = max(12, int(os.environ.get("CLIENTELA_FUZZ_EXAMPLES", "0")) // 80)

# The document as the application serves it (no database needed to serve it).
# Random generation only: the coverage phase's exhaustive boundary cases would multiply the
# requests by ten (the bigger run raises CLIENTELA_FUZZ_EXAMPLES instead).
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {name: {"enabled": False} for name in ("examples", "coverage", "stateful")}}
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", InTestTransaction(), config=CONFIG)


@pytest.fixture
def admin(personas: Any) -> User:
    """The caller: an administrator may reach every operation."""
    user: User = personas.admin
    return user


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_the_api_answers_only_what_its_document_declares(case: Any, admin: User) -> None:
    # A generated call may revoke the token or deactivate the caller: a fresh one every time.
    User.objects.filter(pk=admin.pk).update(is_active=True)
    _token, raw = create_token(admin, actor=admin)
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=CHECKS)


def test_every_api_input_integer_is_bounded() -> None:
    """Every integer a client may send has a minimum and a maximum (64-bit ids, offsets)."""
    document = api.get_openapi_schema()
    components = document["components"]["schemas"]
    unbounded: list[str] = []
    walked: set[str] = set()  # a recursive schema (a segment's definition) is walked once

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                if name not in walked:
                    walked.add(name)
                    walk(components[name], name)
                return
            if node.get("type") == "integer" and ("minimum" not in node or "maximum" not in node):
                unbounded.append(where)
            for key, value in node.items():
                if key != "description":
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema"), f"{method} {path} {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                walk(media.get("schema"), f"{method} {path} body")
    assert not unbounded, f"bound these integers (core.http.RecordId, Offset, DbInt): {unbounded}"


def test_the_served_document_repeats_no_key(client: Any) -> None:
    """Swagger UI refuses a document with a key twice (an int 200 beside a "200" in responses)."""
    import json

    def refuse_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        assert not repeated, f"keys served twice: {repeated}"
        return dict(pairs)

    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    json.loads(response.content, object_pairs_hook=refuse_twice)
