"""Real Chromium against the production server with the demo company: a manager adds a land
plot with a photo, puts it on an open deal as a line item (reserved), wins the deal (sold).

Language-robust: texts are looked up in the same catalogues as the server (`tr`)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from clientela.testing.browser import sign_in, tr
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

SKU = "LOTE-TEST-77"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("catalog-server"), demo_contacts=150) as running:
        yield running


def query(server: RunningServer, code: str) -> Any:
    """Run `code` (which prints one JSON line) in a shell against the server's database."""
    done = server.manage("shell", "-c", code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def photo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (60, 150, 70)).save(out, "PNG")
    return out.getvalue()


def test_a_new_plot_with_a_photo_is_reserved_by_a_deal_then_sold_when_it_is_won(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "gerente")
    page.goto(f"{server.url}/catalog/new/")
    form = page.locator("#product-form")
    form.locator("input[name=sku]").fill(SKU)
    form.locator("input[name=name]").fill("Lote 77 · Ocala (prueba)")
    form.locator("select[name=kind]").select_option("unique")
    form.locator("input[name=unit_price]").fill("98000000")
    form.locator("select[name=currency]").select_option("COP")
    form.locator("input[name=tax_rate]").fill("0")
    form.locator("input[name=latitude]").fill("29.1880")
    form.locator("input[name=longitude]").fill("-82.1390")
    form.locator("input[name=attr_lot_number]").fill("77")
    form.locator("input[name=attr_area_m2]").fill("1012.5")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/catalog/\d+/$"))
    product_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    expect(page.locator("#product-status")).to_have_text(tr("Available"))
    expect(page.locator("#map-link")).to_have_attribute("href", re.compile("openstreetmap.org"))

    page.locator("#photos input[type=file]").set_input_files(
        {"name": "lote77.png", "mimeType": "image/png", "buffer": photo_png()}
    )
    page.locator("#photos button[type=submit]").last.click()
    expect(page.locator("#photos .gallery img")).to_have_count(1)
    page.screenshot(path=str(shots / "catalog-product.png"), full_page=True)

    deal_id = query(
        server,
        "import json\nfrom clientela.deals.models import Deal\n"
        "d = Deal.objects.filter(pipeline__name='Lotes en Florida', state='open', currency='USD')"
        ".exclude(lines__isnull=False).order_by('-id').first()\nprint(json.dumps(d.pk))\n",
    )
    page.goto(f"{server.url}/deals/{deal_id}/")
    lines = page.locator("#deal-lines")
    lines.locator("select[name=product]").select_option(str(product_id))
    lines.locator("#line-form button[type=submit]").click()
    expect(page.locator("#deal-lines")).to_contain_text(SKU)
    page.screenshot(path=str(shots / "catalog-deal-lines.png"), full_page=True)
    held = "import json\nfrom clientela.catalog.models import Product\n"
    held += f"p = Product.objects.get(pk={product_id})\nprint(json.dumps([p.status, p.deal_id]))\n"
    assert query(server, held) == ["reserved", deal_id]

    move = page.locator("#move")
    move.locator("select[name=stage]").select_option(label="Cierre ganado")
    move.locator("button[type=submit]").click()
    expect(page.locator("#deal-stage")).to_have_text("Cierre ganado")
    assert query(server, held) == ["sold", deal_id]
    page.goto(f"{server.url}/catalog/{product_id}/")
    expect(page.locator("#product-status")).to_have_text(tr("Sold"))
    expect(page.locator("#product-holder a")).to_have_attribute("href", f"/deals/{deal_id}/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "catalog-product-phone.png"), full_page=True)
