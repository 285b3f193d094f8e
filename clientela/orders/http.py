"""HTTP helpers shared by the order and customer-value screens: access and pages.

Downloads go through core.exports, which writes their audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from clientela.accounts.queries import has_capability
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.http import Page
from clientela.core.http import paginate as core_paginate

COUNT_CAP = 10_000


def require(allowed: bool, message: str | None = None) -> None:
    """Raise NotFound (the screen does not exist for this user) unless allowed."""
    if not allowed:
        raise NotFound(message or _("Page not found."))


def require_export(user: Any) -> None:
    """Exports need the export capability."""
    if not has_capability(user, "export"):
        raise Forbidden(_("Your role cannot export data."))


def paginate(qs: Any, number: int) -> Page:
    """PAGE_SIZE rows (one more tells whether a next page exists) and a count capped at 10,000."""
    return core_paginate(qs, number, cap=COUNT_CAP)


def parse_month(text: str | None) -> dt.date | None:
    """A "YYYY-MM" month as its first day; None when missing or malformed."""
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
        return dt.date(year, month, 1)
    except ValueError:
        return None
