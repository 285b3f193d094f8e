"""HTTP helpers shared by the order and customer-value screens: errors, pages, exports."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.tabular.writing import iter_csv, write_xlsx

PAGE_SIZE = 50
COUNT_CAP = 10_000
View = TypeVar("View", bound=Callable[..., HttpResponse | StreamingHttpResponse])


def domain_errors(view: View) -> View:
    """NotFound becomes a 404; Forbidden a 403 page with the reason."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse | StreamingHttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except Forbidden as exc:
            return render(request, "orders/forbidden.html", {"message": str(exc)}, status=403)

    return wrapper  # type: ignore[return-value]


def require(allowed: bool, message: str | None = None) -> None:
    """Raise NotFound (the screen does not exist for this user) unless allowed."""
    if not allowed:
        raise NotFound(message or _("Page not found."))


def require_export(user: Any) -> None:
    """Exports need the export capability."""
    if not has_capability(user, "export"):
        raise Forbidden(_("Your role cannot export data."))


def page_number(params: QueryDict) -> int:
    """The 1-based page requested, clamped to a sane range."""
    try:
        return min(max(int(params.get("page", "1")), 1), 100_000)
    except ValueError:
        return 1


@dataclass
class Page:
    """One page of a list and a capped total."""

    rows: list[Any]
    number: int
    has_next: bool
    total: int
    total_is_capped: bool

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


def paginate(qs: Any, number: int) -> Page:
    """PAGE_SIZE rows (one more tells whether a next page exists) and a count capped at 10,000."""
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if number == 1 and not has_next:
        return Page(rows, number, False, len(rows), False)
    total = qs.order_by()[: COUNT_CAP + 1].count()
    return Page(rows, number, has_next, min(total, COUNT_CAP), total > COUNT_CAP)


def querystring(params: QueryDict | dict[str, str], **changes: Any) -> str:
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
    for key in [k for k, v in updated.lists() if not any(v)]:
        updated.pop(key)
    encoded = updated.urlencode()
    return f"?{encoded}" if encoded else "?"


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
