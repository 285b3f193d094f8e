"""Google Ads lead-form webhooks: the `google_key` check and the `user_column_data` payload.

Google POSTs JSON `{"lead_id", "user_column_data": [{"column_id": "FULL_NAME", "column_name",
"string_value"}], "api_version", "form_id", "campaign_id", "google_key", "is_test", "gcl_id",
"adgroup_id", "creative_id"}` and expects a 200. The key set in the form's webhook settings
is the only proof the request is Google's, so it is compared in constant time; the lead id is
the replay key.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from clientela.webforms.inbound import InboundLead, InboundRefused, split_full_name

# Google's column ids -> contact fields.
COLUMNS = {
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE": "phone",
    "CITY": "city",
    "COUNTRY": "country",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "job_title",
}


def read_webhook(body: bytes, google_key: str) -> InboundLead:
    """Verify the key and read the lead; InboundRefused when either fails."""
    if not google_key:
        raise InboundRefused("no key configured")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboundRefused("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InboundRefused("body is not an object")
    given = payload.get("google_key")
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), google_key.encode()):
        raise InboundRefused("wrong google_key")
    lead_id = payload.get("lead_id")
    if not isinstance(lead_id, str) or not lead_id or len(lead_id) > 200:
        raise InboundRefused("no lead_id")
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    columns = payload.get("user_column_data")
    for column in columns if isinstance(columns, list) else []:
        if not isinstance(column, dict):
            continue
        column_id = str(column.get("column_id", ""))[:100]
        value = column.get("string_value")
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()[:1000]
        if column_id == "FULL_NAME":
            first, last = split_full_name(value)
            fields.setdefault("first_name", first)
            fields.setdefault("last_name", last)
        elif column_id in COLUMNS:
            fields.setdefault(COLUMNS[column_id], value)
        else:
            label = str(column.get("column_name") or column_id)[:100]
            if label:
                extra[label] = value
    attribution = {
        "utm_source": "google",
        "utm_medium": "cpc",
        "gclid": _text(payload.get("gcl_id")),
        "campaign_id": _text(payload.get("campaign_id")),
        "form_id": _text(payload.get("form_id")),
    }
    clean: dict[str, Any] = {k: v for k, v in payload.items() if k != "google_key"}
    return InboundLead(
        source="google",
        external_id=lead_id,
        fields=fields,
        extra=extra,
        attribution={k: v for k, v in attribution.items() if v},
        is_test=payload.get("is_test") is True,
        raw=clean,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | str):
        return str(value)[:100]
    return ""
