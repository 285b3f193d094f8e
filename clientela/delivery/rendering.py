"""Personalise message templates safely, and derive a plain-text part from HTML.

Authors write templates (`Hola {{ contacto.nombre|default("amigo") }}`) that run in Jinja's
immutable sandbox and reach only the plain dict they are given: `contact_values(contact)`
builds it from an allow-list of contact fields, under Spanish and English names. Nothing in
that dict is a model, so no template reaches the ORM, settings or any attribute of Python
objects (`__class__`, `.objects`): unknown names and attributes render empty.

* The HTML part is autoescaped (a contact named `<script>` reads as text); the plain-text part
  and the subject are not (they are not HTML).
* `default` treats empty values as missing (a contact without a first name gets the fallback),
  and the Django spelling `|default:"amigo"` is accepted as well as Jinja's `|default("amigo")`.
* Syntax and runtime errors raise ValidationFailed with a message in the reader's language.
* `render_email` renders subject, HTML and text in ONE call of one template made of the three
  (each part in its own scope, subject and text with autoescape off inside it), cut apart at a
  mark chosen at random per process, which neither an author nor a contact can write. Each
  part must compile on its own first; a merge that does not compile, a render that fails or
  an output without exactly the expected marks is rendered again part by part, so errors,
  limits and output are those of the three separate renders.
* `html_to_text` (clientela.delivery.plaintext) reads paragraphs, lists, tables and link
  targets; `inline_css` uses css-inline for e-mail clients that drop <style> blocks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from jinja2 import ChainableUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from clientela.core.exceptions import ValidationFailed
from clientela.delivery.plaintext import html_to_text

if TYPE_CHECKING:
    from clientela.contacts.models import Contact

# A rendered repetition ("x" * n, n ** m) larger than this is refused (a template cannot make
# the worker build a gigabyte string).
MAX_REPEAT = 10_000
MAX_OUTPUT = 2_000_000

# The contact fields a template may use, under both languages' names: (es, en, value getter).
CONTACT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("nombre", "first_name", "first_name"),
    ("apellido", "last_name", "last_name"),
    ("nombre_completo", "full_name", "full_name"),
    ("correo", "email", "email"),
    ("telefono", "phone", "phone"),
    ("cargo", "job_title", "job_title"),
    ("ciudad", "city", "city"),
    ("pais", "country", "country"),
    ("empresa", "company", "company"),
    ("idioma", "language", "language"),
)

_DJANGO_DEFAULT = re.compile(r"""\|\s*default\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _default(value: Any, fallback: Any = "", boolean: bool = True) -> Any:
    """Return `fallback` when `value` is missing, None or (by default) empty."""
    if isinstance(value, ChainableUndefined) or value is None:
        return fallback
    if boolean and not value:
        return fallback
    return value


class PersonalisationSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with bounded repetition and an empty-aware `default`."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, undefined=ChainableUndefined)
        self.filters["default"] = _default
        self.filters["d"] = _default

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse repetitions and powers that would build huge values."""
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("power too large")
            return left**right
        sequence = isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple)
        counts = [c for c in (left, right) if isinstance(c, int) and not isinstance(c, bool)]
        if sequence and any(count > MAX_REPEAT for count in counts):
            raise SecurityError("repetition too large")
        return left * right


_ENVIRONMENTS = {
    True: PersonalisationSandbox(autoescape=True),
    False: PersonalisationSandbox(autoescape=False),
}


def accept_django_default(source: str) -> str:
    """Rewrite Django's `|default:"x"` inside `{{ … }}` into Jinja's `|default("x")`."""
    return _EXPRESSION.sub(
        lambda found: _DJANGO_DEFAULT.sub(r"|default(\1)", found.group(0)), source
    )


def _syntax_error(field: str, error: TemplateError) -> ValidationFailed:
    line = getattr(error, "lineno", None)
    detail = error.message or error.__class__.__name__
    if line:
        message = _("The template has an error on line %(line)s: %(error)s") % {
            "line": line,
            "error": detail,
        }
    else:
        message = _("The template has an error: %(error)s") % {"error": detail}
    return ValidationFailed({field: [message]})


@lru_cache(maxsize=512)
def _compiled(source: str, autoescape: bool) -> Template:
    return _ENVIRONMENTS[autoescape].from_string(accept_django_default(source))


def compile_template(source: str, *, html: bool, field: str = "body") -> Template:
    """Compile an author's template, or raise ValidationFailed naming `field` and the line."""
    try:
        return _compiled(source, html)
    except TemplateSyntaxError as error:
        raise _syntax_error(field, error) from error


