"""The board's hand-built markup is the markup Django's templates would render."""

from __future__ import annotations

from django import forms
from django.test.html import parse_html

from clientela.deals.forms import JoinedSelect

CHOICES = [("", "All products"), (7, "LOT-7 · <Ocala> & “Cape”"), (8, "LOT-8 · Lehigh")]


def test_joined_select_renders_what_djangos_select_renders():
    for value in ("", 7, "8", None):
        attrs = {"id": "id_product", "aria-label": "Product"}
        django_made = forms.Select(choices=CHOICES).render("product", value, attrs)
        joined = JoinedSelect(choices=CHOICES).render("product", value, attrs)
        assert parse_html(joined) == parse_html(django_made), value
    assert "&lt;Ocala&gt; &amp;" in JoinedSelect(choices=CHOICES).render("product", 7)
