"""The tracking batch as the script posts it, validated by pydantic before anything is stored.

A batch is all or nothing: one malformed event refuses the whole batch (400) and nothing is
written. Display texts (title, CTA label) are cut to their column; addresses longer than a
column refuse the batch, since a cut address would be a different address.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from clientela.core.http import unstorable_reason
from clientela.tracking.choices import KIND_CODES, EventKind
from clientela.tracking.models import CTA_MAX, PATH_MAX, TITLE_MAX, URL_MAX, VISITOR_ID_LENGTH

MAX_EVENTS = 50
MAX_BODY_BYTES = 64 * 1024
VISITOR_KEY = re.compile(rf"[0-9a-f]{{{VISITOR_ID_LENGTH}}}")
SITE_KEY = re.compile(r"[A-Za-z0-9_-]{16,40}")
# Client clocks are wrong: an event is dated by the browser, but never more than a day before
# it reached us, nor after.
PAST_WINDOW = dt.timedelta(days=1)


def _storable(text: str) -> str:
    if unstorable_reason(text):
        raise ValueError("text a database cannot store")
    return text


def _cut(limit: int) -> BeforeValidator:
    """Cut a display text to its column (a type error is left to the str validation)."""
    return BeforeValidator(lambda v: v[:limit] if isinstance(v, str) else v)


Title = Annotated[str, _cut(TITLE_MAX)]
Cta = Annotated[str, _cut(CTA_MAX)]


class IncomingEvent(BaseModel):
    """One event of a batch: a page view or a click on a `data-clientela-cta` element."""

    model_config = ConfigDict(extra="ignore", strict=True)

    kind: Literal["pageview", "click"]
    url: str = Field(min_length=1, max_length=URL_MAX)
    referrer: str = Field(default="", max_length=URL_MAX)
    title: Title = ""
    cta: Cta = ""
    # Milliseconds since the epoch (JavaScript's Date.now()).
    ts: int = Field(ge=0, le=10**14)

    @field_validator("url", "referrer", "title", "cta")
    @classmethod
    def _text(cls, value: str) -> str:
        return _storable(value)

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not a web address")
        if len(parts.path or "/") > PATH_MAX:
            raise ValueError("path too long")
        return value

    @property
    def path(self) -> str:
        """The address's path ("/precios"), "/" for the home page."""
        return urlsplit(self.url).path or "/"

    @property
    def kind_code(self) -> EventKind:
        """The stored kind."""
        return KIND_CODES[self.kind]

    def occurred_at(self, received_at: dt.datetime) -> dt.datetime:
        """Return the browser's time, clamped to [received - 1 day, received]."""
        moment = dt.datetime.fromtimestamp(self.ts / 1000, tz=dt.UTC)
        return min(max(moment, received_at - PAST_WINDOW), received_at)


class Batch(BaseModel):
    """What the script posts: the site's public key, the visitor id and up to 50 events."""

    model_config = ConfigDict(extra="ignore", strict=True)

    site: str = Field(pattern=SITE_KEY.pattern, max_length=40)
    visitor: str = Field(pattern=VISITOR_KEY.pattern, max_length=VISITOR_ID_LENGTH)
    events: list[IncomingEvent] = Field(min_length=1, max_length=MAX_EVENTS)


def parse_batch(body: bytes) -> Batch | None:
    """Return the validated batch, or None for anything else (wrong JSON, types, sizes)."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        return Batch.model_validate_json(body)
    except (ValidationError, ValueError, RecursionError):
        return None
