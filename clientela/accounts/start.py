"""The users card of the start page, for those who manage users (registered in ready())."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse

from clientela.accounts.models import Role, User
from clientela.accounts.queries import has_capability
from clientela.core.users import AuthenticatedHttpRequest


def users_panel_context(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """Count the active users per role, linked to the users screen.

    None for those who do not manage users.
    """
    if not has_capability(request.user, "accounts.manage_users"):
        return None
    counts = dict(
        User.objects.filter(is_active=True)
        .values_list("role_id")
        .annotate(n=Count("id"))
        .values_list("role_id", "n")
    )
    roles = [(str(role), counts.get(role.pk, 0)) for role in Role.objects.order_by("pk")]
    return {
        "active": sum(counts.values()),
        "inactive": User.objects.filter(is_active=False).count(),
        "roles": [(name, n) for name, n in roles if n],
        "users_url": reverse("accounts:user_list"),
    }
