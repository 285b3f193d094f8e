"""The user type core code names without importing accounts, and the signed-in request.

Core sits below accounts in the app stack, so it cannot import `clientela.accounts.models`.
For the type checker, django-stubs resolves `django.contrib.auth.models._User` to
settings.AUTH_USER_MODEL (`clientela.accounts.models.User`): core's signatures are checked
against the real model while the import graph keeps core at the bottom. Apps above accounts
import `User` from `clientela.accounts.models` directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User

__all__ = ["AuthenticatedHttpRequest", "User"]


class AuthenticatedHttpRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: `user` is a signed-in user, never anonymous.

    Views behind the login requirement take it instead of HttpRequest so they can hand
    `request.user` to services typed with the user model. Public views keep HttpRequest.
    """

    user: User
