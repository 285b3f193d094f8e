"""The OpenAPI description of the public tracking ingest, `POST /t/events`.

A Django view outside /api/ (no token, no session, CSRF-exempt, rate-limited per IP, CORS for
the origins of active sites: tracking.views.events), documented in the API's OpenAPI document
all the same. The batch's schema is generated from the pydantic model that validates it
(tracking.ingest.Batch), so the two cannot drift apart; `tracking/tests/test_api_public.py`
posts exactly what this documents and checks each answer against it.
"""

from __future__ import annotations

from typing import Any

from clientela.tracking.ingest import MAX_BODY_BYTES, MAX_EVENTS, Batch

REF = "#/components/schemas/"
# The models' names in the API's components (a plain "Batch" would say nothing there).
NAMES = {"Batch": "TrackingBatch", "IncomingEvent": "TrackingEvent"}


def _renamed(node: Any) -> Any:
    """Return a schema with its $refs pointing at the components' names."""
    if isinstance(node, dict):
        out = {key: _renamed(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            out["$ref"] = REF + NAMES.get(ref.removeprefix(REF), ref.removeprefix(REF))
        return out
    if isinstance(node, list):
        return [_renamed(item) for item in node]
    return node


def public_schemas() -> dict[str, Any]:
    """Return the components the ingest's description refers to: the batch and its events."""
    schema = Batch.model_json_schema(ref_template=REF + "{model}")
    found = {"Batch": schema, **schema.pop("$defs", {})}
    return {NAMES[name]: {**_renamed(value), "title": NAMES[name]} for name, value in found.items()}


def _empty(description: str) -> dict[str, Any]:
    return {"description": description}


EVENTS: dict[str, Any] = {
    "post": {
        "operationId": "tracking_events",
        "summary": "Send a batch of tracking events (no token)",
        "tags": ["tracking"],
        "security": [],
        "description": (
            f"What the tracking script (`/t/clientela.js`) sends: one site's public key, the "
            f"visitor's id and 1 to {MAX_EVENTS} page views and clicks on "
            f"`data-clientela-cta` elements, at most {MAX_BODY_BYTES // 1024} KB. The script "
            "sends it with `navigator.sendBeacon` as `text/plain` (no CORS preflight); "
            "`application/json` works too, with a preflight `OPTIONS` answered for the origins "
            "of active sites. A batch is all or nothing. A page of an origin the site does not "
            "allow is refused; known bots get 204 and nothing is stored. Refusals carry no "
            "body and say nothing about why."
        ),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF + "TrackingBatch"}},
                "text/plain": {"schema": {
                    "type": "string",
                    "description": "The same JSON document, as sendBeacon posts it",
                }},
            },
        },
        "responses": {
            204: _empty("Taken (or a known bot's, dropped)"),
            400: _empty("Not a valid batch"),
            403: _empty("The page's origin is not one the site allows"),
            404: _empty("No active site has this key"),
            413: _empty(f"The body is larger than {MAX_BODY_BYTES // 1024} KB"),
            429: _empty("Too many batches from this address"),
        },
    }
}  # fmt: skip


def public_paths() -> dict[str, Any]:
    """Return the OpenAPI path item of the tracking ingest (merged by clientela.api)."""
    return {"/t/events": EVENTS}
