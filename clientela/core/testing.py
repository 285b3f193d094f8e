"""Helpers the test suites of every module share (imported only by tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from clientela.core.users import User


def client_for(client: Any, user: User, language: str = "en") -> Any:
    """Return the test client signed in as `user`, in English unless told (messages are asserted).

    Typed loosely on purpose: tests read streaming and plain responses alike.
    """
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    session = client.session
    session["clientela_language"] = language
    session.save()
    return client
