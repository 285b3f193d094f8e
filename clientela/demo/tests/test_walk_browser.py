"""The newcomer's walk: every persona opens every screen its menus offer, in Spanish and English,
on a laptop (1280 px) and a phone (390 px), in real Chromium against the production server with
the demo company.

Every screen must answer, carry the page's language, fit the phone's width (tables may scroll
inside their own box, the page itself may not), log no browser error and request no missing
file. A screen added to a menu is walked the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from clientela.testing.browser import sign_in
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# One user per role of the demo: the administrator, the manager, a sales rep, marketing and
# customer service.
PERSONAS = ("admin", "gerente", "ana", "mercadeo", "servicio")
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

# The administrator's menus hold every screen: they are walked in both languages at both
# widths; the other personas (the same screens, scoped) in Spanish on the phone and English on
# the laptop.
PASSES = {
    persona: (
        (("es", LAPTOP), ("es", PHONE), ("en", LAPTOP), ("en", PHONE))
        if persona == "admin"
        else (("es", PHONE), ("en", LAPTOP))
    )
    for persona in PERSONAS
}
# What the page's own width may exceed the window by (sub-pixel rounding).
SLACK_PX = 1
# The outermost elements of the page that stick out of the window and do not sit in a box that
# scrolls or clips them: what to fix when a page is wider than the window.
WIDEST = """() => {
  const edge = window.innerWidth + 1;
  const boxed = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const out = (e) => e.getBoundingClientRect().right > edge && !boxed(e);
  return [...document.querySelectorAll("body *")]
    .filter((e) => out(e) && !(e.parentElement && out(e.parentElement)))
    .slice(0, 3)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${[...e.classList].join(".")}`
                + ` ${Math.round(e.getBoundingClientRect().right)} px`);
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(tmp_path_factory.mktemp("walk-server"), demo_contacts=120) as running:
        yield running


def _menu_links(page: Page) -> list[str]:
    """The paths the sidebar, its administration menu and the user menu link to."""
    hrefs = page.eval_on_selector_all(
        "nav.sidebar a[href], .topbar-right a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    paths = []
    for href in hrefs:
        if href.startswith("/") and not href.startswith("//") and href not in paths:
            paths.append(href)
    return paths


def _walk(
    page: Page, server: RunningServer, language: str, paths: list[str], shots: Path
) -> list[str]:
    """Open every path; return what went wrong, one line per defect."""
    problems: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    missing: list[str] = []
    page.on(
        "response",
        lambda r: (
            missing.append(r.url) if r.status == 404 and r.url.startswith(server.url) else None
        ),
    )
    for path in paths:
        errors.clear()
        missing.clear()
        answer = page.goto(f"{server.url}{path}", wait_until="load")
        status = answer.status if answer else 0
        if status != 200:
            problems.append(f"{path}: answered {status}")
            continue
        lang = page.get_attribute("html", "lang") or ""
        if not lang.startswith(language):
            problems.append(f"{path}: page language {lang!r}, expected {language!r}")
        width: dict[str, Any] = page.evaluate(
            "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"
        )
        if width["page"] > width["window"] + SLACK_PX:
            wide = page.evaluate(WIDEST)
            name = f"walk-{language}-{width['window']}{path.replace('/', '_')}.png"
            page.screenshot(path=str(shots / name), full_page=True)
            problems.append(
                f"{path}: {width['page']} px wide in a {width['window']} px window {wide}"
            )
        problems += [f"{path}: browser error {e[:160]}" for e in errors]
        problems += [f"{path}: missing {url}" for url in missing]
    return problems


def _set_language(page: Page, language: str) -> None:
    """Switch the interface language with the top bar's selector (it saves the choice)."""
    selector = page.locator(".lang-switch select[name=language]")
    if selector.input_value() != language:
        with page.expect_navigation():
            selector.select_option(language)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_screen_of_the_menus_answers_fits_and_speaks_the_language(
    chromium: Browser, server: RunningServer, persona: str, shots: Path
) -> None:
    problems: list[str] = []
    walked = 0
    for language, viewport in PASSES[persona]:
        context = chromium.new_context(locale="es-CO", viewport=viewport)
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            sign_in(page, server, persona)
            _set_language(page, language)
            paths = _menu_links(page)
            assert len(paths) >= 4, paths  # start page, contacts, … at the least
            found = _walk(page, server, language, paths, shots)
            problems += [f"[{language} {viewport['width']} px] {p}" for p in found]
            walked += len(paths)
        finally:
            # Leave the persona in Spanish for the other tests of the module.
            if language == "en":
                _set_language(page, "es")
            context.close()
    assert walked >= 8
    assert not problems, "\n".join(problems)
