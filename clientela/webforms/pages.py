"""Landing-page blocks as typed data: what each block holds, cleaned before it is stored.

A page is a list of blocks — heading, text, image, form, button, video link — each with its
words in Spanish and English. Author HTML (text blocks) is sanitised with nh3 to a small
allow-list; links get `rel="noopener noreferrer nofollow"`; URLs must be http(s) (a button may
also point at an anchor on the page or a path of this site). A video is a link, not an
embedded player: a published page makes no third-party request until the visitor clicks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import nh3
from django.utils.translation import gettext as _

from clientela.core.exceptions import ValidationFailed

MAX_BLOCKS = 50
MAX_TEXT = 200
MAX_HTML = 20_000
KINDS = ("heading", "text", "image", "form", "button", "video")
LANGUAGES = ("es", "en")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # an uploaded image's public token
TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h2", "h3", "blockquote"}


def sanitise(html: str) -> str:
    """Return author HTML reduced to the allow-list (scripts, styles and handlers gone)."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def _url(value: str, *, anchors: bool) -> bool:
    if anchors and (
        value.startswith("#") or (value.startswith("/") and not value.startswith("//"))
    ):
        return len(value) <= 500 and value.isprintable()
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= 500


class _Cleaner:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def text(self, block: Mapping[str, Any], path: str, name: str, limit: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for lang in LANGUAGES:
            value = block.get(f"{name}_{lang}", "")
            if not isinstance(value, str):
                self.fail(f"{path}.{name}_{lang}", _("Enter text."))
                continue
            value = value.strip()
            if len(value) > limit:
                self.fail(
                    f"{path}.{name}_{lang}",
                    _("Use at most %(n)s characters.") % {"n": limit},
                )
            out[f"{name}_{lang}"] = value
        if not any(out.values()) and f"{path}.{name}_es" not in self.errors:
            self.fail(f"{path}.{name}_es", _("Write it in Spanish, English or both."))
        return out

    def block(self, index: int, block: Any) -> dict[str, Any] | None:
        path = f"blocks.{index}"
        if not isinstance(block, dict) or block.get("type") not in KINDS:
            self.fail(f"{path}.type", _("Choose a kind of block."))
            return None
        kind = block["type"]
        clean: dict[str, Any] = {"type": kind}
        if kind == "heading":
            clean |= self.text(block, path, "text", MAX_TEXT)
            level = block.get("level", 2)
            clean["level"] = level if level in (1, 2, 3) else 2
        elif kind == "text":
            for lang in LANGUAGES:
                value = block.get(f"html_{lang}", "")
                if not isinstance(value, str) or len(value) > MAX_HTML:
                    self.fail(f"{path}.html_{lang}", _("The text is too long."))
                    value = ""
                clean[f"html_{lang}"] = sanitise(value)
        elif kind == "image":
            image = block.get("image")
            if not isinstance(image, str) or not TOKEN.match(image):
                self.fail(f"{path}.image", _("Choose an uploaded image."))
            clean["image"] = image if isinstance(image, str) else ""
            clean |= {
                f"alt_{lang}": str(block.get(f"alt_{lang}", ""))[:MAX_TEXT] for lang in LANGUAGES
            }
        elif kind == "form":
            form = block.get("form")
            if not isinstance(form, str) or not form or len(form) > 64:
                self.fail(f"{path}.form", _("Choose a form."))
            clean["form"] = form if isinstance(form, str) else ""
        elif kind == "button":
            clean |= self.text(block, path, "label", 80)
            url = block.get("url", "")
            if not isinstance(url, str) or not _url(url.strip(), anchors=True):
                self.fail(
                    f"{path}.url",
                    _("Enter a web address (https://…), a path of this site or an #anchor."),
                )
            clean["url"] = url.strip() if isinstance(url, str) else ""
        else:  # video
            url = block.get("url", "")
            if not isinstance(url, str) or not _url(url.strip(), anchors=False):
                self.fail(f"{path}.url", _("Enter the video's web address (https://…)."))
            clean["url"] = url.strip() if isinstance(url, str) else ""
            clean |= {
                f"caption_{lang}": str(block.get(f"caption_{lang}", ""))[:MAX_TEXT]
                for lang in LANGUAGES
            }
        return clean


def clean_blocks(raw: Any) -> list[dict[str, Any]]:
    """Return the blocks as they are stored; ValidationFailed names each bad field by path."""
    if not isinstance(raw, list):
        raise ValidationFailed({"blocks": [_("The page content is not a list of blocks.")]})
    if len(raw) > MAX_BLOCKS:
        raise ValidationFailed(
            {"blocks": [_("A page has at most %(n)s blocks.") % {"n": MAX_BLOCKS}]}
        )
    cleaner = _Cleaner()
    blocks = [cleaner.block(index, block) for index, block in enumerate(raw)]
    if cleaner.errors:
        raise ValidationFailed(cleaner.errors)
    return [block for block in blocks if block is not None]


def in_language(block: Mapping[str, Any], name: str, language: str) -> str:
    """Return a block's words in `language`, or in the other one when they are missing."""
    other = "en" if language == "es" else "es"
    return str(block.get(f"{name}_{language}") or block.get(f"{name}_{other}") or "")


def forms_used(blocks: list[dict[str, Any]]) -> list[str]:
    """Return the public ids of the forms a page embeds, in order."""
    return [block["form"] for block in blocks if block.get("type") == "form"]
