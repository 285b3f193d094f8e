"""Real Chromium against the production server with the demo company: a rep creates a deal in
a column of the board, drags it across stages (checked in the database and on the timeline),
and loses it with a reason; a second deal moves with the keyboard menu."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from clientela.testing.browser import sign_in
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TITLE = "Lote 77 en Ocala para la familia Gómez"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("deals-server"), demo_contacts=150) as running:
        yield running


def in_database(server: RunningServer, title: str) -> dict[str, Any]:
    """Read the deal, its stays and its events from the server's database."""
    code = (
        "import json\n"
        "from clientela.deals.models import Deal, StageHistory\n"
        "from clientela.timeline.models import Event\n"
        f"d = Deal.objects.select_related('stage', 'lost_reason').get(title={title!r})\n"
        "print(json.dumps({'stage': d.stage.name, 'state': d.state, 'version': d.version,"
        " 'reason': d.lost_reason.name if d.lost_reason else None,"
        " 'stays': [s.stage.name for s in StageHistory.objects.filter(deal=d).order_by('entered_at', 'id')],"
        " 'open_stays': StageHistory.objects.filter(deal=d, left_at__isnull=True).count(),"
        " 'events': list(Event.objects.filter(target_type='deals.deal', target_id=str(d.pk))"
        ".order_by('id').values_list('verb', flat=True)),"
        " 'contact_events': Event.objects.filter(target_type='deals.deal', target_id=str(d.pk),"
        " contact__isnull=False).count()}))\n"
    )
    done = server.manage("shell", "-c", code)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def column(page: Page, name: str) -> Locator:
    return page.locator(
        "section.board-column", has=page.locator("h2", has_text=re.compile(f"^{re.escape(name)}$"))
    )


def drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag like a person: press, move in small steps, rest over the target, release.

    SortableJS's pointer mode finds the list under the pointer on each move. The board scrolls
    sideways when its columns are wider than the screen, so the test first brings the page to
    its top and the target column into view, waits for the layout to settle, and aims at a point
    the browser itself says lies inside the target list (not on a sticky header or off screen).
    """
    page.evaluate("window.scrollTo(0, 0)")
    target.evaluate("el => el.scrollIntoView({block: 'nearest', inline: 'nearest'})")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    aim = target.locator("ol.cards").evaluate(
        """list => {
            const box = list.getBoundingClientRect();
            const x = box.left + box.width / 2;
            const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
            for (let y = top + 8; y < bottom; y += 8) {
                if (list.contains(document.elementFromPoint(x, y))) { return [x, y]; }
            }
            return null;
        }"""
    )
    source = card.locator(".deal-meta").first.bounding_box()
    assert source and aim, "the card and a point inside the target list must be on screen"
    page.mouse.move(source["x"] + 20, source["y"] + 5)
    page.mouse.down()
    page.mouse.move(source["x"] + 40, source["y"] + 25, steps=5)
    page.mouse.move(aim[0], aim[1], steps=20)
    page.mouse.move(aim[0] + 2, aim[1] + 2, steps=3)  # rest a moment over the target
    page.mouse.up()


def test_it_creates_drags_and_loses_a_deal_on_the_board(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "ana")
    page.locator("nav.sidebar").get_by_role("link", name="Negociaciones").click()
    page.wait_for_url(re.compile(r"/deals/pipeline/\d+/$"))
    expect(page.get_by_role("heading", name="Negociaciones: Lotes en Florida")).to_be_visible()

    # Quick-create in the first column.
    nuevo = column(page, "Nuevo")
    before = int(nuevo.locator("[data-count]").inner_text())
    nuevo.get_by_text("Agregar una negociación aquí").click()
    nuevo.get_by_label("Título").fill(TITLE)
    nuevo.get_by_label("Monto").fill("42000")
    nuevo.get_by_label("Moneda").fill("USD")
    nuevo.get_by_role("button", name="Crear").click()
    expect(page.locator(".messages")).to_contain_text(f"Negociación «{TITLE}» creada.")
    nuevo = column(page, "Nuevo")
    expect(nuevo.locator("[data-count]")).to_have_text(str(before + 1))
    card = page.locator("li.deal-card", has_text=TITLE)
    expect(card).to_contain_text("Sin próximo paso")
    page.screenshot(path=str(shots / "deals-board.png"), full_page=True)

    # Drag it to Agendado, then to Asistió a la cita.
    for stage in ("Agendado", "Asistió a la cita"):
        target = column(page, stage)
        count = int(target.locator("[data-count]").inner_text())
        drag(page, page.locator("li.deal-card", has_text=TITLE), target)
        expect(target.locator("li.deal-card", has_text=TITLE)).to_be_visible()
        expect(target.locator("[data-count]")).to_have_text(str(count + 1))
        expect(page.locator("#board-status")).to_contain_text(stage)
    stored = in_database(server, TITLE)
    assert stored["stage"] == "Asistió a la cita" and stored["version"] == 3
    assert stored["stays"] == ["Nuevo", "Agendado", "Asistió a la cita"]
    assert stored["open_stays"] == 1
    assert stored["events"] == ["deal_created", "deal_moved", "deal_moved"]

    # Dropping on "Cierre perdido" asks why (a wide screen shows all seven columns at once).
    page.set_viewport_size({"width": 1920, "height": 1000})
    lost = column(page, "Cierre perdido")
    drag(page, page.locator("li.deal-card", has_text=TITLE), lost)
    dialog = page.locator("#lost-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Marcar como perdida").click()  # no reason yet
    expect(dialog).to_be_visible()
    dialog.get_by_label("Motivo de pérdida").select_option(label="Precio")
    dialog.get_by_label("Nota").fill("Compró un lote en Texas")
    page.screenshot(path=str(shots / "deals-lost-dialog.png"))
    dialog.get_by_role("button", name="Marcar como perdida").click()
    expect(dialog).to_be_hidden()
    expect(lost.locator("li.deal-card", has_text=TITLE)).to_be_visible()
    stored = in_database(server, TITLE)
    assert (stored["state"], stored["reason"]) == ("lost", "Precio")
    assert stored["stays"][-1] == "Cierre perdido" and stored["open_stays"] == 1

    # The deal's page and the contact-less timeline tell it.
    lost.locator("li.deal-card", has_text=TITLE).get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(r"/deals/\d+/$"))
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"movió la negociación «{TITLE}» de Nuevo a Agendado")
    expect(timeline).to_contain_text(f"perdió la negociación «{TITLE}» (Cierre perdido)")
    expect(timeline).to_contain_text("Motivo: Precio · Compró un lote en Texas")
    expect(page.locator("#stage-history tbody tr")).to_have_count(4)
    page.screenshot(path=str(shots / "deals-detail.png"), full_page=True)


def test_it_moves_a_deal_with_the_keyboard_menu(
    page: Page, server: RunningServer, shots: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "carlos")
    page.goto(f"{server.url}/deals/")
    agendado = column(page, "Agendado")
    card = agendado.locator("li.deal-card").first
    title = card.locator(".deal-title").inner_text()
    select = card.locator("select[name=stage]")
    select.focus()
    select.select_option(label="Cotizado")
    card.get_by_role("button", name="Mover").press("Enter")
    expect(page.locator(".messages")).to_contain_text(f"«{title}» está ahora en Cotizado.")
    assert in_database(server, title)["stage"] == "Cotizado"
    # On a phone the board scrolls sideways inside itself; the page does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/deals/")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(shots / "deals-phone.png"), full_page=True)


def test_it_picks_the_deals_contact_by_searching(
    page: Page, server: RunningServer, shots: Path
) -> None:
    code = (
        "from clientela.contacts.models import Contact\n"
        "c = Contact.objects.filter(owner__username='ana', deleted_at__isnull=True)"
        ".exclude(last_name='').order_by('id').first()\n"
        "print(c.pk, c.last_name)\n"
    )
    pk, last_name = server.manage("shell", "-c", code).stdout.strip().splitlines()[-1].split(" ", 1)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "ana")
    page.goto(f"{server.url}/deals/new/")
    page.get_by_label("Título").fill("Casa campestre con piscina")
    picker = page.locator("[data-contact-picker]")
    expect(picker.locator("[data-picker-chosen]")).to_have_text("Nadie elegido todavía")
    picker.get_by_role("searchbox").fill(last_name)
    option = picker.locator(f"[data-pick-contact='{pk}']")
    option.click()
    expect(picker.locator("input[name=contact]")).to_have_value(pk)
    expect(picker.locator("[data-picker-chosen]")).to_contain_text(last_name)
    page.screenshot(path=str(shots / "deals-contact-picker.png"), full_page=True)
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/deals/\d+/$"))
    expect(page.locator("main")).to_contain_text(last_name)
    code = (
        "from clientela.deals.models import Deal\n"
        "print(Deal.objects.get(title='Casa campestre con piscina').contact_id)\n"
    )
    assert server.manage("shell", "-c", code).stdout.strip().splitlines()[-1] == pk


def test_it_fills_in_a_deal_custom_field_and_filters_the_list_on_it(
    page: Page, server: RunningServer, shots: Path
) -> None:
    """The demo's Financing field (a choice on deals): on the form, the page and the list."""
    title = "Lote 88 en Ocala, de contado"
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "ana")
    page.goto(f"{server.url}/deals/new/")
    form = page.locator("#deal-form")
    form.get_by_label("Título").fill(title)
    form.locator("#deal-custom-fields").get_by_label("Financiación").select_option("Contado")
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator("#deal-custom-values")).to_contain_text("Contado")
    page.screenshot(path=str(shots / "deal-custom-field.png"), full_page=True)
    page.goto(f"{server.url}/deals/list/")
    page.locator("#deal-filters select[name=cf_financiacion]").select_option("Contado")
    page.locator("#deal-filters").get_by_role("button", name="Filtrar").click()
    expect(page.locator("#deal-table")).to_contain_text(title)
    assert "cf_financiacion=Contado" in page.url
