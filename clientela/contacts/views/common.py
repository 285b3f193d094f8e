"""Helpers shared by the contact and company screens: capabilities, paging, links."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import has_capability, visibility_of
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import approximate_row_count, highest_id
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.http import Page, querystring
from clientela.core.http import paginate as core_paginate
from clientela.core.users import AuthenticatedHttpRequest

# Exact counts above this are not worth the scan on every page view of a large table: "more
# than 1,000" tells a person as much, and on PostgreSQL with 1M contacts LIMIT 1001 counts in
# ~10-75 ms where LIMIT 10001 took 130-270 ms.
COUNT_CAP = 1_000
# A table this small is counted exactly, whatever the filter: on SQLite, counting 20,000
# contacts takes 0.5 ms, and 33 ms with a substring search over all of them (100,000: 136 ms).
EXACT_COUNT_ROWS = 20_000


def require_capability(user: User, capability: str) -> None:
    """Raise Forbidden with a readable reason when the role lacks the capability."""
    if has_capability(user, capability):
        return
    messages = {
        "contacts.write": _("Your role can only read records."),
        "contacts.delete": _("Your role cannot delete or restore records."),
        "contacts.merge": _("Your role cannot merge records."),
        "contacts.import": _("Your role cannot import records."),
        "contacts.export": _("Your role cannot export data."),
    }
    raise Forbidden(messages.get(capability, _("Your role does not allow this action.")))


def is_htmx(request: AuthenticatedHttpRequest, target: str | None = None) -> bool:
    """Whether HTMX made the request (and, when given, aimed it at this element id)."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return target is None or htmx.target == target


def paginate(
    qs: QuerySet[Any],
    number: int,
    *,
    user: User,
    filtered: bool,
    model: type[Contact] | type[Company],
) -> Page:
    """One page of contacts or companies with a total that stays cheap at a million rows.

    A table of at most EXACT_COUNT_ROWS rows is counted exactly. In a larger one, when nothing
    narrows the list and the user sees every record, PostgreSQL's planner estimate
    (pg_class.reltuples) is shown as "about N" with no scan at all; otherwise an exact count
    capped at COUNT_CAP rows (see clientela.core.http.paginate).
    """
    # Each asked at most once, and only when a total is needed.
    planner = cache(partial(approximate_row_count, model))

    @cache
    def size() -> int:
        # PostgreSQL: the planner's estimate; SQLite: the highest id, an upper bound read from
        # the primary key's index in one step.
        rows = planner()
        return rows if rows is not None else highest_id(model)

    estimate = planner if not filtered and visibility_of(user) == Visibility.ALL else None

    def cap() -> int:
        return EXACT_COUNT_ROWS if size() <= EXACT_COUNT_ROWS else COUNT_CAP

    return core_paginate(qs, number, cap=cap, estimate=estimate)


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


def save_edit(
    request: AuthenticatedHttpRequest,
    form: Any,
    post: QueryDict,
    save: Callable[[], Any],
    current_version: Callable[[], int],
) -> bool:
    """Run an edit form's save; True when it saved, else the form explains why not.

    A concurrent change (stale version) keeps the user's input in the form, says so, and arms
    the form with the current version: saving again knowingly overwrites the other change.
    Field errors from the service land on their fields.
    """
    try:
        save()
    except Conflict as exc:
        form.add_error(
            None,
            _(
                "%(reason)s Your changes are still in the form: compare them with the "
                "current card and save again to keep them."
            )
            % {"reason": exc},
        )
        post["version"] = str(current_version())
        return False
    except ValidationFailed as exc:
        form.apply_service_errors(exc.errors)
        return False
    messages.success(request, _("Changes saved."))
    return True
