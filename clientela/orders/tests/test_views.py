"""Order screens: list, filters, exports, entry by hand, spend grid, exchange rates."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.testing import client_for
from clientela.orders.models import ExchangeRate, MarketingSpend, Order
from clientela.orders.tests.factories import EnteredOrderFactory, ExchangeRateFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def shop(personas):
    """Ana (rep's) with two orders, Carla (rep2's) with one."""
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    carla = EnteredContactFactory.create(actor=personas.rep2, first_name="Carla")
    return {
        "ana": ana,
        "carla": carla,
        "first": EnteredOrderFactory.create(
            actor=personas.rep,
            contact=ana,
            day=DAY,
            amount=100000,
            channel="facebook",
            external_id="=1+2",
        ),
        "second": EnteredOrderFactory.create(
            actor=personas.rep,
            contact=ana,
            day=dt.date(2026, 4, 1),
            amount=50000,
            channel="walk_in",
        ),
        "theirs": EnteredOrderFactory.create(
            actor=personas.rep2, contact=carla, day=DAY, amount=70000
        ),
    }


def test_it_lists_only_the_orders_of_customers_the_rep_sees(client, personas, shop):
    page = client_for(client, personas.rep).get(reverse("orders:order_list"))
    assert page.status_code == 200
    assert list(page.context["page"].rows) == [shop["second"], shop["first"]]
    assert "Carla" not in page.content.decode()


def test_it_filters_the_list_and_answers_htmx_with_the_results_only(client, personas, shop):
    c = client_for(client, personas.manager)
    page = c.get(reverse("orders:order_list"), {"channel": "walk_in"})
    assert list(page.context["page"].rows) == [shop["second"]]
    assert page.context["totals"] == {"count": 1, "total": Decimal("50000.00")}
    partial = c.get(reverse("orders:order_list"), {"q": "Carla"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and "Carla" in html


def test_it_pins_the_queries_of_the_orders_list(client, personas, django_assert_max_num_queries):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    for day in range(1, 30):
        EnteredOrderFactory.create(
            actor=personas.rep, contact=ana, day=DAY - dt.timedelta(days=day), amount=1000
        )
    c = client_for(client, personas.rep)
    with django_assert_max_num_queries(12):
        assert c.get(reverse("orders:order_list")).status_code == 200


def test_it_exports_the_filtered_orders_with_formulas_neutralised(client, personas, shop):
    c = client_for(client, personas.manager)
    csv = c.get(reverse("orders:order_export", args=["csv"]), {"contact": shop["ana"].pk})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 3
    assert "'=1+2" in text and "Carla" not in text
    xlsx = c.get(reverse("orders:order_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.max_row == 4
    assert c.get(reverse("orders:order_export", args=["pdf"])).status_code == 404


def test_it_enters_an_order_for_a_contact_with_lines(client, personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    c = client_for(client, personas.rep)
    form = c.get(reverse("orders:order_create"), {"contact": ana.pk})
    assert form.context["contact"] == ana
    response = c.post(
        reverse("orders:order_create"),
        {
            "contact": ana.pk,
            "ordered_at": "2026-03-10T10:30",
            "amount": "",
            "currency": "COP",
            "channel": "walk_in",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product_name": "Perfume",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "45.000",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order_detail", args=[order.pk])
    assert order.amount == Decimal("90000.00") and order.contact == ana


def test_it_shows_what_is_wrong_with_an_order_and_saves_nothing(client, personas):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    response = client_for(client, personas.rep).post(
        reverse("orders:order_create"),
        {
            "contact": ana.pk,
            "ordered_at": "2026-03-10T10:30",
            "amount": "-3",
            "currency": "USD",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product_name": "Crema",
            "lines-0-quantity": "0",
            "lines-0-unit_price": "1",
        },
    )
    assert response.status_code == 200
    form, lines = response.context["form"], response.context["lines"]
    assert form.errors["amount"] == ["Enter an amount of zero or more."]
    assert lines.forms[0].errors["quantity"] == ["The quantity must be more than zero."]
    assert not Order.objects.exists()


def test_it_asks_who_bought_when_no_customer_is_picked(client, personas):
    response = client_for(client, personas.rep).post(
        reverse("orders:order_create"),
        {"ordered_at": "2026-03-10T10:30", "amount": "10", "lines-TOTAL_FORMS": "0",
         "lines-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.context["form"].non_field_errors() == [
        "Choose the contact or the company who bought."
    ]


def test_it_edits_an_order_and_refuses_a_stale_version(client, personas, shop):
    order = shop["first"]
    c = client_for(client, personas.rep)
    data = {
        "ordered_at": "2026-03-10T12:00",
        "amount": "120.000",
        "currency": "COP",
        "channel": "facebook",
        "version": "1",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }
    assert c.post(reverse("orders:order_edit", args=[order.pk]), data).status_code == 302
    order.refresh_from_db()
    assert order.amount == Decimal("120000.00") and order.version == 2
    stale = c.post(reverse("orders:order_edit", args=[order.pk]), data)
    assert stale.context["form"].non_field_errors() == [
        "Someone else changed this order meanwhile. Reload it and try again."
    ]


def test_it_deletes_an_order_for_a_manager(client, personas, shop):
    response = client_for(client, personas.manager).post(
        reverse("orders:order_delete", args=[shop["first"].pk])
    )
    assert response.status_code == 302
    assert not Order.objects.filter(pk=shop["first"].pk).exists()


def test_it_saves_the_spend_grid_and_shows_cell_errors(client, personas):
    c = client_for(client, personas.marketer)
    url = reverse("orders:spend")
    bad = c.post(url, {"year": "2026", "spend-facebook-1": "mil"})
    assert bad.status_code == 200
    facebook = next(r for r in bad.context["rows"] if r.channel == "facebook")
    assert facebook.cells[0]["errors"] == ["Enter a number, such as 125000 or 125.000,50."]
    assert facebook.cells[0]["value"] == "mil"
    good = c.post(url, {"year": "2026", "spend-facebook-1": "1,500,000"})
    assert good.status_code == 302
    assert MarketingSpend.objects.get().amount == Decimal("1500000")
    page = c.get(url, {"year": "2026"})
    facebook = next(r for r in page.context["rows"] if r.channel == "facebook")
    assert facebook.cells[0]["value"] == "1,500,000"


@pytest.mark.parametrize(
    ("language", "typed", "amount", "shown"),
    [
        ("es", "1.082.000", "1082000", "1.082.000"),
        ("en", "1,082,000", "1082000", "1,082,000"),
        ("es", "1.500", "1500", "1.500"),
        ("en", "1,500", "1500", "1,500"),  # fifteen hundred, not one and a half
        ("es", "2.250,65", "2250.65", "2.250,65"),
        ("en", "2,250.65", "2250.65", "2,250.65"),
    ],
)
def test_it_shows_and_reads_spend_in_the_users_number_format(
    client, personas, language, typed, amount, shown
):
    c = client_for(client, personas.marketer, language=language)
    url = reverse("orders:spend")
    assert c.post(url, {"year": "2026", "spend-facebook-3": typed}).status_code == 302
    assert MarketingSpend.objects.get().amount == Decimal(amount)
    page = c.get(url, {"year": "2026"})
    assert f'name="spend-facebook-3" value="{shown}"' in page.content.decode()
    # Saving the page as shown changes nothing.
    assert c.post(url, {"year": "2026", "spend-facebook-3": shown}).status_code == 302
    assert MarketingSpend.objects.get().amount == Decimal(amount)


def test_it_keeps_a_dollar_row_in_dollars_with_its_total_in_the_company_currency(client, personas):

    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 2, 1), rate=Decimal("4000"))
    c = client_for(client, personas.marketer, language="es")
    url = reverse("orders:spend")
    saved = c.post(
        url,
        {
            "year": "2026",
            "currency-google_ads": "usd",
            "spend-google_ads-2": "2.250,65",
            "spend-facebook-2": "1.082.000",
        },
    )
    assert saved.status_code == 302
    google = MarketingSpend.objects.get(channel="google_ads")
    assert (google.currency, google.amount) == ("USD", Decimal("2250.65"))
    assert google.amount_company_currency == Decimal("9002600.00")
    page = c.get(url, {"year": "2026"})
    rows = {r.channel: r for r in page.context["rows"]}
    assert rows["google_ads"].currency == "USD" and rows["facebook"].currency == "COP"
    body = page.content.decode()
    assert 'name="currency-google_ads" value="USD"' in body
    assert 'name="spend-google_ads-2" value="2.250,65"' in body
    assert "9.002.600" in body  # the dollar row converted to pesos in the CAC table
    # Saving the page unchanged leaves the dollar row in dollars (it used to become pesos).
    form = {"year": "2026", "currency-google_ads": "USD", "currency-facebook": "COP"}
    form.update({"spend-google_ads-2": "2.250,65", "spend-facebook-2": "1.082.000"})
    assert c.post(url, form).status_code == 302
    google.refresh_from_db()
    assert (google.currency, google.amount) == ("USD", Decimal("2250.65"))


def test_it_adds_a_rate_and_explains_a_wrong_one(client, personas):
    c = client_for(client, personas.manager)
    url = reverse("orders:rate_list")
    wrong = c.post(url, {"currency": "US", "date": "2026-03-01", "rate": "x"})
    assert wrong.context["form"].errors == {
        "currency": ["Use a three-letter currency code such as COP or USD."],
        "rate": ["Enter a number, such as 4150,25."],
    }
    assert (
        c.post(url, {"currency": "usd", "date": "2026-03-01", "rate": "4.150,25"}).status_code
        == 302
    )
    assert ExchangeRate.objects.get().rate == Decimal("4150.25")


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("es", "Rep: compra de 125.000,50 COP el 10/03/2026"),
        ("en", "Rep: purchase of 125,000.50 COP on 2026-03-10"),
    ],
)
def test_a_purchase_reads_on_the_customer_card_in_the_readers_formats(
    client, personas, language, sentence
):
    ana = EnteredContactFactory.create(actor=personas.rep, first_name="Ana")
    EnteredOrderFactory.create(
        actor=personas.rep, contact=ana, day=dt.date(2026, 3, 10), amount="125.000,50"
    )
    card = client_for(client, personas.rep, language).get(
        reverse("contacts:contact_detail", args=[ana.pk])
    )
    assert sentence in " ".join(card.content.decode().split())
