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
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.exceptions import Forbidden, NotFound
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


def page_number(params: QueryDict) -> int:
    """The 1-based page requested, clamped to a sane range."""
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
    qs: Any,
    number: int,
    *,
    cap: int | Callable[[], int],
    estimate: Callable[[], int | None] | None = None,
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
    """
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if number == 1 and not has_next:
        return Page(rows, number, False, len(rows))
    limit = cap() if callable(cap) else cap
    if estimate is not None:
        approx = estimate()
        if approx is not None and approx > limit:
            return Page(rows, number, has_next, approx, total_is_estimate=True)
    total = qs.order_by()[: limit + 1].count()
    return Page(rows, number, has_next, min(total, limit), total_is_capped=total > limit)


def querystring(params: QueryDict | Mapping[str, str], **changes: Any) -> str:
    """The query string with some keys replaced (None removes a key); empty values dropped."""
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
    """A CSV (streamed) or XLSX download of a table; formula injection is neutralised."""
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
    """A "YYYY-MM" month as its first day; None when missing or malformed."""
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
