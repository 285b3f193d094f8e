"""Real Chromium against the real production server (gunicorn + worker) with the demo company.

One server per module keeps the suite fast; every test signs in in its own browser context and
works on records no other test touches, so the tests run in any order and any subset.
Screenshots of the key steps go to $CLIENTELA_SCREENSHOTS (or a temporary folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Locator, Page, expect

from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# Enough contacts for the demo's 12 duplicate pairs and a few screens of list.
DEMO_CONTACTS = 120
CARD_URL = re.compile(r"/contacts/(\d+)/(\?.*)?$")


def tr(msgid: str, language: str = "es", **values: Any) -> str:
    """What the server shows for `msgid` in `language` (the same catalogues as the server)."""
    with translation.override(language):
        text = gettext(msgid)
    return text % values if values else text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(
        tmp_path_factory.mktemp("browser-server"), demo_contacts=DEMO_CONTACTS
    ) as running:
        yield running


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $CLIENTELA_SCREENSHOTS when set, else a temporary folder."""
    configured = os.environ.get("CLIENTELA_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(shots_dir: Path, request: pytest.FixtureRequest) -> Any:
    """shot(page, "step") saves a full-page screenshot named after the test and the step."""
    prefix = request.node.name.removeprefix("test_it_")[:40]

    def take(page: Page, step: str) -> Path:
        path = shots_dir / f"{prefix}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def new_page(chromium: Browser) -> Page:
    """Another user's browser: a context with its own cookies, Spanish-speaking like `page`."""
    context = chromium.new_context(locale="es-CO", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(
    page: Page, server: RunningServer, username: str, password: str = DEMO_PASSWORD
) -> None:
    """Sign in through the login form and wait for the start page."""
    page.goto(f"{server.url}/accounts/login/")
    submit_login(page, username, password)
    page.wait_for_url(f"{server.url}/")


def submit_login(page: Page, username: str, password: str) -> None:
    """Fill in and send the login form (not the language switch above it)."""
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def sign_out(page: Page, server: RunningServer) -> None:
    """Press "Sign out" in the top bar and wait for the login page."""
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def text(locator: Locator) -> str:
    """An element's text as in the HTML (inner_text would apply CSS text-transform)."""
    return (locator.text_content() or "").strip()


def card_id(page: Page) -> int:
    """The id of the contact whose card is open."""
    found = CARD_URL.search(page.url)
    assert found, f"not on a contact card: {page.url}"
    return int(found.group(1))


def list_rows(page: Page) -> list[dict[str, str]]:
    """The contacts list's rows as {name, href, email, phone} (the columns every role sees)."""
    rows = []
    for row in page.locator("#results table.list tbody tr").all():
        link = row.locator("td").nth(0).locator("a").first
        rows.append(
            {
                "name": text(link),
                "href": link.get_attribute("href") or "",
                "email": text(row.locator("td").nth(1)),
                "phone": text(row.locator("td").nth(2)),
            }
        )
    return rows


# 1. Sign in and out ------------------------------------------------------------------------------
def test_it_signs_in_and_out_in_spanish(page: Page, server: RunningServer, shot: Any) -> None:
    page.goto(f"{server.url}/contacts/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/contacts/"))
    expect(page.locator("html")).to_have_attribute("lang", "es")

    submit_login(page, "ana", "not-the-password")
    alert = page.locator(".login-box [role=alert]")
    expect(alert).to_have_text(tr("Wrong username or password. Both are case-sensitive."))
    # What was typed stays, except the password.
    expect(page.locator("input[name=username]")).to_have_value("ana")
    expect(page.locator("input[name=password]")).to_have_value("")
    shot(page, "wrong-password")

    submit_login(page, "ana", DEMO_PASSWORD)
    page.wait_for_url(f"{server.url}/contacts/")  # back where the visitor wanted to go
    page.goto(f"{server.url}/")
    expect(page.locator("main h1")).to_have_text(tr("Hello, %(name)s", name="Ana"))
    expect(page.locator("#home-panel .home-grid")).to_be_visible()
    shot(page, "start-page")

    sign_out(page, server)
    page.goto(f"{server.url}/contacts/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.locator("form[action$='/accounts/login/']")).to_be_visible()


# 2. Quick create -------------------------------------------------------------------------------
def test_it_creates_a_contact_after_fixing_a_bad_email(
    page: Page, server: RunningServer, shot: Any
) -> None:
    sign_in(page, server, "ana")
    page.goto(f"{server.url}/contacts/")
    page.locator(".page-actions a[data-open-dialog=quick-create]").click()
    dialog = page.locator("dialog#quick-create")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=first_name]").fill("Ximena")
    dialog.locator("input[name=last_name]").fill("Zuluaga Ñáñez")
    dialog.locator("input[name=email]").fill("ximena.zuluaga@@correo")
    dialog.locator("input[name=phone]").fill("300 765 4321")
    dialog.locator("select[name=lifecycle_stage]").select_option("mql")
    dialog.locator("button[type=submit]").click()

    error = dialog.locator(".field-error .errorlist")
    expect(error).to_have_text(
        tr("“%(value)s” is not a valid e-mail address.", value="ximena.zuluaga@@correo")
    )
    expect(dialog.locator(".field-error input[name=email]")).to_be_visible()
    # Nothing typed is lost: the form comes back with every value.
    expect(dialog.locator("input[name=first_name]")).to_have_value("Ximena")
    expect(dialog.locator("input[name=last_name]")).to_have_value("Zuluaga Ñáñez")
    expect(dialog.locator("input[name=phone]")).to_have_value("300 765 4321")
    expect(dialog.locator("select[name=lifecycle_stage]")).to_have_value("mql")
    expect(dialog.locator("input[name=email]")).to_have_value("ximena.zuluaga@@correo")
    shot(page, "email-error")

    dialog.locator("input[name=email]").fill("Ximena.Zuluaga@Correo.example.co")
    dialog.locator("button[type=submit]").click()
    page.wait_for_url(CARD_URL)
    expect(page.locator("main h1")).to_have_text("Ximena Zuluaga Ñáñez")
    expect(page.locator(".messages")).to_contain_text(tr("Contact created."))
    details = page.locator("dl.details").first
    expect(details.locator("a[href^='tel:']")).to_have_text("+57 300 7654321")
    expect(details.locator("a[href^='tel:']")).to_have_attribute("href", "tel:+573007654321")
    expect(details.locator("a[href^='mailto:']")).to_have_text("ximena.zuluaga@correo.example.co")
    created = page.locator("#timeline li.tl-created")
    expect(created).to_have_count(1)
    expect(created.locator(".tl-sentence")).to_have_text(
        tr("%(who)s created this contact", who="Ana Montoya")
    )
    shot(page, "card")


# 4. Duplicates, merge and undo -----------------------------------------------------------------
def test_it_merges_a_duplicate_pair_and_undoes_it(
    page: Page, server: RunningServer, shot: Any
) -> None:
    sign_in(page, server, "gerente")
    page.goto(f"{server.url}/contacts/duplicates/")
    groups = page.locator("section.dup-group")
    expect(groups.first).to_be_visible()
    shot(page, "duplicates")
    # A pair the seeding made: an original and a copy sharing its e-mail.
    group = groups.filter(has_text=tr("same e-mail")).last
    email = text(group.locator("tbody tr").first.locator("td").nth(1))
    group.locator("a[href*='/contacts/merge/']").first.click()
    page.wait_for_url(re.compile(r"/contacts/merge/\?a=\d+&b=\d+"))

    form = page.locator("form.merge-form")
    heads = form.locator("thead th a")
    name_a, name_b = text(heads.nth(0)), text(heads.nth(1))
    # The copy's last name is only the first surname; keep it instead of the survivor's.
    last_a = text(form.locator("input[name=keep_last_name][value=a]").locator("xpath=.."))
    last_b = text(form.locator("input[name=keep_last_name][value=b]").locator("xpath=.."))
    assert last_a != last_b
    expect(form.locator("input[name=keep_last_name][value=a]")).to_be_checked()
    form.locator("input[name=keep_last_name][value=b]").check()
    expect(form.locator("input[name=survivor][value=a]")).to_be_checked()
    shot(page, "compare")
    form.locator(".form-actions button[type=submit]").click()

    page.wait_for_url(re.compile(r"/contacts/\d+/\?merged=\d+$"))
    survivor_id = card_id(page)
    first_a = name_a.removesuffix(last_a).strip()
    merged_name = f"{first_a} {last_b}"
    expect(page.locator("main h1")).to_have_text(merged_name)
    expect(page.locator("dl.details a[href^='mailto:']").first).to_have_text(email)
    merged = page.locator("#timeline li.tl-merged")
    expect(merged).to_have_count(1)
    expect(merged.locator(".tl-sentence")).to_contain_text(name_b)
    expect(merged.locator(".tl-sentence")).to_contain_text("Gustavo Restrepo")
    expect(page.locator(".banner button[type=submit]")).to_be_visible()
    shot(page, "merged-card")

    page.locator(".banner button[type=submit]").click()
    page.wait_for_url(f"{server.url}/contacts/{survivor_id}/")
    expect(page.locator(".messages")).to_contain_text(
        tr("Merge undone: “%(name)s” is a separate contact again.", name=name_b)
    )
    expect(page.locator("main h1")).to_have_text(name_a)
    undone = page.locator("#timeline li.tl-merge_undone")
    expect(undone).to_have_count(1)
    shot(page, "undone")
    undone.locator("a").click()
    page.wait_for_url(CARD_URL)
    assert card_id(page) != survivor_id
    expect(page.locator("main h1")).to_have_text(name_b)
    # Both are back on the duplicates screen as a pair.
    page.goto(f"{server.url}/contacts/duplicates/")
    pair = page.locator("section.dup-group").filter(has_text=email)
    expect(pair.locator("tbody tr")).to_have_count(2)


# 6. Language -----------------------------------------------------------------------------------
def test_it_switches_to_english_and_keeps_it_for_the_next_sign_in(
    page: Page, chromium: Browser, server: RunningServer, shot: Any
) -> None:
    sign_in(page, server, "luisa")
    nav_contacts = page.locator("nav.sidebar a[href='/contacts/']")
    expect(nav_contacts).to_have_text(tr("Contacts"))
    page.locator("header.topbar select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav_contacts).to_have_text("Contacts")
    expect(page.locator("main h1")).to_have_text("Hello, Luisa")
    shot(page, "english")
    sign_out(page, server)

    # Another browser, no cookies: the choice is the user's, not the browser's.
    other = new_page(chromium)
    try:
        other.goto(f"{server.url}/accounts/login/")
        expect(other.locator("html")).to_have_attribute("lang", "es")
        submit_login(other, "luisa", DEMO_PASSWORD)
        other.wait_for_url(f"{server.url}/")
        expect(other.locator("html")).to_have_attribute("lang", "en")
        expect(other.locator("nav.sidebar a[href='/contacts/']")).to_have_text("Contacts")
        other.locator("header.topbar select[name=language]").select_option("es")
        expect(other.locator("html")).to_have_attribute("lang", "es")
        expect(other.locator("nav.sidebar a[href='/contacts/']")).to_have_text(tr("Contacts"))
        expect(other.locator("main h1")).to_have_text(tr("Hello, %(name)s", name="Luisa"))
        shot(other, "back-to-spanish")
    finally:
        other.context.close()


# 7. Ctrl-K -------------------------------------------------------------------------------------
def test_it_finds_a_contact_with_ctrl_k(page: Page, server: RunningServer, shot: Any) -> None:
    sign_in(page, server, "gerente")
    page.goto(f"{server.url}/contacts/?sort=created")
    target = next(row for row in list_rows(page) if len(row["name"].split()) == 3)
    first, surname, _second = target["name"].split()
    page.keyboard.press("Control+K")
    dialog = page.locator("dialog#search-dialog")
    expect(dialog).to_be_visible()
    search = dialog.locator("input[type=search]")
    expect(search).to_be_focused()
    # Part of the name, without accents and in lower case, as people type it.
    typed = f"{first[:4]} {surname[:5]}"
    search.press_sequentially(
        typed.lower().translate(str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN"))
    )
    hit = dialog.locator("a.search-hit", has_text=target["name"])
    expect(hit.first).to_be_visible()
    shot(page, "results")
    hits = dialog.locator("a.search-hit")
    if hits.first.get_attribute("href") == target["href"]:
        search.press("Enter")
    else:
        hit.first.click()
    page.wait_for_url(CARD_URL)
    expect(page.locator("main h1")).to_have_text(target["name"])


# 8. Permissions ---------------------------------------------------------------------------------
def test_it_hides_another_reps_contacts_from_a_rep(
    page: Page, chromium: Browser, server: RunningServer, shot: Any
) -> None:
    carlos = new_page(chromium)
    try:
        sign_in(carlos, server, "carlos")
        carlos.goto(f"{server.url}/contacts/?sort=created")
        his = next(row for row in list_rows(carlos) if row["email"])
    finally:
        carlos.context.close()

    sign_in(page, server, "ana")
    page.goto(f"{server.url}/contacts/?sort=created")
    mine = list_rows(page)
    assert mine, "ana owns demo contacts"
    assert his["href"] not in {row["href"] for row in mine}
    page.goto(f"{server.url}/contacts/?q={his['email']}")
    expect(page.locator("#results .empty-state h2")).to_have_text(
        tr("No contacts match these filters")
    )
    # Ctrl-K finds nothing either.
    page.keyboard.press("Control+K")
    page.locator("dialog#search-dialog input[type=search]").fill(his["email"])
    expect(page.locator("#search-results .search-hint")).to_have_text(
        tr("Nothing found for “%(q)s”.", q=his["email"])
    )
    shot(page, "not-in-list")
    response = page.goto(f"{server.url}{his['href']}")
    assert response is not None and response.status == 404
    shot(page, "card-404")
    # Her own card opens.
    response = page.goto(f"{server.url}{mine[0]['href']}")
    assert response is not None and response.status == 200
