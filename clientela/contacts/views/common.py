"""Helpers shared by the contact and company screens: domain errors → HTTP, paging, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.queries import has_capability, visibility_of
from clientela.contacts.queries import approximate_row_count
from clientela.core.exceptions import Forbidden, NotFound

PAGE_SIZE = 50
# Exact counts above this are not worth the scan on every page view: "more than 1,000" tells a
# person as much, and on PostgreSQL with 1M contacts LIMIT 1001 counts in ~10-75 ms where
# LIMIT 10001 took 130-270 ms.
COUNT_CAP = 1_000

View = TypeVar("View", bound=Callable[..., HttpResponse])


def domain_errors(view: View) -> View:
    """Turn NotFound into a 404 and Forbidden into a friendly 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except Forbidden as exc:
            return render(request, "contacts/forbidden.html", {"message": str(exc)}, status=403)

    return wrapper  # type: ignore[return-value]


def require_capability(user: Any, capability: str) -> None:
    """Raise Forbidden with a readable reason when the role lacks the capability."""
    if has_capability(user, capability):
        return
    messages = {
        "write": _("Your role can only read records."),
        "delete": _("Your role cannot delete or restore records."),
        "merge": _("Your role cannot merge records."),
    }
    raise Forbidden(messages.get(capability, _("Your role does not allow this action.")))


def is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    """Whether HTMX made the request (and, when given, aimed it at this element id)."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return target is None or htmx.target == target


def optional_url(name: str, *args: Any) -> str | None:
    """A URL that may not exist yet (screens built by another module); None when missing."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


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
    total: int | None
    total_is_estimate: bool
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


def paginate(
    qs: QuerySet[Any], number: int, *, user: Any, filtered: bool, model: type[Model]
) -> Page:
    """Fetch one page and a total that stays cheap at a million rows.

    * The page itself: PAGE_SIZE + 1 rows; the extra row only tells whether a next page exists,
      so paging never needs COUNT(*).
    * The total: when nothing narrows the list and the user sees every record, PostgreSQL's
      planner estimate (pg_class.reltuples) is shown as "about N" — no scan at all. Otherwise
      (filters, or a user who sees only some records) an exact count capped at COUNT_CAP rows,
      shown as "more than 1,000" beyond it, so a broad filter never scans the whole table.
    """
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    total: int | None = None
    estimate = False
    capped = False
    if not filtered and visibility_of(user) == Visibility.ALL:
        approx = approximate_row_count(model)  # type: ignore[arg-type]
        if approx is not None and approx > COUNT_CAP:
            total, estimate = approx, True
    if total is None:
        if number == 1 and not has_next:
            total = len(rows)  # the whole list is on this page: no query needed
        else:
            total = qs.order_by()[: COUNT_CAP + 1].count()
            if total > COUNT_CAP:
                total, capped = COUNT_CAP, True
    return Page(rows, number, has_next, total, estimate, capped)


def querystring(params: QueryDict, **changes: Any) -> str:
    """The current query string with some keys replaced (None removes a key)."""
    updated = params.copy()
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


def sort_links(
    params: QueryDict, current: str, columns: dict[str, Any], default_desc: set[str]
) -> dict[str, dict[str, Any]]:
    """For each sortable column: its label, the link that sorts by it, and its current state."""
    links: dict[str, dict[str, Any]] = {}
    for key, label in columns.items():
        if current == key:
            state, target = "asc", f"-{key}"
        elif current == f"-{key}":
            state, target = "desc", key
        else:
            state, target = "", f"-{key}" if key in default_desc else key
        links[key] = {
            "label": label,
            "url": querystring(params, sort=target, page=None),
            "state": state,
        }
    return links
