"""The OpenAPI description of the public web form and inbound lead endpoints.

They are Django views outside /api/ (no token: CSRF exemption, rate limits, CORS and
anti-spam of their own, see webforms.views.public and webforms.views.hooks), documented in the
API's OpenAPI document all the same. `webforms/tests/test_api_public.py` sends exactly what
this description documents and checks each answer against it.
"""

from __future__ import annotations

from typing import Any

_HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
# A NUL character in the address or a form field is refused before any view, in plain text
# unless the client sent or asked for JSON (core.middleware.NullCharacterMiddleware).
_PLAIN: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
_ERROR: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# Ids senders put in JSON as numbers (Google's form and campaign ids), bounded like every input.
_NUMBER_ID: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
_PUBLIC_ID: dict[str, Any] = {
    "name": "public_id", "in": "path", "required": True,
    "description": "The lead source's public id (Administration → Lead sources)",
    "schema": {"type": "string", "minLength": 10, "maxLength": 32,
               "pattern": "^[A-Za-z0-9_-]+$"},
}  # fmt: skip


def _either(description: str) -> dict[str, Any]:
    """Return a response documented as JSON (the API's error shape) or as an HTML page."""
    return {"description": description, "content": {**_ERROR, **_HTML}}


def _refused(description: str) -> dict[str, Any]:
    """Return an inbound endpoint's refusal: `{"detail": "refused"}`, never the reason."""
    return {"description": description, "content": _ERROR}


PUBLIC_SUBMIT: dict[str, Any] = {
    "post": {
        "operationId": "webforms_public_submit",
        "summary": "Submit a public web form (no token)",
        "tags": ["forms"],
        "security": [],
        "description": (
            "The public endpoint of a published form, at `/f/{public_id}`. Send the form's "
            "inputs (their names come from `GET /api/v1/forms/{id}`) form-encoded or as a JSON "
            "object, with `_token` (the render token of the page or `embed.js`), `altcha` (the "
            "ALTCHA widget's proof of work, challenge at `/f/{public_id}/altcha`) and an empty "
            "`website` (the honeypot). Ask for JSON (`Accept: application/json` or a JSON body) "
            "to get 201 `{\"reference\": ...}` or 400 with field errors in the visitor's "
            "language; otherwise the answer is the thank-you page, the allowed redirect, or the "
            "form again with its errors. A valid post is stored as it came and answered at once; "
            "the background worker turns it into a contact (found by e-mail or phone, or "
            "created), with its consents and timeline, within seconds. A repeated post of the "
            "same rendering answers the same reference. Rate-limited per IP and per form (429). Cross-origin posts (and their "
            "`OPTIONS` preflight) are answered only for the form's allowed origins."
        ),
        "parameters": [
            {"name": "public_id", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 10, "maxLength": 32}},
        ],
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object", "additionalProperties": True}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            },
        },
        "responses": {
            201: {
                "description": "Stored (the worker makes the contact): the submission's reference",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"reference": {"type": "string"}, "message": {"type": "string"},
                                   "redirect": {"type": "string"}},
                    "required": ["reference", "message"],
                }}},
            },
            # A browser's form post (no JSON asked for) gets pages, as a visitor would.
            200: {"description": "The thank-you page (a form post)", "content": _HTML},
            303: {"description": "The form's allowed redirect after a form post"},
            400: {
                "description": "Field errors, or the form again with its errors (a form post); "
                "a NUL character anywhere is refused in plain text (JSON if asked for)",
                "content": {**_ERROR, **_HTML, **_PLAIN},
            },
            404: _either("No published form has this id (a page for a form post)"),
            429: _either("Too many submissions from this address or to this form"),
        },
    }
}  # fmt: skip

_HOOK_REFUSALS: dict[int, dict[str, Any]] = {
    400: {
        "description": "The body is larger than 256 KB or not a raw body (a multipart form); "
        "a NUL character in the address is refused in plain text (JSON if asked for)",
        "content": {**_ERROR, **_PLAIN},
    },
    403: _refused("Refused: a wrong or missing signature or key, a stale or malformed lead"),
    404: _refused("No active lead source of this kind has this id"),
    429: _refused("Too many requests from this address"),
}
_REFERENCE: dict[str, Any] = {
    "description": (
        "Taken (or taken before: a replay changes nothing): the submission's reference; the "
        "background worker turns it into a contact within seconds"
    ),
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"reference": {"type": "string"}},
        "required": ["reference"],
    }}},
}  # fmt: skip

