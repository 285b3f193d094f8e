"""Landing-page blocks: cleaned to typed data, author HTML sanitised, every bad field named."""

from __future__ import annotations

import pytest

from clientela.core.exceptions import ValidationFailed
from clientela.webforms.pages import clean_blocks, forms_used, in_language, sanitise


def test_it_keeps_a_well_formed_page_and_its_words_in_both_languages() -> None:
    blocks = clean_blocks(
        [
            {"type": "heading", "text_es": "Webinar: invertir en vivienda", "level": 1},
            {"type": "text", "html_es": "<p>Gratis, <strong>el jueves</strong></p>"},
            {"type": "form", "form": "abc123"},
            {"type": "image", "image": "Ab-_9"},
            {"type": "button", "label_es": "Ver proyectos", "url": "#formulario"},
            {"type": "video", "url": "https://www.youtube.com/watch?v=x", "caption_en": "Tour"},
        ]
    )
    assert [b["type"] for b in blocks] == ["heading", "text", "form", "image", "button", "video"]
    assert blocks[0]["level"] == 1
    assert in_language(blocks[0], "text", "en") == "Webinar: invertir en vivienda"
    assert forms_used(blocks) == ["abc123"]


def test_it_sanitises_author_html() -> None:
    dirty = (
        '<p onclick="x()">Hola<script>alert(1)</script><img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">a</a><a href="https://ok.example">b</a>'
        "<style>p{}</style><iframe src=//evil></iframe></p>"
    )
    clean = sanitise(dirty)
    for bad in ("onclick", "<script", "onerror", "<img", "javascript:", "<style", "<iframe"):
        assert bad not in clean
    assert 'href="https://ok.example"' in clean and "nofollow" in clean


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ({"type": "marquee"}, "blocks.0.type"),
        ({"type": "heading"}, "blocks.0.text_es"),
        ({"type": "heading", "text_es": "x" * 201}, "blocks.0.text_es"),
        ({"type": "button", "label_es": "Ir", "url": "javascript:alert(1)"}, "blocks.0.url"),
        ({"type": "button", "label_es": "Ir", "url": "//evil.example"}, "blocks.0.url"),
        ({"type": "video", "url": "ftp://x.example/v"}, "blocks.0.url"),
        ({"type": "image", "image": "../../etc/passwd"}, "blocks.0.image"),
        ({"type": "image", "image": "a b"}, "blocks.0.image"),
        ({"type": "form"}, "blocks.0.form"),
        ("not a block", "blocks.0.type"),
    ],
)
def test_it_names_every_bad_field_by_its_path(block: object, path: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_blocks([block])
    assert path in caught.value.errors


def test_it_refuses_what_is_not_a_list_of_blocks() -> None:
    for raw in ({"type": "heading"}, "x", None, [{"type": "form", "form": "f"}] * 51):
        with pytest.raises(ValidationFailed):
            clean_blocks(raw)
