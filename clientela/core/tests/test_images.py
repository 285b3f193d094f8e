"""Uploaded page images: re-encoded by Pillow, metadata gone, anything else refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from clientela.core.exceptions import ValidationFailed
from clientela.core.images import MAX_SIDE, reencode


def _image(fmt: str, size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt, **save)
    return out.getvalue()


def test_it_rewrites_a_jpeg_without_its_exif_and_scales_it_down() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camara espia"  # Make
    raw = _image("JPEG", (MAX_SIDE * 2, 100), exif=exif.tobytes())
    assert b"Camara espia" in raw
    clean = reencode(raw + b"<script>alert(1)</script>")
    assert (clean.extension, clean.content_type) == ("jpg", "image/jpeg")
    assert (clean.width, clean.height) == (MAX_SIDE, 50)
    assert b"Camara espia" not in clean.data and b"<script>" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as again:
        assert again.format == "JPEG"


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("GIF", "png"), ("WEBP", "webp")])
def test_it_keeps_web_formats(fmt: str, ext: str) -> None:
    assert reencode(_image(fmt)).extension == ext


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"%PDF-1.4 not an image",
        _image("PNG")[:40],  # truncated
        _image("BMP"),
        _image("TIFF"),
    ],
)
def test_it_refuses_what_is_not_a_web_image(raw: bytes) -> None:
    with pytest.raises(ValidationFailed) as caught:
        reencode(raw)
    assert "image" in caught.value.errors
