"""Helpers shared by the contact and company screens: capabilities, paging, links."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.queries import has_capability, visibility_of
from clientela.contacts.models import Company, Contact
from clientela.contacts.queries import approximate_row_count
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.http import Page, querystring
from clientela.core.http import paginate as core_paginate

# Exact counts above this are not worth the scan on every page view: "more than 1,000" tells a
# person as much, and on PostgreSQL with 1M contacts LIMIT 1001 counts in ~10-75 ms where
# LIMIT 10001 took 130-270 ms.
COUNT_CAP = 1_000


def require_capability(user: Any, capability: str) -> None:
    """Raise Forbidden with a readable reason when the role lacks the capability."""
    if has_capability(user, capability):
        return
    messages = {
        "write": _("Your role can only read records."),
        "delete": _("Your role cannot delete or restore records."),
        "merge": _("Your role cannot merge records."),
        "import": _("Your role cannot import records."),
        "export": _("Your role cannot export data."),
    }
    raise Forbidden(messages.get(capability, _("Your role does not allow this action.")))


def optional_url(name: str, *args: Any) -> str | None:
    """A URL that may not exist yet (screens built by another module); None when missing."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def paginate(
    qs: QuerySet[Any],
    number: int,
    *,
    user: Any,
    filtered: bool,
    model: type[Contact] | type[Company],
) -> Page:
    """One page of contacts or companies with a total that stays cheap at a million rows.

    When nothing narrows the list and the user sees every record, PostgreSQL's planner
    estimate (pg_class.reltuples) is shown as "about N" with no scan at all; otherwise an
    exact count capped at COUNT_CAP rows (see clientela.core.http.paginate).
    """
    estimate = None
    if not filtered and visibility_of(user) == Visibility.ALL:
        estimate = partial(approximate_row_count, model)
    return core_paginate(qs, number, cap=COUNT_CAP, estimate=estimate)


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
    request: HttpRequest,
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