def render_template(
    source: str, values: Mapping[str, Any], *, html: bool, field: str = "body"
) -> str:
    """Render an author's template against `values` only (HTML autoescaped when `html`)."""
    template = compile_template(source, html=html, field=field)
    try:
        output = template.render(dict(values))
    except SecurityError as error:
        raise ValidationFailed(
            {
                field: [
                    _("The template does something that is not allowed: %(error)s")
                    % {"error": str(error)}
                ]
            }
        ) from error
    except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
        raise ValidationFailed(
            {field: [_("The template could not be rendered: %(error)s") % {"error": str(error)}]}
        ) from error
    if len(output) > MAX_OUTPUT:
        raise ValidationFailed({field: [_("The rendered message is too long.")]})
    return output


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes (e-mail clients that drop <style> keep them)."""
    import css_inline

    inliner = css_inline.CSSInliner(load_remote_stylesheets=False)
    return str(inliner.inline(html))


__all__ = [
    "CONTACT_FIELDS",
    "RenderedEmail",
    "accept_django_default",
    "compile_template",
    "contact_values",
    "html_to_text",
    "inline_css",
    "render_email",
    "render_template",
]


@dataclass(frozen=True)
class RenderedEmail:
    """A personalised e-mail: its subject, HTML part and plain-text part."""

    subject: str
    html: str
    text: str


def render_email(
    *,
    subject: str,
    html: str,
    text: str = "",
    values: Mapping[str, Any],
    css: bool = False,
) -> RenderedEmail:
    """Personalise subject, HTML and text; derive the text part from the HTML when not given.

    The subject is a header: line breaks in the rendered value are folded into spaces.
    `css` inlines the HTML part's <style> rules. One render of the merged template
    (`_merged`) when it can; else, and for every error, the parts one by one.
    """
    parts = _render_merged(subject, html, text, values)
    if parts is not None:
        rendered_subject, rendered_html, rendered_text = parts
        rendered_subject = " ".join(rendered_subject.split())
        if css and rendered_html:
            rendered_html = inline_css(rendered_html)
        if not text:
            rendered_text = html_to_text(rendered_html)
        return RenderedEmail(rendered_subject, rendered_html, rendered_text)
    rendered_subject = render_template(subject, values, html=False, field="subject")
    rendered_subject = " ".join(rendered_subject.split())
    rendered_html = render_template(html, values, html=True, field="html") if html else ""
    if css and rendered_html:
        rendered_html = inline_css(rendered_html)
    if text:
        rendered_text = render_template(text, values, html=False, field="text")
    else:
        rendered_text = html_to_text(rendered_html)
    return RenderedEmail(rendered_subject, rendered_html, rendered_text)


# Where a merged render's parts meet: random per process, so no author's text and no contact's
# value can hold it (a render whose output does not hold it exactly where expected is redone
# part by part). \x1e (record separator) is not escaped by autoescape, and means nothing in HTML.
_MARK = f"\x1e{secrets.token_hex(16)}\x1e"
_TRAILING_NEWLINE = re.compile(r"(?:\r\n|\r|\n)\Z")


@lru_cache(maxsize=256)
def _merged(subject: str, html: str, text: str) -> Template | None:
    """Return one template rendering the given parts between marks, or None if they cannot merge.

    Every part must compile on its own (so merging cannot make a broken part valid); each sits
    in its own scope (`with`: a `set` in the subject does not reach the HTML), subject and
    text under `autoescape false` of the HTML's autoescaping sandbox. Jinja drops one newline
    at the end of a template: each part loses it here too. A part ending in `{` would join the
    next tag into `{{`: not merged.
    """
    sources = [
        (subject, False),
        *([(html, True)] if html else []),
        *([(text, False)] if text else []),
    ]
    pieces: list[str] = []
    for source, escaped in sources:
        try:
            _compiled(source, escaped)
        except TemplateError:
            return None
        body = _TRAILING_NEWLINE.sub("", accept_django_default(source))
        if body.endswith("{"):
            return None
        scoped = "{% with %}" + body + "{% endwith %}"
        pieces.append(
            scoped if escaped else "{% autoescape false %}" + scoped + "{% endautoescape %}"
        )
    try:
        return _ENVIRONMENTS[True].from_string(_MARK.join(pieces))
    except TemplateError:
        return None


def _render_merged(
    subject: str, html: str, text: str, values: Mapping[str, Any]
) -> tuple[str, str, str] | None:
    """Render (subject, html, text) in one call; None when the parts must be rendered alone."""
    template = _merged(subject, html, text)
    if template is None:
        return None
    try:
        output = template.render(dict(values))
    except (TemplateError, ArithmeticError, TypeError, ValueError):
        return None  # rendered again part by part, which raises the part's own error
    pieces = output.split(_MARK)
    if len(pieces) != 1 + bool(html) + bool(text) or any(len(p) > MAX_OUTPUT for p in pieces):
        return None
    rendered_subject = pieces[0]
    rendered_html = pieces[1] if html else ""
    rendered_text = pieces[-1] if text else ""
    return rendered_subject, rendered_html, rendered_text


def contact_values(contact: Contact | None, **extra: Any) -> dict[str, Any]:
    """Return the values a template may use about `contact`, and `extra` ones beside them.

    `contacto` and `contact` name the same dict of plain strings, holding every allow-listed
    field under its Spanish and its English key (CONTACT_FIELDS); a missing contact gives
    empty strings, so `default` fallbacks apply.
    """
    fields: dict[str, str] = {}
    for spanish, english, attribute in CONTACT_FIELDS:
        value = _contact_field(contact, attribute) if contact is not None else ""
        fields[spanish] = fields[english] = value
    return {"contacto": fields, "contact": fields, **extra}


def _contact_field(contact: Contact, attribute: str) -> str:
    if attribute == "full_name":
        return str(contact.full_name or "")
    if attribute == "company":
        company = contact.company if contact.company_id else None
        return company.name if company is not None else ""
    value = getattr(contact, attribute, "")
    return "" if value is None else str(value)
