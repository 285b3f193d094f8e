"""Say what a role's scope hides on empty lists.

A service agent on a database of 2,000 contacts read "No contacts yet" when his role simply
showed none of them.
"""

from __future__ import annotations

from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from clientela.accounts.choices import Visibility
from clientela.accounts.models import User
from clientela.accounts.queries import visibility_of


def scope_hint(user: User, *, companies: bool = False) -> str:
    """Say why the user's list is empty when their role sees only part of the records.

    The hint names the scope and the departments it covers ("" for a role that sees
    everything).
    """
    scope = visibility_of(user)
    if scope == Visibility.ALL:
        return ""
    if scope == Visibility.DEPARTMENT:
        names = sorted(user.departments.values_list("name", flat=True))
        if not names:
            return (
                _("Your role shows only the companies of your departments, and you belong to none.")
                if companies
                else _(
                    "Your role shows only the contacts of your departments, and you belong to none."
                )
            )
        departments = get_text_list(names, _("and"))
        return (
            _(
                "Your role shows only the companies of your departments; there are none in %(departments)s."
            )
            if companies
            else _(
                "Your role shows only the contacts of your departments; there are none in %(departments)s."
            )
        ) % {"departments": departments}
    return (
        _("Your role shows only the companies you own, and you own none yet.")
        if companies
        else _("Your role shows only the contacts you own, and you own none yet.")
    )
