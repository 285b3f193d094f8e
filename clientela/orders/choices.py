"""Choices for orders: channels (the contacts' sources), how an order was created, currencies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.contacts.choices import Source

# Orders and marketing spend use the contacts' acquisition sources as channels, so a contact's
# source, the channel of their first order and the spend that bought them line up.
Channel = Source

# Channels that cost money to acquire through by default (the spend grid lists every channel).
PAID_CHANNELS = (
    Source.FACEBOOK,
    Source.INSTAGRAM,
    Source.GOOGLE_ADS,
    Source.EVENT,
    Source.FORM,
    Source.EMAIL,
)

# The timeline verb of a purchase (registered with its sentence in OrdersConfig.ready).
PURCHASE_VERB = "purchase"
PURCHASE_LABEL = _("purchase")


class OrderVia(models.TextChoices):
    """Which way an order entered Clientela."""

    UI = "ui", _("entered by hand")
    API = "api", _("API")
    IMPORT = "import", _("import")
    DEAL = "deal", _("won deal")
    INVOICE = "invoice", _("paid invoice")
    DEMO = "demo", _("demo data")
    SEED = "seed", _("synthetic data")


# ISO 4217 codes offered in forms first; any other three-letter code is accepted too.
COMMON_CURRENCIES = ("COP", "USD", "EUR", "MXN", "PEN", "CLP", "ARS", "BRL", "VES", "GBP", "CAD")
