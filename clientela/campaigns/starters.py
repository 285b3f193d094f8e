"""The starter gallery: newsletter, promotion, birthday and reactivation, in Spanish and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Starter:
    """A starter template: its code, label and the content of both languages."""

    code: str
    label: str | Promise
    description: str | Promise
    subject_es: str
    subject_en: str
    blocks_es: list[dict[str, Any]]
    blocks_en: list[dict[str, Any]]


_SHOP = "https://example.com"


def _offer(heading: str, text: str, button: str, color: str) -> list[dict[str, Any]]:
    """Return the blocks of a one-offer e-mail: heading, text, a button to the shop, footer."""
    return [
        {"type": "heading", "text": heading, "level": 1},
        {"type": "text", "text": text},
        {"type": "button", "text": button, "href": _SHOP, "color": color},
        {"type": "footer"},
    ]


STARTERS: tuple[Starter, ...] = (
    Starter(
        "newsletter",
        _("Newsletter"),
        _("A heading, news in two columns and a button to read more."),
        'Novedades de este mes, {{ contacto.nombre|default:"amigo" }}',
        'This month\'s news, {{ contact.first_name|default:"friend" }}',
        [
            {"type": "heading", "text": 'Hola {{ contacto.nombre|default:"amigo" }}', "level": 1},
            {"type": "text", "text": "Estas son las novedades que preparamos para usted este mes."},
            {
                "type": "columns",
                "left": "<h3>Nuevo catálogo</h3><p>Conozca los productos que llegaron.</p>",
                "right": "<h3>Eventos</h3><p>Lo esperamos en nuestra próxima feria.</p>",
            },
            {"type": "button", "text": "Leer más", "href": _SHOP, "color": "#1f6feb"},
            {"type": "divider"},
            {"type": "footer"},
        ],
        [
            {
                "type": "heading",
                "text": 'Hello {{ contact.first_name|default:"friend" }}',
                "level": 1,
            },
            {"type": "text", "text": "Here is what we prepared for you this month."},
            {
                "type": "columns",
                "left": "<h3>New catalogue</h3><p>See the products that just arrived.</p>",
                "right": "<h3>Events</h3><p>Meet us at our next fair.</p>",
            },
            {"type": "button", "text": "Read more", "href": _SHOP, "color": "#1f6feb"},
            {"type": "divider"},
            {"type": "footer"},
        ],
    ),
    Starter(
        "promotion",
        _("Promotion"),
        _("A bold offer with one call to action."),
        '{{ contacto.nombre|default:"Hola" }}, 20 % de descuento solo esta semana',
        '{{ contact.first_name|default:"Hi" }}, 20% off this week only',
        _offer(
            "20 % de descuento",
            "Solo hasta el domingo, en toda la tienda.",
            "Comprar ahora",
            "#c2410c",
        ),
        _offer("20% off", "Until Sunday only, on everything in the shop.", "Shop now", "#c2410c"),
    ),
    Starter(
        "birthday",
        _("Birthday"),
        _("Wishes and a gift for the contact's birthday."),
        '¡Feliz cumpleaños, {{ contacto.nombre|default:"amigo" }}!',
        'Happy birthday, {{ contact.first_name|default:"friend" }}!',
        _offer(
            "¡Feliz cumpleaños!",
            "Para celebrarlo, le regalamos un bono en su próxima compra.",
            "Usar mi regalo",
            "#7c3aed",
        ),
        _offer(
            "Happy birthday!",
            "To celebrate, here is a voucher for your next purchase.",
            "Use my gift",
            "#7c3aed",
        ),
    ),
    Starter(
        "reactivation",
        _("Reactivation"),
        _("Win back customers who have not bought in a while."),
        'Lo extrañamos, {{ contacto.nombre|default:"amigo" }}',
        'We miss you, {{ contact.first_name|default:"friend" }}',
        _offer(
            "Hace tiempo no lo vemos",
            "Vuelva esta semana y reciba envío gratis en su pedido.",
            "Volver a la tienda",
            "#047857",
        ),
        _offer(
            "It has been a while",
            "Come back this week and get free shipping on your order.",
            "Back to the shop",
            "#047857",
        ),
    ),
)


def starter(code: str) -> Starter | None:
    """Return the starter template with `code`, or None."""
    return next((s for s in STARTERS if s.code == code), None)
