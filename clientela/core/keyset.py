"""Keyset pagination of the API's lists: one page, a capped count and the next page's URL.

Every API list pages the same way (docs/api.md, "Pagination"): `limit`, an optional first
`offset`, and an opaque `cursor` in each `next` URL so deep pages stay on the index.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from clientela.core.exceptions import ValidationFailed
from clientela.core.http import unstorable_reason
from clientela.core.numbers import bounded_int


def _cursor_encode(ordering: str, values: list[Any]) -> str:
    raw = json.dumps([ordering, [v.isoformat() if hasattr(v, "isoformat") else v for v in values]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str, ordering: str, fields: Sequence[str]) -> list[Any]:
    """Values of the last row of the previous page; a cursor of another ordering is refused."""
    invalid = ValidationFailed({"cursor": _("This cursor is not valid for this list.")})
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kept_ordering, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise invalid from exc
    if kept_ordering != ordering or not isinstance(values, list) or len(values) != len(fields):
        raise invalid
    out: list[Any] = []
    for name, value in zip(fields, values, strict=True):
        bare = name.lstrip("-")
        if bare.endswith("_at"):
            moment = _cursor_moment(value)
            if moment is None:
                raise invalid
            out.append(moment)
        elif bare == "id":
            number = bounded_int(value, minimum=0)
            if number is None:
                raise invalid
            out.append(number)
        elif isinstance(value, str) and unstorable_reason(value) is None:
            out.append(value)
        else:
            raise invalid
    return out


def _cursor_moment(value: Any) -> datetime | None:
    """Return a cursor's timestamp: the aware ISO moment this module wrote, or None.

    A hand-made cursor may carry a naive or far-future moment ("9999-12-31T23:59:59"), whose
    conversion to UTC overflows; only what `_cursor_encode` writes is accepted.
    """
    try:
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError):
        return None


def _after(fields: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows after `values` in the order of `fields` (keyset pagination).

    The leading column also gets a plain range bound so the database can use its index.
    """
    name = fields[0].lstrip("-")
    op = "lt" if fields[0].startswith("-") else "gt"
    if len(fields) == 1:
        return Q(**{f"{name}__{op}": values[0]})
    return Q(**{f"{name}__{op}e": values[0]}) & (
        Q(**{f"{name}__{op}": values[0]})
        | (Q(**{name: values[0]}) & _after(fields[1:], values[1:]))
    )


# Counting every match of a broad filter at 1M contacts costs a scan per request; past this
# many, `count` stops and `count_capped` says so (HubSpot's search API caps its total the same).
API_COUNT_CAP = 10_000


@dataclass(frozen=True)
class PageOut:
    """One page of rows, the (capped) count of all matches, and the next page's URL."""

    rows: list[Any]
    count: int
    count_capped: bool
    next: str | None

    def body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Return the JSON body of the page with these serialised items."""
        return {
            "items": items,
            "count": self.count,
            "count_capped": self.count_capped,
            "next": self.next,
        }


def page_of(
    request: HttpRequest,
    qs: QuerySet[Any],
    *,
    fields: Sequence[str],
    ordering: str,
    limit: int,
    offset: int,
    cursor: str,
    shape: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> PageOut:
    """Return one page of an ordered queryset, its match count and the next page's URL.

    The count stops at API_COUNT_CAP.

    The first page may use `offset`; `next` always carries a cursor so deep pages stay on the
    index instead of skipping rows. `shape` turns the counted queryset into the one whose rows
    are returned (annotations the count need not compute).
    """
    if cursor and offset:
        raise ValidationFailed({"offset": _("Use either offset or cursor, not both.")})
    count = qs.order_by()[: API_COUNT_CAP + 1].count()
    capped = count > API_COUNT_CAP
    if cursor:
        qs = qs.filter(_after(fields, _cursor_decode(cursor, ordering, fields)))
    rows = list((shape(qs) if shape else qs)[offset : offset + limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        params = request.GET.copy()
        params.pop("offset", None)
        params["cursor"] = _cursor_encode(ordering, [getattr(last, f.lstrip("-")) for f in fields])
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return PageOut(rows, min(count, API_COUNT_CAP), capped, next_url)
