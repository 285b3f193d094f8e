"""Personalisation runs sandboxed over plain values; the text part is derived from HTML."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from django.utils import translation

from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.delivery.rendering import (
    CONTACT_FIELDS,
    accept_django_default,
    contact_values,
    html_to_text,
    inline_css,
    render_email,
    render_template,
)

VALUES = {"contacto": {"nombre": "Ana", "apellido": ""}, "contact": {"first_name": "Ana"}}


def test_it_fills_values_and_falls_back_with_both_default_spellings():
    assert render_template("Hola {{ contacto.nombre }}", VALUES, html=False) == "Hola Ana"
    assert (
        render_template('{{ contacto.apellido|default("amigo") }}', VALUES, html=False) == "amigo"
    )
    assert render_template('{{ contacto.apellido|default:"amigo" }}', VALUES, html=False) == "amigo"
    assert render_template("{{ contacto.apellido|default:'amiga' }}", VALUES, html=False) == "amiga"
    assert render_template('{{ nadie.nombre|default:"amigo" }}', VALUES, html=False) == "amigo"


def test_it_renders_unknown_values_empty():
    assert (
        render_template("[{{ contacto.edad }}][{{ otra.cosa.mas }}]", VALUES, html=False) == "[][]"
    )


def test_it_rewrites_the_django_spelling_only_inside_expressions():
    source = 'Texto |default:"x" {{ a|default:"y" }}'
    assert accept_django_default(source) == 'Texto |default:"x" {{ a|default("y") }}'


def test_it_escapes_values_in_html_but_not_in_text():
    values = {"contacto": {"nombre": '<script>alert("x")</script>'}}
    assert "<script>" not in render_template("<p>{{ contacto.nombre }}</p>", values, html=True)
    assert "&lt;script&gt;" in render_template("<p>{{ contacto.nombre }}</p>", values, html=True)
    assert (
        render_template("{{ contacto.nombre }}", values, html=False)
        == '<script>alert("x")</script>'
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ contacto.__class__ }}",
        "{{ contacto.nombre.__class__.__mro__ }}",
        "{{ contacto.objects }}",
        "{{ contacto.__init__.__globals__ }}",
    ],
)
def test_it_renders_python_internals_and_unknown_attributes_empty(source):
    assert render_template(source, VALUES, html=True) == ""


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "{{ contacto.update({'nombre': 'x'}) }}",
        "{{ contacto.objects.all() }}",
        "{{ 'a' * 100000000 }}",
        "{{ 2 ** 1000 }}",
        "{% for i in range(100000000) %}x{% endfor %}",
    ],
)
def test_it_refuses_what_the_sandbox_forbids_with_a_field_error(source):
    with pytest.raises(ValidationFailed) as exc:
        render_template(source, VALUES, html=True)
    assert list(exc.value.errors) == ["body"]


def test_it_reports_a_syntax_error_with_its_line_in_the_reader_language():
    with pytest.raises(ValidationFailed) as english:
        render_template("Hola\n{{ contacto.nombre ", VALUES, html=True, field="html")
    assert "line 2" in english.value.errors["html"][0]
    with translation.override("es"), pytest.raises(ValidationFailed) as spanish:
        render_template("Hola\n{% if %}", VALUES, html=True, field="html")
    assert "línea 2" in spanish.value.errors["html"][0]


def test_it_derives_a_text_part_from_html():
    text = html_to_text(
        "<html><head><style>p{color:red}</style></head><body><h1>Hola &amp; bienvenida</h1>"
        '<p>Lee <a href="https://example.co/guia">la guía</a>.</p><ul><li>uno</li><li>dos</li>'
        "</ul><script>alert(1)</script></body></html>"
    )
    assert "Hola & bienvenida" in text
    assert "https://example.co/guia" in text and "la guía" in text
    assert "* uno" in text and "* dos" in text
    assert "alert" not in text and "color" not in text


def test_it_renders_a_whole_email_with_a_generated_text_part():
    rendered = render_email(
        subject="Hola\n{{ contacto.nombre }}",
        html="<p>Hola <b>{{ contacto.nombre|default:'amigo' }}</b></p>",
        values={"contacto": {"nombre": "Ana <Admin>"}},
    )
    assert rendered.subject == "Hola Ana <Admin>"
    assert "Ana &lt;Admin&gt;" in rendered.html
    assert rendered.text.strip() == "Hola Ana <Admin>"


def test_it_inlines_css():
    html = inline_css(
        "<html><head><style>p { color: red }</style></head><body><p>x</p></body></html>"
    )
    assert 'style="color: red' in html


@pytest.mark.django_db
def test_it_gives_templates_only_the_allow_listed_contact_fields():
    company = CompanyFactory.create(name="Café Andino")
    contact = ContactFactory.create(
        first_name="Ana", last_name="Gómez", city="Cali", company=company
    )
    values = contact_values(contact, enlace="https://example.co/c")
    assert set(values) == {"contacto", "contact", "enlace"}
    fields = values["contacto"]
    assert set(fields) == {name for pair in CONTACT_FIELDS for name in pair[:2]}
    assert all(isinstance(value, str) for value in fields.values())
    assert fields["nombre"] == fields["first_name"] == "Ana"
    assert fields["empresa"] == "Café Andino" and fields["ciudad"] == "Cali"
    assert fields["nombre_completo"] == "Ana Gómez"
    assert contact_values(None)["contacto"]["nombre"] == ""


def test_it_reads_nested_lists_tables_breaks_and_preformatted_text():
    text = html_to_text(
        "<ul><li>uno</li><li>dos<ol><li>a</li><li>b</li></ol></li><li>tres</li></ul>"
        "<table><tr><th>Plan</th><th>Precio</th></tr><tr><td>Básico</td><td>10</td></tr></table>"
        "<p>Línea<br>otra</p><pre>  x\n   y</pre>"
    )
    assert (
        text
        == "* uno\n* dos\n  1. a\n  2. b\n* tres\n\nPlan  Precio\nBásico  10\n\nLínea\notra\n\n  x\n   y\n"
    )


def test_it_shows_link_targets_once_and_drops_unsafe_ones():
    text = html_to_text(
        '<p><a href="https://e.co">https://e.co</a> <a href="mailto:a@b.co">a@b.co</a> '
        '<a href="javascript:x()">clic</a> <img src="x" alt="Logo"></p>'
    )
    assert text == "https://e.co a@b.co clic Logo\n"
    assert html_to_text("") == "" and html_to_text("<p> </p>") == ""


# --- One render per message: subject, HTML and text merged into one template ----------------


def _alone(subject: str, html: str, text: str, values: Mapping[str, object]) -> tuple[str, ...]:
    """The three parts rendered one by one (what the merged render must equal)."""
    return (
        " ".join(render_template(subject, values, html=False, field="subject").split()),
        render_template(html, values, html=True, field="html") if html else "",
        render_template(text, values, html=False, field="text") if text else "",
    )


@pytest.mark.parametrize(
    ("subject", "html", "text"),
    [
        (
            "Hola {{ contacto.nombre }}",
            "<p>{{ contacto.nombre }}</p>\n",
            "Hola {{ contacto.nombre }}\n",
        ),
        (
            "{{ contacto.nombre|default:'amigo' }}",
            "<p>{{ '<b>'|safe }}{{ contacto.nombre }}</p>",
            "",
        ),
        ("{% set x = 'S' %}{{ x }}", "[{{ x }}]{% set y = 1 %}", "[{{ x }}{{ y }}]"),
        ("Oferta {", "<p>{</p>{", "texto {"),
        (
            "{{ contacto.nombre -}}   ",
            "   {%- if true %}si{% endif %}\n\n",
            "{{ contacto.nombre|e }}",
        ),
        ("{% raw %}{{ x }}{% endraw %}", "{# nota #}{{ [contacto.nombre, '<i>']|join(', ') }}", ""),
        (
            "{% autoescape true %}{{ contacto.nombre }}{% endautoescape %}",
            "",
            "{{ contacto.nombre }}",
        ),
    ],
)
def test_a_merged_render_equals_the_three_renders_one_by_one(subject, html, text):
    values = {"contacto": {"nombre": 'Ana <script>alert("x")</script> & {{ 1 }}'}}
    rendered = render_email(subject=subject, html=html, text=text, values=values)
    alone = _alone(subject, html, text, values)
    assert (rendered.subject, rendered.html) == alone[:2]
    if text:
        assert rendered.text == alone[2]


def test_the_usual_parts_take_the_merged_path():
    from clientela.delivery.rendering import _merged

    assert _merged("Hola {{ contacto.nombre }}", "<p>{{ contacto.nombre }}</p>", "Hola") is not None
    # A part that is broken on its own is never merged (merging cannot make it valid).
    assert _merged("{% endwith %}{% with %}", "<p></p>", "") is None


def test_a_value_holding_the_mark_cannot_move_text_between_parts():
    from clientela.delivery.rendering import _MARK

    values = {"contacto": {"nombre": f"<b>x{_MARK}y</b>"}, "otro": _MARK}
    rendered = render_email(
        subject="S {{ contacto.nombre }}",
        html="<p>{{ contacto.nombre }}{{ otro }}</p>",
        text="T {{ contacto.nombre }}",
        values=values,
    )
    assert (rendered.subject, rendered.html, rendered.text) == _alone(
        "S {{ contacto.nombre }}",
        "<p>{{ contacto.nombre }}{{ otro }}</p>",
        "T {{ contacto.nombre }}",
        values,
    )
    assert "&lt;b&gt;" in rendered.html and rendered.text.startswith("T <b>x")


def test_a_part_broken_alone_raises_its_own_field_error_even_if_the_merge_would_compile():
    with pytest.raises(ValidationFailed) as exc:
        render_email(subject="{% endwith %}{% with %}", html="<p>x</p>", values=VALUES)
    assert list(exc.value.errors) == ["subject"]


@pytest.mark.parametrize(
    ("subject", "html", "text", "field"),
    [
        ("Hola", "<p>{{ 'a' * 100000000 }}</p>", "", "html"),
        ("{{ 2 ** 1000 }}", "<p>x</p>", "", "subject"),
        ("Hola", "<p>x</p>", "{{ contacto.update({'nombre': 'x'}) }}", "text"),
        ("Hola", "<p>{{ 1 / 0 }}</p>", "", "html"),
        ("Hola", "<p>{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}</p>", "", "html"),
    ],
)
def test_the_merged_render_keeps_the_sandbox_limits_and_names_the_part(subject, html, text, field):
    with pytest.raises(ValidationFailed) as exc:
        render_email(subject=subject, html=html, text=text, values=VALUES)
    assert list(exc.value.errors) == [field]
