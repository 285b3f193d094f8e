"""What activities shows on other apps' screens: the customer card's panel, the start card.

Both are registered in ActivitiesConfig.ready().
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from clientela.accounts.queries import assignable_owners
from clientela.activities.forms import LogForm, TaskForm
from clientela.activities.queries import (
    can_assign,
    can_write,
    contact_open_activities,
    due_soon,
)
from clientela.contacts.models import Contact
from clientela.core.users import AuthenticatedHttpRequest


def contact_panel_context(
    request: AuthenticatedHttpRequest, contact: Contact
) -> Mapping[str, Any] | None:
    """Fill the panel: the contact's open tasks, and the log and task forms for who may write."""
    user = request.user
    writer = can_write(user)
    assigner = writer and can_assign(user)
    owners = list(assignable_owners(user).order_by("first_name", "id")) if assigner else []
    return {
        "open": contact_open_activities(user, contact.pk),
        "can_write": writer,
        "can_change_all": assigner,
        "log_form": LogForm(auto_id="log_%s") if writer else None,
        "task_form": TaskForm(
            auto_id="task_%s", initial={"owner": user.pk, "contact": contact.pk}, owners=owners
        )
        if writer
        else None,
        "next": reverse("contacts:contact_detail", args=[contact.pk]),
    }


def start_panel_context(request: AuthenticatedHttpRequest) -> Mapping[str, Any] | None:
    """Fill the start page's card: the user's tasks due by tonight, overdue ones counted."""
    tasks, overdue = due_soon(request.user)
    return {"tasks": tasks, "overdue": overdue}
