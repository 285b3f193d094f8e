"""The orders screens' defaults over core's HTTP helpers: how far lists count, who exports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.core.http import Page, forbid_unless
from clientela.core.http import paginate as core_paginate

COUNT_CAP = 10_000


def require_export(user: User, capability: str) -> None:
    """Refuse an export without the screen's export capability (orders.export, analytics.export)."""
    forbid_unless(has_capability(user, capability), _("Your role cannot export data."))


def paginate(qs: QuerySet[Any], number: int) -> Page:
    """PAGE_SIZE rows (one more tells whether a next page exists) and a count capped at 10,000."""
    return core_paginate(qs, number, cap=COUNT_CAP)
