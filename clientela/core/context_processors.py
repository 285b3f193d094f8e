"""Template context shared by every page: the navigation, as the apps registered it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clientela.core.registries import (
    ADMINISTRATION,
    MODULES,
    NavItem,
    header_items,
    nav_items,
    register_nav_item,
)

# Core's own start page, and the modules still to come (greyed out until their app registers).
for _item in (
    NavItem("core:home", _("Home"), "home", order=0),
    NavItem(None, _("Service"), "lifebuoy", order=80),
):
    register_nav_item(_item)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Return the modules and administration screens this user may open.

    `is_admin` (whether the sidebar shows its administration section) is true when any app
    registered an administration screen this user may open; `header_items` are the templates
    of the header pieces apps registered (the notifications bell).
    """
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    admin = nav_items(ADMINISTRATION, user) if signed_in else []
    return {
        "nav_modules": [(i.url_name, i.label, i.icon) for i in nav_items(MODULES, user)],
        "admin_nav": admin,
        "is_admin": bool(admin),
        "header_items": [item.template for item in header_items(user)] if signed_in else [],
    }
