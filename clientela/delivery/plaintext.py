"""Derive the plain-text part of an e-mail from its HTML part.

A small reader over the standard library's HTML parser (no library we could add fit: the
permissive ones need lxml, which changes how openpyxl writes spreadsheets, and html2text is
GPL; docs/decisions.md). It reads HTML the way a person would read the rendered message:

* paragraphs, headings, block containers and table rows start new lines; <br> breaks a line;
* list items read "* item" (numbered "1. item" inside <ol>); table cells are spaced apart;
* a link reads "text (https://…)" unless its text already is the address; images give their
  alt text; <script>, <style>, <head> and other invisible parts are dropped;
* whitespace collapses as a browser collapses it, except inside <pre>.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

INVISIBLE = frozenset(
    {"head", "title", "style", "script", "noscript", "template", "svg", "object", "iframe"}
)
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
        "blockquote", "address", "figure", "figcaption", "form", "fieldset", "center",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "hr", "pre",
    }
)  # fmt: skip
LINE_BREAKS = frozenset({"tr", "dt", "dd", "li", "caption", "thead", "tbody", "tfoot"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_LINKABLE = ("http://", "https://", "mailto:", "tel:")


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.lists: list[list[int]] = []  # one [counter] per open list, -1 for <ul>
        self.links: list[tuple[str, int]] = []  # (href, index in parts where its text starts)
        self.cells = 0

    # Output helpers -----------------------------------------------------------------------
    def _tail(self) -> str:
        return "".join(self.parts[-8:])

    def _newlines(self, count: int) -> None:
        """End the current line and leave `count` - 1 blank lines (never at the very start)."""
        if not "".join(self.parts).strip():
            return
        while self.parts and self.parts[-1].endswith(" "):
            self.parts[-1] = self.parts[-1].rstrip(" ")
        tail = self._tail()
        have = len(tail) - len(tail.rstrip("\n"))
        if have < count:
            self.parts.append("\n" * (count - have))

    def _write(self, text: str, *, prefix: bool = False) -> None:
        """Append text; collapsed spaces never start a line or double up (unless `prefix`)."""
        if not text:
            return
        tail = self._tail()
        if not prefix and (not tail or tail.endswith(("\n", " "))):
            text = text.lstrip(" ")
        if text:
            self.parts.append(text)

    # Parser callbacks ---------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE:
            self.hidden += 1
            return
        if self.hidden:
            return
        values = {name: value or "" for name, value in attrs}
        if tag in {"ul", "ol"} and self.lists:
            self._newlines(1)  # a list inside a list item continues it
        elif tag in BLOCKS:
            self._newlines(2)
        if tag == "pre":
            self.pre += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in {"ul", "ol"}:
            self.lists.append([0 if tag == "ol" else -1])
        elif tag == "li":
            self._newlines(1)
            depth = max(len(self.lists) - 1, 0)
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
                self._write("  " * depth + f"{counter[0]}. ", prefix=True)
            else:
                self._write("  " * depth + "* ", prefix=True)
        elif tag in LINE_BREAKS:
            self._newlines(1)
            if tag == "tr":
                self.cells = 0
        elif tag in {"td", "th"}:
            if self.cells:
                self._write("  ")
            self.cells += 1
        elif tag == "a":
            self.links.append((values.get("href", "").strip(), len(self.parts)))
        elif tag == "img" and values.get("alt"):
            self._write(" " + _SPACES.sub(" ", values["alt"]).strip() + " ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "img", "hr"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE:
            self.hidden = max(self.hidden - 1, 0)
            return
        if self.hidden:
            return
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)
        if tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
            if self.lists:
                self._newlines(1)
                return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href.lower().startswith(_LINKABLE) and href.removeprefix("mailto:") != label:
                self._write(f" ({href.removeprefix('mailto:')})" if label else href)
        if tag in BLOCKS:
            self._newlines(2)
        elif tag in LINE_BREAKS:
            self._newlines(1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            self.parts.append(data)
        else:
            self._write(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Return the plain-text reading of an HTML part (empty for empty HTML)."""
    if not html or not html.strip():
        return ""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    text = "".join(reader.parts)
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text.strip() else ""
