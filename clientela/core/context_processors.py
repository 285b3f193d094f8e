"""Template context shared by every page: the navigation of modules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# (url name or None for modules still to come, label, icon)
MODULES: list[tuple[str | None, Any, str]] = [
    ("core:home", _("Home"), "home"),
    ("contacts:contact_list", _("Contacts"), "users"),
    ("contacts:company_list", _("Companies"), "building"),
    (None, _("Deals"), "kanban"),
    (None, _("Activities"), "calendar"),
    (None, _("Marketing"), "megaphone"),
    ("analytics:dashboard", _("Customer value"), "chart"),
    (None, _("Service"), "lifebuoy"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Expose the module list and whether the user administers the installation."""
    from clientela.accounts.queries import has_capability

    user = getattr(request, "user", None)
    return {
        "nav_modules": MODULES,
        "is_admin": bool(user and has_capability(user, "manage_users")),
    }
