"""A local Graph API that speaks Meta's Lead Ads protocol, for tests and benchmarks.

It is a real HTTP server on a free port: `GET /<version>/<leadgen id>?access_token=…&
appsecret_proof=…` answers the lead as Graph does, or Graph's error shape (OAuthException 190
for a bad token or proof, 100 for an unknown id). `notification()` builds the webhook body Meta
POSTs, and `signature()` its `X-Hub-Signature-256`, so a test drives the whole flow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGraph:
    """The server's state: its URL, the leads it knows, the token it accepts, what it was asked."""

    url: str
    access_token: str
    app_secret: str
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with a 500, as Graph does on a bad day

    def add_lead(
        self, leadgen_id: str, answers: dict[str, str], *, form_id: str = "5550001", ad_id: str = ""
    ) -> None:
        """Register a lead the way a person filled Meta's form."""
        self.leads[leadgen_id] = {
            "id": leadgen_id,
            "created_time": "2026-12-06T15:04:05+0000",
            "form_id": form_id,
            "ad_id": ad_id or "6660001",
            "campaign_id": "7770001",
            "field_data": [{"name": k, "values": [v]} for k, v in answers.items()],
        }


def notification(leadgen_id: str, *, form_id: str = "5550001", page_id: str = "4440001") -> bytes:
    """Return the body Meta POSTs to the webhook when a lead is created."""
    change = {
        "field": "leadgen",
        "value": {
            "ad_id": "6660001",
            "form_id": form_id,
            "leadgen_id": leadgen_id,
            "created_time": 1765033445,
            "page_id": page_id,
            "adgroup_id": "6660001",
        },
    }
    body = {"object": "page", "entry": [{"id": page_id, "time": 1765033445, "changes": [change]}]}
    return json.dumps(body).encode()


def signature(body: bytes, app_secret: str) -> str:
    """Return the `X-Hub-Signature-256` header Meta puts on `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}


@contextmanager
def fake_graph(access_token: str, app_secret: str) -> Iterator[FakeGraph]:
    """Run the fake Graph API in a thread for the duration of the block."""
    state = FakeGraph(url="", access_token=access_token, app_secret=app_secret)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            state.requests.append(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            parts = parsed.path.strip("/").split("/")
            if state.fail_next > 0:
                state.fail_next -= 1
                return self._answer(500, _error(2, "An unexpected error has occurred."))
            proof = hmac.new(
                app_secret.encode(), query.get("access_token", "").encode(), hashlib.sha256
            ).hexdigest()
            if query.get("access_token") != access_token or query.get("appsecret_proof") != proof:
                return self._answer(400, _error(190, "Invalid OAuth access token."))
            if len(parts) != 2 or parts[1] not in state.leads:
                return self._answer(400, _error(100, "Unsupported get request."))
            return self._answer(200, state.leads[parts[1]])

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
