"""Landing pages: built from blocks, published at /p/<slug> with their form, images, views."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from clientela.core.exceptions import ValidationFailed
from clientela.webforms.models import LandingPage
from clientela.webforms.services import pages
from clientela.webforms.tests.factories import webinar_form

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 80)).save(out, "PNG")
    return out.getvalue()


def _page(personas: Any, **data: Any) -> LandingPage:
    values = {"slug": "webinar-vivienda", "title_es": "Webinar: invertir en vivienda",
              "title_en": "Webinar: investing in housing", **data}  # fmt: skip
    return pages.create_page(actor=personas.marketer, data=values)


def test_a_published_page_shows_its_blocks_and_form_and_counts_views(personas: Any) -> None:
    form = webinar_form()
    page = _page(personas)
    image = pages.upload_image(actor=personas.marketer, raw=_png(), name="torre.png")
    page = pages.update_page(page, actor=personas.marketer, data={"blocks": [
        *page.blocks,
        {"type": "text", "html_es": "<p>El <strong>jueves</strong><script>x()</script></p>",
         "html_en": "<p>On <em>Thursday</em></p>"},
        {"type": "image", "image": image.token, "alt_es": "La torre"},
        {"type": "form", "form": form.public_id},
        {"type": "button", "label_es": "Inscribirme", "url": "#formulario"},
    ]})  # fmt: skip
    client = Client()
    url = reverse("webforms:landing", kwargs={"slug": page.slug})
    assert client.get(url).status_code == 404  # a draft
    pages.set_page_status(page, actor=personas.marketer, status="published")
    response = client.get(url + "?utm_source=facebook&utm_campaign=webinar")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Webinar: invertir en vivienda" in html
    assert "<strong>jueves</strong>" in html and "<script>x()" not in html
    assert f'action="/f/{form.public_id}"' in html
    assert 'value="facebook"' in html  # the page's UTM reach the form's hidden fields
    assert f"/p/img/{image.token}.png" in html and 'alt="La torre"' in html
    english = client.get(url + "?lang=en").content.decode()
    assert "Webinar: investing in housing" in english and "<em>Thursday</em>" in english
    page.refresh_from_db()
    assert page.views == 2
    picture = client.get(f"/p/img/{image.token}.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert "immutable" in picture["Cache-Control"]


def test_it_refuses_bad_addresses_and_blocks_naming_nothing(personas: Any) -> None:
    _page(personas)
    for slug in ("Webinar Vivienda", "img", "webinar-vivienda", "a--b", ""):
        with pytest.raises(ValidationFailed) as caught:
            pages.create_page(actor=personas.marketer, data={"slug": slug, "title_es": "x"})
        assert "slug" in caught.value.errors
    page = LandingPage.objects.get()
    for block, path in (({"type": "form", "form": "nope"}, "blocks.1.form"),
                        ({"type": "image", "image": "nope"}, "blocks.1.image")):  # fmt: skip
        with pytest.raises(ValidationFailed) as caught:
            pages.update_page(page, actor=personas.marketer, data={"blocks": [*page.blocks, block]})
        assert path in caught.value.errors


def test_only_form_managers_edit_pages(personas: Any) -> None:
    from clientela.core.exceptions import Forbidden

    with pytest.raises(Forbidden):
        pages.create_page(actor=personas.rep, data={"slug": "x", "title_es": "x"})


def test_the_editor_adds_edits_moves_and_removes_blocks(client: Any, personas: Any) -> None:
    webinar_form()
    client.force_login(personas.marketer)
    created = client.post(reverse("webforms:page_create"),
                          {"slug": "feria", "title_es": "Feria", "language": "es"})  # fmt: skip
    assert created.status_code == 302, created.content
    page = LandingPage.objects.get()
    edit = reverse("webforms:page_edit", args=[page.pk])
    assert client.get(edit).status_code == 200
    client.post(reverse("webforms:block_add", args=[page.pk]), {"kind": "text"})
    client.post(reverse("webforms:block_add", args=[page.pk]), {"kind": "form"})
    page.refresh_from_db()
    assert [b["type"] for b in page.blocks] == ["heading", "text", "form"]
    saved = client.post(reverse("webforms:block_save", args=[page.pk, 1]),
                        {"b1-html_es": "<p>Hola <a href='javascript:x'>y</a></p>"})  # fmt: skip
    assert saved.status_code == 302
    page.refresh_from_db()
    assert "javascript" not in page.blocks[1]["html_es"] and "Hola" in page.blocks[1]["html_es"]
    client.post(reverse("webforms:block_move", args=[page.pk, 2]), {"action": "up"})
    client.post(reverse("webforms:block_move", args=[page.pk, 0]), {"action": "remove"})
    page.refresh_from_db()
    assert [b["type"] for b in page.blocks] == ["form", "text"]
    preview = client.get(reverse("webforms:page_preview", args=[page.pk]))
    assert preview.status_code == 200 and "noindex" in preview.content.decode()
    page.refresh_from_db()
    assert page.views == 0
    upload = client.post(reverse("webforms:image_upload", args=[page.pk]),
                         {"image": io.BytesIO(b"<svg onload=alert(1)>")})  # fmt: skip
    assert upload.status_code == 302
    assert client.get(reverse("webforms:pages")).status_code == 200


def test_the_editor_answers_a_stale_block_or_an_unknown_status_with_a_message(
    client: Any, personas: Any
) -> None:
    page = pages.create_page(actor=personas.marketer, data={"slug": "feria", "title_es": "Feria"})
    client.force_login(personas.marketer)
    gone = client.post(reverse("webforms:block_move", args=[page.pk, 5]), {"action": "remove"},
                       follow=True)  # fmt: skip
    assert gone.status_code == 200 and "Ese bloque ya no existe." in gone.content.decode()
    odd = client.post(reverse("webforms:page_status", args=[page.pk]), {"status": "archived"},
                      follow=True)  # fmt: skip
    assert odd.status_code == 200 and "Elija publicada o borrador." in odd.content.decode()
    page.refresh_from_db()
    assert (page.status, len(page.blocks)) == ("draft", 1)


def test_a_published_page_carries_the_tracking_script_of_the_site_listing_clientela(
    personas: Any,
) -> None:
    from clientela.tracking.tests.factories import TrackedSiteFactory

    form = webinar_form()
    page = _page(personas)
    page = pages.update_page(page, actor=personas.marketer, data={"blocks": [
        *page.blocks, {"type": "button", "label_es": "Quiero ir", "url": "#formulario"},
        {"type": "form", "form": form.public_id},
    ]})  # fmt: skip
    pages.set_page_status(page, actor=personas.marketer, status="published")
    url = reverse("webforms:landing", kwargs={"slug": page.slug})
    assert "/t/clientela.js" not in Client().get(url).content.decode()
    site = TrackedSiteFactory.create(allowed_origins="https://www.example.co\nhttp://testserver")
    html = Client().get(url).content.decode()
    assert f'data-site="{site.key}"' in html and 'data-clientela-cta="Quiero ir"' in html
    client = Client()
    client.force_login(personas.marketer)
    preview = client.get(reverse("webforms:page_preview", args=[page.pk])).content.decode()
    assert "/t/clientela.js" not in preview
