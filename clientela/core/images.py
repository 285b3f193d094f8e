"""Images people upload (landing pages, e-mails, product photos): checked, re-encoded, stripped.

Nothing an author uploads is served as sent. Pillow opens it (refusing decompression bombs),
only JPEG, PNG, GIF and WebP are accepted, and the pixels are written anew — which drops
EXIF (GPS positions included), embedded scripts in comments and polyglot tails — scaled down
to at most MAX_SIDE pixels on the longest side (or the caller's `max_side`). Webforms, campaigns
and catalog share this one piece.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from clientela.core.exceptions import ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2400
MAX_PIXELS = 40_000_000  # refuse anything that would unpack past this (a "bomb")
ACCEPTED = {"JPEG": "jpg", "PNG": "png", "GIF": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image ready to store: bytes, extension, content type, size in pixels."""

    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _refuse(message: str, field: str = "image") -> ValidationFailed:
    return ValidationFailed({field: [message]})


def reencode(raw: bytes, *, max_side: int = MAX_SIDE, field: str = "image") -> CleanImage:
    """Check an uploaded image and return it re-encoded; ValidationFailed says what is wrong.

    `max_side` bounds the longest side in pixels; `field` names the form field of the errors.
    """
    if len(raw) > MAX_BYTES:
        raise _refuse(_("The image is larger than 5 MB."), field)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            if kind not in ACCEPTED:
                raise _refuse(_("Upload a JPEG, PNG, GIF or WebP image."), field)
            if width * height > MAX_PIXELS:
                raise _refuse(_("The image has too many pixels."), field)
            probe.verify()
        with Image.open(io.BytesIO(raw)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((max_side, max_side))
            extension = ACCEPTED[kind]
            out = io.BytesIO()
            if extension == "jpg":
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif extension == "webp":
                image.save(out, "WEBP", quality=85)
            else:
                has_alpha = image.mode in ("RGBA", "LA", "P")
                image.convert("RGBA" if has_alpha else "RGB").save(out, "PNG", optimize=True)
            final_width, final_height = image.size
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(_("The file is not an image Clientela can read."), field) from exc
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[extension]
    return CleanImage(out.getvalue(), extension, content_type, final_width, final_height)
