"""Meta (Facebook/Instagram) Lead Ads: the webhook handshake, its signature, the Graph API fetch.

The protocol, as Meta documents it for the `leadgen` field of a Page subscription:

1. Verification: Meta GETs the callback with `hub.mode=subscribe`, `hub.verify_token` (the
   value set in the app dashboard) and `hub.challenge`; the answer is the challenge, verbatim.
2. Notifications: Meta POSTs JSON `{"object": "page", "entry": [{"changes": [{"field":
   "leadgen", "value": {"leadgen_id", "form_id", "page_id", "ad_id", "created_time"}}]}]}`
   signed with `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body, app secret>`.
3. The lead itself is not in the notification: it is fetched with
   `GET {graph}/{version}/{leadgen_id}?access_token=…&appsecret_proof=…`, which answers
   `{"id", "created_time", "ad_id", "form_id", "field_data": [{"name", "values": [...]}]}`.

The Graph base URL is a setting so tests run against a local server that speaks this protocol.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clientela.webforms.inbound import InboundLead, InboundRefused, split_full_name

GRAPH_VERSION = "v21.0"
FETCH_TIMEOUT = 10.0

# Meta's standard lead-form questions -> contact fields.
STANDARD_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "work_email": "email",
    "phone_number": "phone",
    "work_phone_number": "phone",
    "city": "city",
    "country": "country",
    "company_name": "company",
    "job_title": "job_title",
    "date_of_birth": "birthday",
}


@dataclass(frozen=True)
class LeadNotice:
    """One `leadgen` change of a notification: the ids needed to fetch the lead."""

    leadgen_id: str
    form_id: str = ""
    page_id: str = ""
    ad_id: str = ""


def challenge_answer(params: Mapping[str, str], verify_token: str) -> str:
    """Return `hub.challenge` when the handshake names our verify token; refuse otherwise."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        raise InboundRefused("not a subscription handshake")
    given = params.get("hub.verify_token", "")
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise InboundRefused("wrong verify token")
    challenge = params.get("hub.challenge", "")
    if not challenge or len(challenge) > 200 or not challenge.isprintable():
        raise InboundRefused("no usable challenge")
    return challenge


def check_signature(body: bytes, header: str, app_secret: str) -> None:
    """Refuse a body whose `X-Hub-Signature-256` is not ours (compared in constant time)."""
    if not app_secret:
        raise InboundRefused("no app secret configured")
    scheme, _sep, given = header.partition("=")
    if scheme != "sha256" or not given:
        raise InboundRefused("missing or malformed signature")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
        raise InboundRefused("signature mismatch")


def lead_notices(body: bytes) -> list[LeadNotice]:
    """Return the `leadgen` changes a (verified) notification carries."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboundRefused("body is not JSON") from exc
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise InboundRefused("not a page notification")
    notices: list[LeadNotice] = []
    for entry in _list(payload.get("entry")):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            leadgen_id = _id(value.get("leadgen_id"))
            if leadgen_id:
                notices.append(
                    LeadNotice(
                        leadgen_id=leadgen_id,
                        form_id=_id(value.get("form_id")),
                        page_id=_id(value.get("page_id")),
                        ad_id=_id(value.get("ad_id")),
                    )
                )
    return notices


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Return the HMAC Meta asks for beside a token, proving the call comes from the app."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def fetch_lead(
    notice: LeadNotice, *, base_url: str, access_token: str, app_secret: str
) -> dict[str, Any]:
    """Fetch one lead from the Graph API; InboundRefused on any error (the caller retries)."""
    query = urllib.parse.urlencode(
        {
            "access_token": access_token,
            "appsecret_proof": appsecret_proof(access_token, app_secret),
            "fields": "id,created_time,ad_id,form_id,campaign_id,field_data,is_organic",
        }
    )
    leadgen = urllib.parse.quote(notice.leadgen_id, safe="")
    url = f"{base_url.rstrip('/')}/{GRAPH_VERSION}/{leadgen}?{query}"
    if not url.startswith(("https://", "http://")):
        raise InboundRefused("the Graph base URL is not http(s)")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            data = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as exc:
        raise InboundRefused(f"Graph API answered {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise InboundRefused(f"Graph API unreachable: {exc}") from exc
    if not isinstance(data, dict) or _id(data.get("id")) != notice.leadgen_id:
        raise InboundRefused("Graph API answered another lead")
    return data


def read_lead(data: Mapping[str, Any], notice: LeadNotice) -> InboundLead:
    """Turn a fetched lead into contact fields, keeping custom answers and ad ids apart."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    for item in _list(data.get("field_data")):
        if not isinstance(item, dict):
            continue
        name = str(item.get("name", ""))[:100]
        values = [str(v) for v in _list(item.get("values")) if v is not None]
        value = ", ".join(values)[:1000]
        if not name or not value:
            continue
        if name == "full_name":
            first, last = split_full_name(value)
            fields.setdefault("first_name", first)
            fields.setdefault("last_name", last)
        elif name in STANDARD_FIELDS:
            fields.setdefault(STANDARD_FIELDS[name], value)
        else:
            extra[name] = value
    attribution = {
        "utm_source": "facebook",
        "utm_medium": "paid_social",
        "ad_id": _id(data.get("ad_id")) or notice.ad_id,
        "form_id": _id(data.get("form_id")) or notice.form_id,
        "campaign_id": _id(data.get("campaign_id")),
    }
    return InboundLead(
        source="meta",
        external_id=notice.leadgen_id,
        fields=fields,
        extra=extra,
        attribution={k: v for k, v in attribution.items() if v},
        raw=dict(data),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _id(value: Any) -> str:
    """Return an id Meta sent as a number or a string, as text (empty when it is neither)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) <= 40:
        return value
    if isinstance(value, str) and value.replace("_", "").isalnum() and len(value) <= 40:
        return value
    return ""
