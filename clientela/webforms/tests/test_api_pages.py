"""The landing pages API: list, get, create and PATCH through the editor's own service."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientela.testing.access import bearer_headers
from clientela.timeline.models import Event
from clientela.webforms.choices import FormStatus, PageVerb
from clientela.webforms.models import LandingPage
from clientela.webforms.pages import sanitise
from clientela.webforms.services import pages as services
from clientela.webforms.tests.factories import webinar_form

pytestmark = pytest.mark.django_db

PAGES = "/api/v1/pages"
XSS = '<p onclick="steal()">Hola <script>alert(1)</script><a href="javascript:x()">mal</a></p>'


def call(user: Any, method: str, url: str, body: Any = None, lang: str = "en") -> Any:
    kwargs: dict[str, Any] = {**bearer_headers(user), "HTTP_ACCEPT_LANGUAGE": lang}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method.lower())(url, **kwargs)


def test_it_creates_a_page_with_blocks_sanitised_like_the_editor(personas: Any) -> None:
    form = webinar_form()
    blocks = [
        {"type": "heading", "level": 1, "text_es": "Webinar <b>vivienda</b>"},
        {"type": "text", "html_es": XSS, "html_en": "<p>Hello</p>"},
        {"type": "form", "form": form.public_id},
        {"type": "button", "label_es": "Inscribirse", "url": "#formulario"},
    ]
    response = call(personas.marketer, "POST", PAGES, {
        "slug": "webinar-vivienda", "title_es": "Webinar vivienda", "blocks": blocks,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    page = LandingPage.objects.get(pk=body["id"])
    assert page.status == FormStatus.DRAFT and page.created_by == personas.marketer
    stored = page.blocks[1]["html_es"]
    assert stored == sanitise(XSS)  # the editor's sanitiser, nh3
    assert "script" not in stored and "onclick" not in stored and "javascript" not in stored
    assert body["blocks"] == page.blocks and body["version"] == 1
    assert body["public_url"] == "http://testserver/p/webinar-vivienda"
    event = Event.objects.get(verb=PageVerb.SAVED)
    assert event.via == "api" and event.actor == personas.marketer


def test_a_page_without_blocks_starts_with_its_title_as_heading(personas: Any) -> None:
    response = call(personas.admin, "POST", PAGES, {"slug": "precios", "title_en": "Prices"})
    assert response.status_code == 201
    assert response.json()["blocks"] == [
        {"type": "heading", "level": 1, "text_es": "", "text_en": "Prices"}
    ]


def test_it_answers_field_errors_in_the_callers_language_and_stores_nothing(
    personas: Any,
) -> None:
    webinar_form()
    bad = {"slug": "Con Espacios", "title_es": "", "blocks": [
        {"type": "text", "html_es": 7}, {"type": "form", "form": "no-such-form"},
        {"type": "marquee"},
    ]}  # fmt: skip
    spanish = call(personas.marketer, "POST", PAGES, bad, lang="es")
    assert spanish.status_code == 400
    assert "minúsculas" in spanish.json()["errors"]["slug"][0]
    english = call(personas.marketer, "POST", PAGES, {**bad, "slug": "ok-slug"})
    errors = english.json()["errors"]
    assert set(errors) == {"title_es", "blocks.0.html_es", "blocks.2.type"}
    unknown_form = call(personas.marketer, "POST", PAGES, {
        "slug": "ok-slug", "title_es": "Hola", "blocks": [{"type": "form", "form": "nope0000"}],
    })  # fmt: skip
    assert unknown_form.json()["errors"] == {"blocks.0.form": ["Choose a form."]}
    typed = call(personas.marketer, "POST", PAGES, {"slug": "x", "title_es": "y", "views": 9})
    assert typed.status_code == 400 and typed.json()["errors"] == {"views": ["Unknown field."]}
    assert not LandingPage.objects.exists()
    assert not Event.objects.filter(verb__in=PageVerb.values).exists()


def test_a_patch_changes_only_what_it_sends_and_publishes(personas: Any) -> None:
    page = services.create_page(
        actor=personas.marketer,
        data={"slug": "webinar", "title_es": "Webinar", "description_es": "Gratis"},
    )
    url = f"{PAGES}/{page.pk}"
    response = call(personas.marketer, "PATCH", url, {"title_en": "Webinar", "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["slug"], body["title_es"], body["title_en"], body["description_es"]) == (
        "webinar", "Webinar", "Webinar", "Gratis",
    )  # fmt: skip
    assert body["version"] == 2 and body["status"] == "draft"
    assert Client().get("/p/webinar").status_code == 404
    published = call(personas.marketer, "PATCH", url, {"status": "published"})
    assert published.json()["status"] == "published"
    assert Client().get("/p/webinar").status_code == 200
    assert Event.objects.filter(verb=PageVerb.PUBLISHED, via="api").count() == 1
    html = call(personas.marketer, "PATCH", url, {"blocks": [{"type": "text", "html_es": XSS}]})
    assert html.json()["blocks"] == [{"type": "text", "html_es": sanitise(XSS), "html_en": ""}]


def test_a_stale_or_invalid_patch_changes_nothing(personas: Any) -> None:
    services.create_page(actor=personas.admin, data={"slug": "tomada", "title_es": "Tomada"})
    page = services.create_page(actor=personas.admin, data={"slug": "mia", "title_es": "Mía"})
    url = f"{PAGES}/{page.pk}"
    stale = call(personas.admin, "PATCH", url, {"title_es": "Otra", "version": 7})
    assert stale.status_code == 409
    taken = call(personas.admin, "PATCH", url, {"slug": "tomada", "status": "published"})
    assert taken.status_code == 400
    assert taken.json()["errors"] == {"slug": ["Another page already has this address."]}
    archived = call(personas.admin, "PATCH", url, {"status": "archived"})
    assert archived.status_code == 400 and "status" in archived.json()["errors"]
    page.refresh_from_db()
    assert (page.title_es, page.slug, page.status, page.version) == ("Mía", "mia", "draft", 1)


def test_it_lists_and_gets_pages_for_form_managers_only(
    personas: Any, django_assert_num_queries: Any
) -> None:
    for slug in ("b-pagina", "a-pagina", "c-pagina"):
        services.create_page(actor=personas.admin, data={"slug": slug, "title_es": slug})
    LandingPage.objects.filter(slug="c-pagina").update(status=FormStatus.PUBLISHED)
    headers: dict[str, Any] = bearer_headers(personas.marketer)
    client = Client()
    client.get("/api/v1/me", **headers)  # notes the token's last use once
    with django_assert_num_queries(3):  # the token with its user and role; the count; the rows
        listing = client.get(PAGES, {"limit": 2}, **headers)
    body = listing.json()
    assert [p["slug"] for p in body["items"]] == ["a-pagina", "b-pagina"] and body["count"] == 3
    assert client.get(body["next"], **headers).json()["items"][0]["slug"] == "c-pagina"
    published = client.get(PAGES, {"status": "published"}, **headers).json()
    assert [p["slug"] for p in published["items"]] == ["c-pagina"]
    assert call(personas.rep, "GET", PAGES).status_code == 403
    page = LandingPage.objects.get(slug="a-pagina")
    assert call(personas.rep, "GET", f"{PAGES}/{page.pk}").status_code == 403
    assert call(personas.admin, "GET", f"{PAGES}/{page.pk + 100}").status_code == 404
    assert call(personas.admin, "GET", f"{PAGES}/{page.pk}").json()["slug"] == "a-pagina"