META_HOOK: dict[str, Any] = {
    "get": {
        "operationId": "webforms_hook_meta_handshake",
        "summary": "Meta Lead Ads: the subscription handshake (no token)",
        "tags": ["lead sources"],
        "security": [],
        "description": (
            "Meta verifies the callback URL with `hub.mode=subscribe`, the source's verify "
            "token and a challenge; the answer is the challenge, verbatim."
        ),
        "parameters": [
            _PUBLIC_ID,
            {"name": "hub.mode", "in": "query", "required": True,
             "schema": {"type": "string", "enum": ["subscribe"]}},
            {"name": "hub.verify_token", "in": "query", "required": True,
             "description": "The source's verify token", "schema": {"type": "string"}},
            {"name": "hub.challenge", "in": "query", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
        ],
        "responses": {
            200: {"description": "The challenge", "content": {"text/plain": {"schema": {
                "type": "string"}}}},
            400: {
                "description": "A NUL character in the address, refused in plain text",
                "content": {**_ERROR, **_PLAIN},
            },
            403: _refused("Not a handshake, or a wrong verify token"),
            404: _HOOK_REFUSALS[404],
            429: _HOOK_REFUSALS[429],
        },
    },
    "post": {
        "operationId": "webforms_hook_meta",
        "summary": "Meta Lead Ads: a signed `leadgen` notification (no token)",
        "tags": ["lead sources"],
        "security": [],
        "description": (
            "Meta's webhook for the `leadgen` field of a Page subscription, signed with "
            "`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`. "
            "Each announced lead is stored at once; the background worker reads it from the "
            "Graph API and turns it into a contact within seconds (again by the retry job if "
            "the Graph API is down). A lead announced twice is one lead."
        ),
        "parameters": [
            _PUBLIC_ID,
            {"name": "X-Hub-Signature-256", "in": "header", "required": True,
             "schema": {"type": "string", "pattern": "^sha256=[0-9a-fA-F]{64}$"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["object", "entry"],
            "properties": {
                "object": {"type": "string", "enum": ["page"]},
                "entry": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"},
                    "time": {"type": "integer", "minimum": 0, "maximum": 2**53},
                    "changes": {"type": "array", "items": {
                        "type": "object",
                        "required": ["field", "value"],
                        "properties": {
                            "field": {"type": "string", "enum": ["leadgen"]},
                            "value": {"type": "object", "required": ["leadgen_id"],
                                      "properties": {
                                          "leadgen_id": {"type": "string"},
                                          "form_id": {"type": "string"},
                                          "page_id": {"type": "string"},
                                          "ad_id": {"type": "string"},
                                          "adgroup_id": {"type": "string"},
                                          "created_time": {"type": "integer", "minimum": 0,
                                                           "maximum": 2**53},
                                      }},
                        },
                    }},
                }}},
            },
        }}}},
        "responses": {
            200: {
                "description": "Taken: how many leads the notification announced",
                "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"received": {"type": "integer"}},
                    "required": ["received"],
                }}},
            },
            **_HOOK_REFUSALS,
        },
    },
}  # fmt: skip

GOOGLE_HOOK: dict[str, Any] = {
    "post": {
        "operationId": "webforms_hook_google",
        "summary": "Google Ads lead form webhook (no token)",
        "tags": ["lead sources"],
        "security": [],
        "description": (
            "The webhook of a Google Ads lead form: its `google_key` must be the source's key "
            "(compared in constant time); `lead_id` is the replay key."
        ),
        "parameters": [_PUBLIC_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["lead_id", "google_key"],
            "properties": {
                "lead_id": {"type": "string", "minLength": 1, "maxLength": 200},
                "google_key": {"type": "string"},
                "user_column_data": {"type": "array", "items": {"type": "object", "properties": {
                    "column_id": {"type": "string",
                                  "description": "FULL_NAME, FIRST_NAME, EMAIL, PHONE_NUMBER, …"},
                    "column_name": {"type": "string"},
                    "string_value": {"type": "string"},
                }}},
                "api_version": {"type": "string"},
                "form_id": _NUMBER_ID,
                "campaign_id": _NUMBER_ID,
                "adgroup_id": _NUMBER_ID,
                "creative_id": _NUMBER_ID,
                "gcl_id": {"type": "string"},
                "is_test": {"type": "boolean"},
            },
        }}}},
        "responses": {200: _REFERENCE, **_HOOK_REFUSALS},
    },
}  # fmt: skip

JSON_HOOK: dict[str, Any] = {
    "post": {
        "operationId": "webforms_hook_json",
        "summary": "Generic signed JSON webhook (no token)",
        "tags": ["lead sources"],
        "security": [],
        "description": (
            "Any JSON object, signed `X-Clientela-Signature: t=<unix seconds>,v1=<hex "
            "HMAC-SHA256 of \"<t>.\" + the raw body with the source's secret>`; refused five "
            "minutes after `t`. Contact fields are picked by the source's mapping "
            "(`email = contact.email`); the lead id path (or the signature) is the replay key."
        ),
        "parameters": [
            _PUBLIC_ID,
            {"name": "X-Clientela-Signature", "in": "header", "required": True,
             "schema": {"type": "string", "pattern": "^t=[0-9]{1,12},v1=[0-9a-f]{64}$"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": True,
        }}}},
        "responses": {200: _REFERENCE, **_HOOK_REFUSALS},
    },
}  # fmt: skip


def public_paths() -> dict[str, Any]:
    """Return the OpenAPI path items of the public form and inbound lead endpoints."""
    return {
        "/f/{public_id}": PUBLIC_SUBMIT,
        "/hooks/meta/{public_id}": META_HOOK,
        "/hooks/google/{public_id}": GOOGLE_HOOK,
        "/hooks/json/{public_id}": JSON_HOOK,
    }
