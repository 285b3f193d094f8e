"""Marketing spend from a file: every good row kept, every bad row reported with line and reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.core.testing import client_for
from clientela.orders.models import MarketingSpend
from clientela.orders.spend_import import parse_month
from clientela.orders.tests.factories import ExchangeRateFactory

pytestmark = pytest.mark.django_db

MIXED = (
    "Canal;Mes;Monto;Moneda\r\n"
    "Facebook;2026-01;1.250.000,50;\r\n"
    "Google Ads;15/02/2026;300;USD\r\n"
    "Referido;2026-03;80.000;COP\r\n"
    "Televisión;2026-03;10;\r\n"
    "Facebook;marzo;10;\r\n"
    "Instagram;2026-04;mucho;\r\n"
    "Instagram;2026-04;10;EUR\r\n"
    "Instagram;2026-13;10;\r\n"
).encode("cp1252")


def send(c, content: bytes, name: str = "gastos.csv"):
    return c.post(
        reverse("orders:spend_import"), {"year": "2026", "file": SimpleUploadedFile(name, content)}
    )


def test_it_keeps_the_good_rows_and_lists_the_bad_ones(client, personas):
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    response = send(client_for(client, personas.marketer), MIXED)
    assert response.status_code == 200
    saved = {
        (s.channel, s.month): (s.amount, s.currency, s.amount_company_currency)
        for s in MarketingSpend.objects.all()
    }
    assert saved == {
        ("facebook", dt.date(2026, 1, 1)): (Decimal("1250000.50"), "COP", Decimal("1250000.50")),
        ("google_ads", dt.date(2026, 2, 1)): (Decimal("300.00"), "USD", Decimal("1200000.00")),
        ("referral", dt.date(2026, 3, 1)): (Decimal("80000.00"), "COP", Decimal("80000.00")),
    }
    rows = response.context["result"].errors
    assert [(e["line"], e["column"]) for e in rows] == [
        (5, "Canal"), (6, "Mes"), (7, "Monto"), (8, "Moneda"), (9, "Mes"),
    ]  # fmt: skip
    assert rows[0]["reason"] == "Unknown channel."
    assert rows[1]["reason"] == "Write the month as YYYY-MM or as a date."
    assert rows[3]["reason"].startswith("There is no exchange rate for EUR")
    html = response.content.decode()
    assert "3 rows saved." in html and "5 rows were not imported" in html
    assert "<td>7</td><td>Monto</td>" in html


def test_it_reads_english_channel_names_and_reports_in_spanish(client, personas):
    content = b"Channel,Month,Amount\nWebsite,2026-05,100\nWalk-in,2026-05-20,50\nRadio,2026-05,1\n"
    response = send(client_for(client, personas.marketer, language="es"), content)
    assert MarketingSpend.objects.filter(month=dt.date(2026, 5, 1)).count() == 2
    html = response.content.decode()
    assert "<td>4</td><td>Channel</td><td>Canal desconocido.</td>" in html
    assert "1 fila no se importó" in html


def test_a_clean_file_goes_back_to_the_spend_screen(client, personas):
    c = client_for(client, personas.manager)
    response = send(c, b"Canal;Mes;Gasto\r\nEvento;2026-06;500\r\n")
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:spend") + "?year=2026"
    assert "Marketing spend imported: 1 row saved." in c.get(response["Location"]).text
    # The same file again leaves one amount per channel and month.
    send(c, b"Canal;Mes;Gasto\r\nEvento;2026-06;500\r\n")
    assert MarketingSpend.objects.get().amount == Decimal("500.00")


def test_it_explains_a_file_without_the_needed_columns(client, personas):
    response = send(client_for(client, personas.marketer, language="es"), b"Canal;Total\r\nx;1\r\n")
    assert response.status_code == 400
    assert "El archivo necesita columnas para el canal, el mes y el monto." in response.text
    assert not MarketingSpend.objects.exists()


def test_the_spend_screen_offers_the_import(client, personas):
    page = client_for(client, personas.marketer).get(reverse("orders:spend")).text
    assert reverse("orders:spend_import") in page


@pytest.mark.parametrize(
    ("text", "month"),
    [("2026-03", dt.date(2026, 3, 1)), ("2026/3", dt.date(2026, 3, 1)),
     ("17/03/2026", dt.date(2026, 3, 1)), ("2026-03-31", dt.date(2026, 3, 1))],
)  # fmt: skip
def test_it_reads_months_as_year_month_or_a_date(text, month):
    assert parse_month(text) == month
