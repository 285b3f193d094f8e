"""HTTP helpers shared by the order and customer-value screens: access, pages, exports."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.http import Page
from clientela.core.http import paginate as core_paginate
from clientela.core.tabular.writing import iter_csv, write_xlsx

COUNT_CAP = 10_000


def require(allowed: bool, message: str | None = None) -> None:
    """Raise NotFound (the screen does not exist for this user) unless allowed."""
    if not allowed:
        raise NotFound(message or _("Page not found."))


def require_export(user: Any, capability: str) -> None:
    """Exports need the screen's export capability (orders.export, analytics.export)."""
    if not has_capability(user, capability):
        raise Forbidden(_("Your role cannot export data."))


def paginate(qs: Any, number: int) -> Page:
    """PAGE_SIZE rows (one more tells whether a next page exists) and a count capped at 10,000."""
    return core_paginate(qs, number, cap=COUNT_CAP)


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
