"""Story 1 of PRODUCT.md in real Chromium against the production server with the demo company.

A rep turns a lead into a deal, schedules it, records that the buyer came, quotes a plot in
US dollars with its peso equivalent (and opens the PDF), marks the quote accepted, bills it in
a down payment and 12 cuotas, records the first payment and sees the light turn green. The
manager then reads the funnel, the plan, each rep's calls and meetings and the overdue
payments.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from clientela.testing.browser import sign_in, tr
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TITLE = "Lote en Ocala para la familia Restrepo"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("story-server"), demo_contacts=150) as running:
        yield running


def query(server: RunningServer, code: str) -> Any:
    """Run Python in the server's environment and return the JSON it printed last."""
    done = server.manage("shell", "-c", "import json\n" + code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_story_one_from_lead_to_a_green_light(page: Page, server: RunningServer, shots: Path):
    facts = query(
        server,
        "from clientela.contacts.models import Contact\n"
        "from clientela.deals.models import Pipeline\n"
        "from clientela.catalog.models import Product\n"
        "c = Contact.objects.filter(owner__username='ana', deals__isnull=True).first()\n"
        "p = Pipeline.objects.filter(stages__name='Cotizado').first()\n"
        "lot = Product.objects.filter(kind='unique', status='available', currency='USD')"
        ".order_by('sku').first()\n"
        "print(json.dumps({'contact': c.pk, 'pipeline': p.pk, 'lot': lot.pk, 'sku': lot.sku}))\n",
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "ana")
    # The lead becomes a deal, in dollars.
    page.goto(f"{server.url}/deals/new/?contact={facts['contact']}&pipeline={facts['pipeline']}")
    page.fill("#id_title", TITLE)
    page.fill("#id_currency", "USD")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("h1")).to_have_text(TITLE)
    deal_url = page.url
    # Agendado, then the buyer came to the appointment.
    for stage in ("Agendado", "Asistió a la cita"):
        page.select_option("#move_stage", label=stage)
        page.locator("#move button[type=submit]").click()
        expect(page.locator("#deal-stage")).to_have_text(stage)
    # The plot goes on the deal (reserved for it), then the quote.
    page.select_option("#line_product", value=str(facts["lot"]))
    page.locator("#line-form button[type=submit]").click()
    expect(page.locator("#line-table")).to_contain_text(facts["sku"])
    page.get_by_role("link", name=tr("Make a quote")).click()
    page.get_by_role("button", name=tr("Make the quote")).click()
    expect(page.locator("#quote-status")).to_have_class(re.compile("quote-draft"))
    expect(page.locator("#document-totals")).to_contain_text("COP")
    page.screenshot(path=str(shots / "story-quote.png"), full_page=True)
    pdf_url = page.locator("#quote-pdf").get_attribute("href")
    pdf = page.request.get(f"{server.url}{pdf_url}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "COP" in text and "USD" in text and "COT-" in text
    # The buyer accepts; the invoice: a down payment and 12 cuotas.
    page.get_by_role("button", name=tr("Customer accepted")).click()
    expect(page.locator("#quote-status")).to_have_class(re.compile("quote-accepted"))
    page.get_by_role("link", name=tr("Issue invoice")).click()
    page.fill("#id_count", "12")
    page.locator("#propose").click()
    expect(page.locator("#plan-rows tbody tr")).to_have_count(13)
    page.locator("#issue").click()
    light = page.locator("#invoice-light .light")
    expect(light).to_have_class("light light-amber")  # the down payment is due today
    page.screenshot(path=str(shots / "story-invoice-amber.png"), full_page=True)
    # The first payment (the form proposes the down payment and its balance).
    page.locator("#record").click()
    expect(page.locator("#invoice-light .light")).to_have_class("light light-green")
    page.screenshot(path=str(shots / "story-invoice-green.png"), full_page=True)
    stored = query(
        server,
        "from clientela.billing.models import Invoice\n"
        f"i = Invoice.objects.get(deal__title={TITLE!r})\n"
        "print(json.dumps({'rows': i.instalments.count(), 'paid': str(i.paid),"
        " 'sum': str(sum(r.amount for r in i.instalments.all())), 'total': str(i.total),"
        " 'first': str(i.instalments.get(position=0).amount)}))\n",
    )
    assert stored["rows"] == 13 and stored["sum"] == stored["total"]
    assert stored["paid"] == stored["first"]
    page.goto(deal_url)
    expect(page.locator("#billing .light").first).to_have_class("light light-green")
    # The manager reads the section: funnel, plan, rep activity, overdue payments.
    sign_in(page, server, "gerente")
    page.goto(f"{server.url}/sales/?pipeline={facts['pipeline']}")
    expect(page.locator("#funnel")).to_contain_text("Agendado")
    page.goto(f"{server.url}/sales/plan/?pipeline={facts['pipeline']}")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{server.url}/sales/activity/?pipeline={facts['pipeline']}")
    expect(page.locator("body")).to_contain_text("Ana")
    page.goto(f"{server.url}/sales/payments/?pipeline={facts['pipeline']}")
    expect(page.locator("#overdue-table tbody tr").first).to_contain_text("FAC-")
    page.screenshot(path=str(shots / "story-payments.png"), full_page=True)
