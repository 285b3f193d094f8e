"""Template context shared by every page: the navigation of modules."""

from __future__ import annotations

from collections.abc import Callable
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

# Who may open a module, registered by the module's app (core imports no capability app).
# A module without a guard is open to every signed-in user.
_GUARDS: dict[str, Callable[[Any], bool]] = {}


def guard_module(url_name: str, allowed: Callable[[Any], bool]) -> None:
    """Show the module (or navigation link) only to users for whom ``allowed(user)`` is true."""
    _GUARDS[url_name] = allowed


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The modules this user may open (and those still to come), and whether they administer."""
    from clientela.accounts.queries import has_capability

    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    # Guarded links outside MODULES (the audit log) are offered by name in nav_allowed.
    allowed = {name for name, guard in _GUARDS.items() if signed_in and guard(user)}
    modules = [
        (url_name, label, icon)
        for url_name, label, icon in MODULES
        if url_name is None or url_name not in _GUARDS or url_name in allowed
    ]
    return {
        "nav_modules": modules,
        "nav_allowed": allowed,
        "is_admin": bool(signed_in and has_capability(user, "accounts.manage_users")),
    }
