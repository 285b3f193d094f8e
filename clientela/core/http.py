"""HTTP helpers every screen shares: domain errors → responses, paging, query strings, downloads.

Capability apps wrap these with their own defaults (how far a list is counted, whether a
planner estimate may stand in for the total); the mechanics live here once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX, DB_INT_MIN, MAX_OFFSET, bounded_int
from clientela.core.tabular.writing import iter_csv, write_xlsx

PAGE_SIZE = 50
FORBIDDEN_TEMPLATE = "core/forbidden.html"

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def domain_errors(view: View) -> View:
    """NotFound becomes a 404; Forbidden a 403 page that tells the user why.

    Works for plain and streaming views alike: the domain raises, the adapter answers.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except Forbidden as exc:
            return render(request, FORBIDDEN_TEMPLATE, {"message": str(exc)}, status=403)

    return wrapper  # type: ignore[return-value]


# Typed API inputs: every integer an API schema accepts is one of these, so a number past 64 bits
# is a 400 with a field message instead of an OverflowError in the query (a test walks the
# OpenAPI document and fails on an unbounded integer).
RecordId = Annotated[int, Field(ge=1, le=DB_INT_MAX, description="Record id")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Rows to skip")]
DbInt = Annotated[int, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]


class OffsetQuery(Schema):
    """Pagination of a short list: `limit` rows after the first `offset`."""

    limit: int = Field(50, ge=1, le=200, description="Rows per page")
    offset: Offset = 0


class PageQuery(OffsetQuery):
    """Pagination of a list that may be long: follow `next` (its `cursor`) on deep pages.

    A list's query schema subclasses it and adds its filters and ordering.
    """

    offset: Offset = Field(0, description="Rows to skip (prefer `cursor` on deep pages)")
    cursor: str = Field(
        "", max_length=500, description="Opaque position taken from a previous `next` URL"
    )


class ListPage(Schema):
    """What every API list answers beside its `items` (a subclass declares those).

    `count` is exact up to the count cap; `next` is the URL of the following page, or null.
    """

    count: int = Field(description="Matching records, counted exactly up to 10,000")
    count_capped: bool = Field(description="More than 10,000 match: `count` stopped at 10,000")
    next: str | None


def unstorable_reason(text: str) -> str | None:
    r"""Return "nul" or "surrogate" when no database text column can store `text`, else None.

    JSON may escape a lone UTF-16 surrogate ("\ud800"): Python decodes it to a string that no
    UTF-8 column accepts (UnicodeEncodeError at save); PostgreSQL refuses NUL characters too.
    """
    if "\x00" in text:
        return "nul"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def id_param(params: QueryDict | Mapping[str, Any], name: str) -> int | None:
    """Return a record id from a query string or form; None when missing, malformed or out of range.

    List filters read ids through this, so `?owner=9223372036854775808` is ignored like
    `?owner=abc` instead of overflowing the database's 64-bit integer.
    """
    return bounded_int(params.get(name), minimum=1)


def page_number(params: QueryDict) -> int:
    """Return the 1-based page requested, clamped to a sane range."""
    try:
        return min(max(int(params.get("page", "1")), 1), 100_000)
    except ValueError:
        return 1


@dataclass
class Page:
    """One page of a list, without counting the whole list on every request."""

    rows: list[Any]
    number: int
    has_next: bool
    total: int
    total_is_capped: bool = False
    total_is_estimate: bool = False

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def start_index(self) -> int:
        """1-based position of the first row shown."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        """1-based position of the last row shown."""
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def paginate(
    qs: QuerySet[Any],
    number: int,
    *,
    cap: int | Callable[[], int],
    estimate: Callable[[], int | None] | None = None,
    known_total: Callable[[], int | None] | None = None,
) -> Page:
    """Fetch one page and a total that stays cheap however long the list is.

    * The page itself: PAGE_SIZE + 1 rows; the extra row only tells whether a next page exists,
      so paging never needs COUNT(*).
    * The total: when ``estimate`` is given and returns more than ``cap`` (a planner estimate
      for an unfiltered list), it is shown as "about N" with no scan at all. Otherwise an exact
      count of at most ``cap + 1`` rows, shown as "more than N" beyond ``cap``, so a broad
      filter never scans the whole table; a list that fits on its first page is not counted.
    * ``cap`` may be a function, asked only when a total is needed (so an app can count a small
      table exactly and cap a large one without a query on lists that fit on one page).
    * ``known_total``, when given and not None, is the list's exact total read from figures
      already added up (e.g. a snapshot's cells): shown as is, with no count of the rows.
    """
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if number == 1 and not has_next:
        return Page(rows, number, False, len(rows))
    if known_total is not None:
        known = known_total()
        if known is not None:
            return Page(rows, number, has_next, known)
    limit = cap() if callable(cap) else cap
    if estimate is not None:
        approx = estimate()
        if approx is not None and approx > limit:
            return Page(rows, number, has_next, approx, total_is_estimate=True)
    total = qs.order_by()[: limit + 1].count()
    return Page(rows, number, has_next, min(total, limit), total_is_capped=total > limit)


def querystring(params: QueryDict | Mapping[str, str], **changes: Any) -> str:
    """Return the query string with some keys replaced (None removes one); empty values dropped."""
    updated = QueryDict(mutable=True)
    if isinstance(params, QueryDict):
        for key, values in params.lists():
            updated.setlist(key, values)
    else:
        for key, value in params.items():
            updated[key] = value
    for key, value in changes.items():
        if value is None:
            updated.pop(key, None)
        else:
            updated[key] = str(value)
    # Empty filters only clutter the address bar.
    for key in [k for k, v in updated.lists() if not any(v)]:
        updated.pop(key)
    encoded = updated.urlencode()
    return f"?{encoded}" if encoded else "?"


def require(allowed: bool, message: str | None = None) -> None:
    """Raise NotFound (the screen does not exist for this user) unless allowed."""
    if not allowed:
        raise NotFound(message or _("Page not found."))


def forbid_unless(allowed: bool, message: str) -> None:
    """Raise Forbidden (a 403 page that says `message`) unless allowed."""
    if not allowed:
        raise Forbidden(message)


def table_response(
    fmt: str,
    name: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Datos",
) -> HttpResponse | StreamingHttpResponse:
    """Serve a CSV (streamed) or XLSX download of a table; formula injection is neutralised."""
    stamp = timezone.localdate().isoformat()
    tz = timezone.get_current_timezone()
    if fmt == "csv":
        stream = StreamingHttpResponse(
            iter_csv(rows, headers, tz=tz), content_type="text/csv; charset=utf-8"
        )
        stream["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return stream
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(rows, headers, buffer, sheet_title=sheet_title, tz=tz)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    raise Http404


def parse_month(text: str | None) -> dt.date | None:
    """Return a "YYYY-MM" month as its first day; None when missing or malformed."""
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
        return dt.date(year, month, 1)
    except ValueError:
        return None


def is_htmx_request(request: HttpRequest) -> bool:
    """Whether HTMX sent the request at all, boosted navigations included.

    Answer such a request with HTMX's own headers (HX-Redirect, HX-Refresh) instead of a
    plain redirect, which HTMX would follow and swap into the page.
    """
    return bool(getattr(request, "htmx", False))


def wants_partial(request: HttpRequest, target: str | None = None) -> bool:
    """Whether HTMX asked for part of a page: render the fragment, not the whole page.

    A boosted navigation wants the whole page. With `target`, only a request aimed at the
    element of that id counts (a list's "results" region, say).
    """
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted:
        return False
    return target is None or htmx.target == target


# --- the API's error answers in the OpenAPI document ------------------------------------------

ERROR_SCHEMA_REF = "#/components/schemas/Error"
ERROR_DESCRIPTIONS = {
    301: "Moved: the contact was merged into another (`Location`, `merged_into`)",
    400: "Invalid input: `errors` lists the messages per field",
    401: "No token, or an unknown, revoked or inactive user's token",
    403: "Your role does not allow this (or, with a browser session, the CSRF check failed)",
    404: "The record does not exist or you may not see it",
    409: "Conflict with the record's state: a stale `version`, or a value in use (`existing_id`)",
    429: "Rate limit reached: retry after `Retry-After` seconds",
}


def api_errors(*statuses: int) -> dict[str, Any]:
    """`openapi_extra` declaring error answers an operation gives beyond the automatic ones.

    Every operation documents 401 and 429; 400 when it takes parameters or a body; 403 when it
    writes; 404 when its path names a record (see clientela.api.ClientelaAPI). Declare the
    rest here, e.g. `@router.get(..., openapi_extra=api_errors(403))` for an admin-only read.
    """
    return {"responses": {status: error_response(status) for status in statuses}}


def error_response(status: int) -> dict[str, Any]:
    """Return the OpenAPI response object of one error status, with the JSON error schema."""
    return {
        "description": ERROR_DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
    }
