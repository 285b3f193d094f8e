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
        [
            {"type": "heading", "text": "20 % de descuento", "level": 1},
            {"type": "text", "text": "Solo hasta el domingo, en toda la tienda."},
            {"type": "button", "text": "Comprar ahora", "href": _SHOP, "color": "#c2410c"},
            {"type": "footer"},
        ],
        [
            {"type": "heading", "text": "20% off", "level": 1},
            {"type": "text", "text": "Until Sunday only, on everything in the shop."},
            {"type": "button", "text": "Shop now", "href": _SHOP, "color": "#c2410c"},
            {"type": "footer"},
        ],
    ),
    Starter(
        "birthday",
        _("Birthday"),
        _("Wishes and a gift for the contact's birthday."),
        '¡Feliz cumpleaños, {{ contacto.nombre|default:"amigo" }}!',
        'Happy birthday, {{ contact.first_name|default:"friend" }}!',
        [
            {"type": "heading", "text": "¡Feliz cumpleaños!", "level": 1},
            {"type": "text", "text": "Para celebrarlo, le regalamos un bono en su próxima compra."},
            {"type": "button", "text": "Usar mi regalo", "href": _SHOP, "color": "#7c3aed"},
            {"type": "footer"},
        ],
        [
            {"type": "heading", "text": "Happy birthday!", "level": 1},
            {"type": "text", "text": "To celebrate, here is a voucher for your next purchase."},
            {"type": "button", "text": "Use my gift", "href": _SHOP, "color": "#7c3aed"},
            {"type": "footer"},
        ],
    ),
    Starter(
        "reactivation",
        _("Reactivation"),
        _("Win back customers who have not bought in a while."),
        'Lo extrañamos, {{ contacto.nombre|default:"amigo" }}',
        'We miss you, {{ contact.first_name|default:"friend" }}',
        [
            {"type": "heading", "text": "Hace tiempo no lo vemos", "level": 1},
            {"type": "text", "text": "Vuelva esta semana y reciba envío gratis en su pedido."},
            {"type": "button", "text": "Volver a la tienda", "href": _SHOP, "color": "#047857"},
            {"type": "footer"},
        ],
        [
            {"type": "heading", "text": "It has been a while", "level": 1},
            {"type": "text", "text": "Come back this week and get free shipping on your order."},
            {"type": "button", "text": "Back to the shop", "href": _SHOP, "color": "#047857"},
            {"type": "footer"},
        ],
    ),
)


def starter(code: str) -> Starter | None:
    """Return the starter template with `code`, or None."""
    return next((s for s in STARTERS if s.code == code), None)
