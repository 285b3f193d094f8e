"""Navigation and start page assembled from what the apps registered."""

from __future__ import annotations

from typing import Any

from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from clientela.core.context_processors import navigation
from clientela.core.registries import START_PANELS, StartPanel, register_start_panel


def admin_links(user: Any) -> list[str | None]:
    """The url names of the administration links `user` gets."""
    request = RequestFactory().get("/")
    request.user = user
    return [item.url_name for item in navigation(request)["admin_nav"]]


def test_it_builds_the_administration_menu_from_the_registered_screens(personas: Any) -> None:
    assert admin_links(personas.admin) == [
        "accounts:user_list",
        "accounts:department_list",
        "accounts:role_list",
        "contacts:custom_field_list",
        "deals:pipeline_list",
        "webforms:rules",
        "webforms:sources",
        "catalog:attribute_list",
        "billing:settings",
        "delivery:message_list",
        "tracking:site_list",
        "delivery:suppression_list",
        "timeline:audit_log",
    ]
    # The manager sets up pipelines, routes leads, defines product attributes and reads the
    # audit log.
    assert admin_links(personas.manager) == [
        "deals:pipeline_list", "webforms:rules", "catalog:attribute_list", "timeline:audit_log",
    ]  # fmt: skip
    # Marketing connects lead sources and tracked sites.
    assert admin_links(personas.marketer) == ["webforms:sources", "tracking:site_list"]
    assert admin_links(personas.rep) == []


def test_it_says_who_administers_from_the_registry(personas: Any) -> None:
    request = RequestFactory().get("/")
    request.user = personas.rep
    assert navigation(request)["is_admin"] is False
    request.user = personas.admin
    context = navigation(request)
    assert context["is_admin"] is True
    with translation.override("en"):
        modules = [(url, str(label)) for url, label, _icon in context["nav_modules"]]
    assert ("contacts:contact_list", "Contacts") in modules


def test_it_leaves_out_a_card_whose_app_has_nothing_for_the_user(
    client: Client, personas: Any
) -> None:
    shown = StartPanel("test.shown", 1, "core/forbidden.html", lambda r: {"message": "Hola"})
    hidden = StartPanel("test.hidden", 2, "core/forbidden.html", lambda r: None)
    register_start_panel(shown)
    register_start_panel(hidden)
    try:
        client.force_login(personas.rep)
        text = client.get(reverse("core:home_panel")).content.decode()
    finally:
        del START_PANELS["test.shown"], START_PANELS["test.hidden"]
    assert text.count("Hola") == 1


def test_the_sign_in_wall_opens_only_the_registered_public_prefixes(db: Any) -> None:
    import pytest

    from clientela.core.registries import public_prefixes, register_public_prefix

    # Each app opened its own public surface from its ready().
    assert {"/f/", "/hooks/", "/p/", "/t/"} <= set(public_prefixes())
    client = Client()
    # A public path reaches its view (an unknown form is a 404, not the sign-in page) ...
    assert client.get("/f/no-such-form/").status_code == 404
    # ... every other path sends a visitor to sign in.
    response = client.get("/contacts/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert client.get("/fx/").status_code == 302
    with pytest.raises(ValueError, match="public prefix"):
        register_public_prefix("/", "everything")
    with pytest.raises(ValueError, match="public prefix"):
        register_public_prefix("/admin", "no trailing slash")
