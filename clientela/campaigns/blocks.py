"""Turn a template's blocks or HTML source into one sanitised, CSS-inlined Jinja source.

A template is compiled once per language into a Jinja source (`compile_document`); the
personalisation of each message (`{{ contacto.nombre|default:"amigo" }}`) happens later, in
delivery's sandbox (`delivery.rendering.render_email`), so 100,000 messages cost 100,000 cheap
renders and one sanitisation and CSS inlining.

* Author HTML (rich text of blocks, the whole source in HTML mode) goes through nh3 with an
  allow-list: no scripts, event handlers, forms, iframes or `javascript:` links survive.
* Plain-text fields (headings, button labels, alt text) are escaped.
* Personalisation expressions are set aside before sanitising and escaping and put back after,
  so neither mangles `"amigo"` inside them; their output is autoescaped at render time.
* The layout is a 600 px table that becomes full width on phones (a media query kept in
  <style>); every other rule is inlined for clients that drop <style>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

import nh3
from django.conf import settings
from django.utils.translation import gettext as _

from clientela.campaigns.choices import BlockType
from clientela.core.exceptions import ValidationFailed

MAX_BLOCKS = 60
MAX_TEXT = 20_000
MAX_SOURCE = 300_000
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SAFE_URL = re.compile(r"^(https?://|mailto:|tel:|\{\{)", re.IGNORECASE)
DEFAULT_COLOUR = "#1f6feb"
# The values the footer's unsubscribe link and the preview text read (given by the renderer).
UNSUBSCRIBE_VALUE = "unsubscribe_url"

RICH_TAGS = {
    "a", "b", "strong", "i", "em", "u", "s", "br", "p", "ul", "ol", "li", "span", "small",
    "h1", "h2", "h3", "h4", "blockquote", "sup", "sub", "hr",
}  # fmt: skip
SOURCE_TAGS = RICH_TAGS | {
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "div", "img", "center", "font",
    "section", "header", "footer", "style", "caption", "col", "colgroup", "pre", "code",
}  # fmt: skip
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "class", "align", "dir", "lang", "title"},
    "a": {"href", "target"},
    "img": {"src", "alt", "width", "height", "border"},
    "table": {"width", "cellpadding", "cellspacing", "border", "role", "bgcolor"},
    "td": {"width", "colspan", "rowspan", "valign", "bgcolor"},
    "th": {"width", "colspan", "rowspan", "valign", "bgcolor"},
    "font": {"color", "face", "size"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

CSS = """
body { margin: 0; padding: 0; background: #f3f4f6; }
.wrap { width: 100%; background: #f3f4f6; }
.sheet { width: 600px; max-width: 600px; background: #ffffff; margin: 0 auto; }
.cell { padding: 12px 32px; font-family: Helvetica, Arial, sans-serif; font-size: 16px;
  line-height: 1.5; color: #1f2937; }
h1 { font-size: 28px; line-height: 1.25; margin: 8px 0; color: #111827; }
h2 { font-size: 22px; line-height: 1.3; margin: 8px 0; color: #111827; }
p { margin: 0 0 12px 0; }
a { color: #1f6feb; }
.button { display: inline-block; padding: 12px 24px; border-radius: 6px; color: #ffffff;
  font-weight: bold; text-decoration: none; }
.col { width: 50%; vertical-align: top; padding: 0 8px; }
.divider { border: 0; border-top: 1px solid #e5e7eb; margin: 8px 0; }
.footer { font-size: 12px; color: #6b7280; text-align: center; padding: 24px 32px; }
.footer a { color: #6b7280; }
.preheader { display: none; max-height: 0; overflow: hidden; mso-hide: all; }
img { border: 0; max-width: 100%; height: auto; }
"""
RESPONSIVE = """
@media only screen and (max-width: 620px) {
  .sheet { width: 100% !important; }
  .cell { padding: 12px 16px !important; }
  .col { display: block !important; width: 100% !important; padding: 0 !important; }
}
"""


class _Shelf:
    """Set personalisation expressions aside behind placeholders and put them back."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def keep(self, text: str) -> str:
        """Replace every `{{ … }}` and `{% … %}` by a placeholder sanitisers leave alone."""

        def store(found: re.Match[str]) -> str:
            self.kept.append(found.group(0))
            return f"JINJAEXPR{len(self.kept) - 1}X"

        return _EXPRESSION.sub(store, text)

    def restore(self, text: str) -> str:
        """Put the expressions back."""
        return re.sub(r"JINJAEXPR(\d+)X", lambda m: self.kept[int(m.group(1))], text)


def sanitise(html: str, *, source: bool = False) -> str:
    """Return author HTML with only the allowed tags, attributes and link schemes left."""
    tags = SOURCE_TAGS if source else RICH_TAGS
    return str(
        nh3.clean(
            html,
            tags=tags,
            clean_content_tags={"script"} if "style" in tags else {"script", "style"},
            attributes=dict(ATTRIBUTES),
            url_schemes=URL_SCHEMES,
            link_rel=None,
            strip_comments=True,
        )
    )


def _text(value: Any, shelf: _Shelf) -> str:
    return escape(shelf.keep(str(value or "")), quote=True)


def _rich(value: Any, shelf: _Shelf) -> str:
    text = shelf.keep(str(value or ""))
    if "<" not in text:
        # Plain text: blank lines make paragraphs, single line breaks stay.
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        return "".join(
            "<p>" + escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
        )
    return sanitise(text)


def _url(value: Any, shelf: _Shelf) -> str:
    url = str(value or "").strip()
    if not url or not _SAFE_URL.match(url):
        return ""
    return escape(shelf.keep(url), quote=True)


def _colour(value: Any) -> str:
    text = str(value or "")
    return text if _HEX_COLOUR.match(text) else DEFAULT_COLOUR


def _row(inner: str, css_class: str = "cell", style: str = "") -> str:
    attribute = f' style="{style}"' if style else ""
    return f'<tr><td class="{css_class}"{attribute}>{inner}</td></tr>'


def company_address() -> str:
    """Return the company's postal address shown in every marketing footer."""
    return str(settings.CLIENTELA.get("COMPANY_ADDRESS", "") or "")


def _footer(block: Mapping[str, Any], shelf: _Shelf, language: str) -> str:
    english = language == "en"
    unsubscribe = "Unsubscribe" if english else "Cancelar suscripción"
    note = (
        "You receive this e-mail because you agreed to hear from us."
        if english
        else "Recibe este correo porque aceptó recibir nuestras comunicaciones."
    )
    extra = _rich(block.get("text"), shelf) if block.get("text") else f"<p>{escape(note)}</p>"
    address = escape(company_address())
    target = shelf.keep(f"{{{{ {UNSUBSCRIBE_VALUE} }}}}")
    link = f'<a href="{target}">{unsubscribe}</a>'
    return _row(f"{extra}<p>{address}</p><p>{link}</p>", "footer")


def _block_html(block: Mapping[str, Any], shelf: _Shelf, language: str) -> str:
    kind = block.get("type")
    if kind == BlockType.HEADING:
        level = 2 if block.get("level") == 2 else 1
        return _row(f"<h{level}>{_text(block.get('text'), shelf)}</h{level}>")
    if kind == BlockType.TEXT:
        return _row(_rich(block.get("text"), shelf))
    if kind == BlockType.IMAGE:
        src = _url(block.get("src"), shelf)
        if not src:
            return ""
        alt = _text(block.get("alt"), shelf)
        image = f'<img src="{src}" alt="{alt}" width="536" style="display:block;width:100%">'
        href = _url(block.get("href"), shelf)
        return _row(f'<a href="{href}">{image}</a>' if href else image)
    if kind == BlockType.BUTTON:
        href = _url(block.get("href"), shelf)
        label = _text(block.get("text"), shelf)
        colour = _colour(block.get("color"))
        button = (
            f'<a class="button" href="{href}" style="background:{colour}">{label}</a>'
            if href
            else ""
        )
        return _row(button, style="text-align:center")
    if kind == BlockType.COLUMNS:
        left = _rich(block.get("left"), shelf)
        right = _rich(block.get("right"), shelf)
        table = (
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>'
            f'<td class="col">{left}</td><td class="col">{right}</td></tr></table>'
        )
        return _row(table)
    if kind == BlockType.DIVIDER:
        return _row('<hr class="divider">')
    if kind == BlockType.FOOTER:
        return _footer(block, shelf, language)
    return ""


def _document(
    body_rows: str, preheader: str, language: str, *, with_footer: bool, shelf: _Shelf
) -> str:
    footer = "" if not with_footer else _footer({}, shelf, language)
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style><style>{RESPONSIVE}</style></head><body>"
        f'<div class="preheader">{preheader}</div>'
        '<table role="presentation" class="wrap" width="100%" cellpadding="0" cellspacing="0">'
        '<tr><td align="center">'
        '<table role="presentation" class="sheet" width="600" cellpadding="0" cellspacing="0">'
        f"{body_rows}{footer}</table></td></tr></table></body></html>"
    )


def _inline(html: str) -> str:
    import css_inline

    inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
    inlined = str(inliner.inline(html))
    # The responsive rules cannot be inlined: keep them in the head.
    return inlined.replace("</head>", f"<style>{RESPONSIVE}</style></head>", 1)


def check_blocks(blocks: Any, field: str = "blocks") -> list[dict[str, Any]]:
    """Return the blocks as a clean list of dicts, or raise ValidationFailed on `field`."""
    if not isinstance(blocks, list):
        raise ValidationFailed({field: [_("The blocks must be a list.")]})
    if len(blocks) > MAX_BLOCKS:
        raise ValidationFailed(
            {field: [_("A template holds at most %(n)s blocks.") % {"n": MAX_BLOCKS}]}
        )
    known = set(BlockType.values)
    keys = {"type", "text", "level", "src", "alt", "href", "color", "left", "right"}
    clean: list[dict[str, Any]] = []
    for position, block in enumerate(blocks, start=1):
        if not isinstance(block, dict) or block.get("type") not in known:
            raise ValidationFailed(
                {field: [_("Block %(n)s is not a known kind of block.") % {"n": position}]}
            )
        entry: dict[str, Any] = {"type": block["type"]}
        for key in keys - {"type"}:
            value = block.get(key)
            if value is None or value == "":
                continue
            if key == "level":
                entry[key] = 2 if value in (2, "2") else 1
                continue
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise ValidationFailed(
                    {field: [_("Block %(n)s has a value that is too long.") % {"n": position}]}
                )
            if key in ("src", "href") and not _SAFE_URL.match(value.strip()):
                raise ValidationFailed(
                    {
                        field: [
                            _("Block %(n)s: links must start with https://, mailto: or tel:.")
                            % {"n": position}
                        ]
                    }
                )
            entry[key] = value
        clean.append(entry)
    return clean


def _has_footer(blocks: Sequence[Mapping[str, Any]]) -> bool:
    return any(block.get("type") == BlockType.FOOTER for block in blocks)


@lru_cache(maxsize=256)
def _compiled(
    mode: str, blocks_key: str, html: str, preheader: str, language: str
) -> tuple[str, str]:
    """Return the Jinja sources of the HTML part and of the plain-text part."""
    import json

    from clientela.delivery.plaintext import html_to_text

    shelf = _Shelf()
    if mode == "html":
        body = shelf.keep(html)
        has_unsubscribe = UNSUBSCRIBE_VALUE in html
        rows = _row(sanitise(body, source=True))
        document = _document(
            rows, _text(preheader, shelf), language, with_footer=not has_unsubscribe, shelf=shelf
        )
    else:
        blocks = json.loads(blocks_key)
        rows = "".join(_block_html(block, shelf, language) for block in blocks)
        document = _document(
            rows,
            _text(preheader, shelf),
            language,
            with_footer=not _has_footer(blocks),
            shelf=shelf,
        )
    inlined = _inline(document)
    # The text part is derived once from the shelved HTML, so each message renders two small
    # templates instead of reading its HTML again; a link whose target is an expression keeps
    # it (the reader turns only absolute links into "text (address)").
    linked = re.sub(r'href="JINJAEXPR(\d+)X"', r'href="https://jinjaexpr.invalid/\1"', inlined)
    text = html_to_text(linked)
    text = re.sub(r"https://jinjaexpr\.invalid/(\d+)", r"JINJAEXPR\1X", text)
    return shelf.restore(inlined), shelf.restore(text)


def compile_document(
    *, mode: str, blocks: Sequence[Mapping[str, Any]], html: str, preheader: str, language: str
) -> str:
    """Return the sanitised, inlined Jinja source of one language of a template.

    Every marketing e-mail gets the footer with the company's address and the unsubscribe link:
    added when the blocks have no footer block, or the source never names `unsubscribe_url`.
    """
    import json

    if len(html) > MAX_SOURCE:
        raise ValidationFailed({"html": [_("The HTML source is too long.")]})
    key = json.dumps(list(blocks), sort_keys=True)
    return _compiled(mode, key, html, preheader, language)[0]


def compile_text(
    *, mode: str, blocks: Sequence[Mapping[str, Any]], html: str, preheader: str, language: str
) -> str:
    """Return the Jinja source of the plain-text part matching `compile_document`'s HTML."""
    import json

    key = json.dumps(list(blocks), sort_keys=True)
    return _compiled(mode, key, html[:MAX_SOURCE], preheader, language)[1]
