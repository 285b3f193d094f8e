"""Real Chromium against the real production server (granian + worker) with the demo company.

One server per module keeps the suite fast; every test signs in in its own browser context and
works on records no other test touches, so the tests run in any order and any subset.
Screenshots of the key steps go to $CLIENTELA_SCREENSHOTS (or pytest's temporary folder); a
failing test also leaves `<test>--FAILED.png` and the end of the server's log there.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from playwright.sync_api import Browser, Locator, Page, expect

from clientela.contacts.normalize import fold
from clientela.demo.seeding import DEMO_PASSWORD
from clientela.testing.browser import tr
from clientela.testing.processes import RunningServer, running_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# Enough contacts for the demo's 12 duplicate pairs and a few screens of list.
DEMO_CONTACTS = 120
CARD_URL = re.compile(r"/contacts/(\d+)/(\?.*)?$")
JOB_URL = re.compile(r"/(?:contacts|orders)/import/(\d+)/$")
MAPPING_URL = re.compile(r"/contacts/import/(\d+)/mapping/$")
# The column captions of a contacts export from a Bitrix24 portal in Spanish.
BITRIX24_HEADERS = (
    "Nombre", "Apellido", "E-mail de trabajo", "Teléfono móvil", "Compañía", "Ciudad",
    "Fecha de nacimiento", "Fuente",
)  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`clientela serve` on a fresh database with the demo company loaded."""
    with running_server(
        tmp_path_factory.mktemp("browser-server"), demo_contacts=DEMO_CONTACTS
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _evidence_on_failure(
    page: Page, server: RunningServer, shots: Path, request: pytest.FixtureRequest
) -> Iterator[None]:
    """When a test fails, keep what the browser showed and the end of the server's log."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        stem = shots / f"{request.node.name[:60]}--FAILED"
        page.screenshot(path=f"{stem}.png", full_page=True)
        log = server.log.read_text(errors="replace").splitlines()[-60:]
        Path(f"{stem}.log").write_text(f"{page.url}\n" + "\n".join(log))


@pytest.fixture
def shot(shots: Path, request: pytest.FixtureRequest) -> Any:
    """shot(page, "step") saves a full-page screenshot named after the test and the step."""
    prefix = request.node.name.removeprefix("test_it_")[:40]

    def take(page: Page, step: str) -> Path:
        path = shots / f"{prefix}--{step}.png"
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
    # Part of the name, without accents and in lower case, as people type it. One input
    # event (fill), so no earlier, shorter query's results can arrive after the last ones.
    search.fill(fold(f"{first[:4]} {surname[:5]}"))
    hits = dialog.locator("a.search-hit")
    hit = dialog.locator(f"a.search-hit[href='{target['href']}']")
    expect(hit).to_contain_text(target["name"])
    shot(page, "results")
    # Enter opens the first hit; the target is the first when the query is that specific.
    if hits.first.get_attribute("href") == target["href"]:
        search.press("Enter")
    else:
        hit.click()
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
    expect(page.locator("main h1")).to_have_text(tr("We could not find that page"))
    expect(page.locator("main")).not_to_contain_text(his["name"])
    shot(page, "card-404")
    # Her own card opens.
    response = page.goto(f"{server.url}{mine[0]['href']}")
    assert response is not None and response.status == 200

    # A rep does not import: no button on the list, and the screen tells her why.
    page.goto(f"{server.url}/contacts/")
    expect(page.locator(".page-actions a[data-open-dialog=quick-create]")).to_be_visible()
    expect(page.locator(".page-actions a[href$='/contacts/import/']")).to_have_count(0)
    if import_routes_exist():
        response = page.goto(f"{server.url}/contacts/import/")
        assert response is not None and response.status == 403
        expect(page.locator("main h1")).to_have_text(tr("You cannot do this"))
        shot(page, "import-403")


# 3 and 5. Import -------------------------------------------------------------------------------
def import_routes_exist() -> bool:
    """Whether the import screens are in the project's URLs (the server uses the same ones)."""
    try:
        reverse("contacts:import_start")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def import_screens() -> None:
    """The import screens must be in the project's URLs (a missing route fails, never skips)."""
    if not import_routes_exist():
        pytest.fail("the import routes (contacts/urls_import.py) are not in the contacts URLconf")


def excel_csv(rows: list[tuple[str, ...]]) -> bytes:
    """A CSV as Excel in Spanish saves it: Windows-1252, `;` between cells, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(BITRIX24_HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252")


def upload_and_check(page: Page, server: RunningServer, name: str, content: bytes) -> int:
    """Upload a file from the contacts list, keep the detected mapping, wait for the dry run.

    Returns the import job's id; the page is left on the finished preview.
    """
    page.goto(f"{server.url}/contacts/")
    page.locator(".page-actions a[href$='/contacts/import/']").click()
    page.wait_for_url(re.compile(r"/contacts/import/$"))
    upload = page.locator("form[enctype='multipart/form-data']")
    upload.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    upload.locator("button[type=submit]").click()
    page.wait_for_url(MAPPING_URL)
    found = MAPPING_URL.search(page.url)
    assert found
    return int(found.group(1))


def check_whole_file(page: Page) -> None:
    """Press "Check the whole file" on the mapping screen and wait for the finished dry run."""
    page.locator("form:has(select[name=col_0]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/contacts/import/\d+/preview/$"))
    # The page polls the dry run and reloads itself when it is done.
    expect(page.get_by_role("button", name=tr("Import now"))).to_be_visible(timeout=60_000)


def run_import(page: Page) -> dict[str, str]:
    """Press "Import now", follow the progress bar to 100 % and return the counts shown."""
    page.get_by_role("button", name=tr("Import now")).click()
    page.wait_for_url(JOB_URL)
    bar = page.locator("[role=progressbar]")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(page.locator(".job-progress strong")).to_have_text(tr("Import finished"))
    expect(bar.locator("span")).to_have_attribute("style", re.compile(r"width: 100%"))
    return {
        key: text(page.locator(f".job-progress dd[data-count={key}]"))
        for key in ("created", "updated", "unchanged", "errors")
    }


def test_it_imports_a_bitrix24_csv_saved_by_excel(
    page: Page, server: RunningServer, shot: Any, import_screens: None
) -> None:
    content = excel_csv(
        [
            ("José Ángel", "Peñaloza Ibáñez", "jose.penaloza@ejemplo.com.co", "310 555 0101",
             "Constructora Añil S.A.S.", "Medellín", "07/03/1985", "Feria"),
            ("María José", "Cañón Suárez", "maria.canon@ejemplo.com.co", "(311) 555-0102",
             "Constructora Añil S.A.S.", "Bogotá", "25/12/1990", "Referido"),
            ("Íñigo", "Muñoz Ávila", "inigo.munoz(at)ejemplo", "312 555 0103", "", "Cali",
             "01/01/1980", "Llamada"),
            ("Sofía", "Arango Úsuga", "sofia.arango@ejemplo.com.co", "+57 313 555 0104", "",
             "Cartagena", "31/01/1978", "Sitio web"),
        ]
    )  # fmt: skip
    assert "Teléfono móvil".encode("cp1252") in content  # really not UTF-8
    sign_in(page, server, "gerente")
    job_id = upload_and_check(page, server, "contactos_bitrix24.csv", content)

    # Mapping: the Bitrix24 preset is recognised and fills in every column.
    expect(page.locator("main")).to_contain_text(
        tr("looks like: %(detected)s", detected=tr("Bitrix24 contacts export"))
    )
    expect(page.locator("select[name=preset]")).to_have_value("bitrix24")
    expected = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "city",
        "birthday",
        "source",
    )
    for index, (header, target) in enumerate(zip(BITRIX24_HEADERS, expected, strict=True)):
        expect(page.locator(f"label[for=col_{index}]")).to_have_text(header)
        expect(page.locator(f"select[name=col_{index}]")).to_have_value(target)
    expect(page.locator("table.mapping")).to_contain_text("José Ángel")
    expect(page.locator("input[name=update_existing]")).not_to_be_checked()
    shot(page, "mapping")

    # Dry run: the bad row is shown with its line as a spreadsheet numbers it (header = 1).
    check_whole_file(page)
    # The bad row's values, then its problems on a row of their own underneath.
    bad = page.locator("tr.row-error:not(.row-problems)")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").first).to_have_text("4")
    expect(page.locator("tr.row-problems")).to_have_count(1)
    rejected = page.locator("table.list").last.locator("tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").nth(0)).to_have_text("4")
    expect(rejected.locator("td").nth(1)).to_have_text("E-mail de trabajo")
    expect(rejected.locator("td").nth(2)).to_have_text(
        tr("“%(value)s” is not a valid e-mail address.", value="inigo.munoz(at)ejemplo")
    )
    shot(page, "preview")

    counts = run_import(page)
    assert counts == {"created": "3", "updated": "0", "unchanged": "0", "errors": "1"}
    assert page.url.endswith(f"/contacts/import/{job_id}/")
    shot(page, "finished")

    # The rejected rows download as a CSV with the original cells, the line and the reason.
    with page.expect_download() as downloading:
        page.locator(f"a[href$='/contacts/import/{job_id}/rejects.csv']").click()
    body = Path(downloading.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == [*BITRIX24_HEADERS, tr("Line"), tr("Column"), tr("Reason")]
    assert len(rows) == 2
    assert rows[1][:3] == ["Íñigo", "Muñoz Ávila", "inigo.munoz(at)ejemplo"]
    assert rows[1][-3:] == [
        "4",
        "E-mail de trabajo",
        tr("“%(value)s” is not a valid e-mail address.", value="inigo.munoz(at)ejemplo"),
    ]

    # The imported contact is found by the list's search, accents and all.
    page.goto(f"{server.url}/contacts/")
    page.locator("#contact-filters input[name=q]").fill("penaloza")
    found = page.locator("#results table.list tbody tr")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text("José Ángel Peñaloza Ibáñez")
    expect(found.first).to_contain_text("+57 310 5550101")
    expect(found.first).to_contain_text("Constructora Añil S.A.S.")
    shot(page, "found")
    found.first.locator("td a").first.click()
    page.wait_for_url(CARD_URL)
    with translation.override("es"):
        birthday = formats.date_format(date(1985, 3, 7), "DATE_FORMAT")
    details = page.locator("dl.details").first
    expect(details).to_contain_text(birthday)
    expect(details).to_contain_text("Medellín")
    expect(details).to_contain_text(tr("Event or fair"))
    expect(page.locator("#timeline li.tl-created .tl-sentence")).to_have_text(
        tr("Created by import #%(job)s", job=job_id)
    )
    shot(page, "card")


def test_it_tells_the_done_when_story_import_find_and_merge_a_duplicate(
    page: Page, server: RunningServer, shot: Any, import_screens: None
) -> None:
    sign_in(page, server, "gerente")
    # Two demo people with an e-mail of their own (not one of the demo's duplicate pairs).
    page.goto(f"{server.url}/contacts/duplicates/")
    paired = {text(cell) for cell in page.locator("section.dup-group tbody td:nth-child(2)").all()}
    page.goto(f"{server.url}/contacts/?sort=created")
    people = [
        row
        for row in list_rows(page)
        if row["email"]
        and row["phone"]
        and row["email"] not in paired
        and len(row["name"].split()) == 3
    ]
    existing, other = people[0], people[1]
    first, surname = other["name"].split()[0], other["name"].split()[1]
    national_phone = other["phone"].removeprefix("+57 ")  # "+57 304 0000001" → "304 0000001"
    newcomer_email = f"{fold(first)}.nuevo@correo.example.co"
    content = excel_csv(
        [
            # The same person with her e-mail in capitals and her name without accents.
            (existing["name"].split()[0].upper(), " ".join(existing["name"].split()[1:]),
             existing["email"].upper(), "", "", "", "", "Feria"),
            # Someone new whose phone is another demo contact's, written the local way.
            (first, surname, newcomer_email, national_phone, "", "Pereira", "", "Referido"),
        ]
    )  # fmt: skip
    job_id = upload_and_check(page, server, "feria_noviembre.csv", content)
    expect(page.locator("input[name=update_existing]")).not_to_be_checked()
    check_whole_file(page)
    expect(page.locator("tr.row-error")).to_have_count(0)
    counts = run_import(page)
    assert counts == {"created": "1", "updated": "0", "unchanged": "1", "errors": "0"}
    shot(page, "imported")

    # The existing person was left alone: one contact, her own spelling.
    page.goto(f"{server.url}/contacts/?q={existing['email']}")
    rows = list_rows(page)
    assert [(r["name"], r["href"]) for r in rows] == [(existing["name"], existing["href"])]

    # The newcomer shows up on the duplicates screen next to the demo contact with her phone.
    page.goto(f"{server.url}/contacts/duplicates/")
    group = page.locator("section.dup-group").filter(has_text=other["phone"])
    expect(group.locator("h2")).to_contain_text(tr("same phone"))
    expect(group.locator("tbody tr")).to_have_count(2)
    expect(group.locator("tbody tr").nth(0)).to_contain_text(other["name"])
    expect(group.locator("tbody tr").nth(1)).to_contain_text(newcomer_email)
    shot(page, "duplicates")
    group.locator("a[href*='/contacts/merge/']").click()
    page.wait_for_url(re.compile(r"/contacts/merge/\?a=\d+&b=\d+"))

    # Keep the imported record (b) with its own values, and the demo contact's full last name.
    form = page.locator("form.merge-form")
    form.locator("input[name=survivor][value=b]").check()
    for choice in form.locator("input[name^=keep_][value=b]").all():
        choice.check()
    form.locator("input[name=keep_last_name][value=a]").check()
    last_name = " ".join(other["name"].split()[1:])
    shot(page, "compare")
    form.locator(".form-actions button[type=submit]").click()
    page.wait_for_url(re.compile(r"/contacts/\d+/\?merged=\d+$"))

    expect(page.locator("main h1")).to_have_text(f"{first} {last_name}")
    details = page.locator("dl.details").first
    expect(details.locator("a[href^='mailto:']")).to_have_text(newcomer_email)
    expect(details.locator("a[href^='tel:']")).to_have_text(other["phone"])
    timeline = page.locator("#timeline")
    expect(timeline.locator("li.tl-created .tl-sentence")).to_have_text(
        tr("Created by import #%(job)s", job=job_id)
    )
    merged = timeline.locator("li.tl-merged .tl-sentence")
    expect(merged).to_have_count(1)
    expect(merged).to_contain_text(other["name"])
    shot(page, "card")
    page.goto(f"{server.url}/contacts/duplicates/")
    expect(page.locator("section.dup-group").filter(has_text=other["phone"])).to_have_count(0)


# 6. Order import -------------------------------------------------------------------------------
ORDERS_MAPPING_URL = re.compile(r"/orders/import/(\d+)/mapping/$")


def test_it_imports_an_orders_file_up_to_the_finished_progress_bar(
    page: Page, server: RunningServer, shot: Any
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Pedido", "Fecha", "Correo", "Nombre", "Total", "Canal"])
    writer.writerows(
        [
            ("NAV-1", "03/02/2026", "rocio.nav@ejemplo.com.co", "Rocío Núñez", "150.000,50",
             "Tienda física"),
            ("NAV-2", "04/02/2026", "rocio.nav@ejemplo.com.co", "Rocío Núñez", "89.900", "Web"),
            ("NAV-3", "31/02/2026", "rocio.nav@ejemplo.com.co", "Rocío Núñez", "1.000", ""),
        ]
    )  # fmt: skip
    content = buffer.getvalue().encode("cp1252")
    sign_in(page, server, "gerente")
    page.goto(f"{server.url}/orders/")
    page.locator(".page-actions a[href$='/orders/import/']").click()
    page.wait_for_url(re.compile(r"/orders/import/$"))
    upload = page.locator("form[enctype='multipart/form-data']")
    upload.locator("input[type=file]").set_input_files(
        {"name": "pedidos_tienda.csv", "mimeType": "text/csv", "buffer": content}
    )
    upload.locator("button[type=submit]").click()
    page.wait_for_url(ORDERS_MAPPING_URL)
    found = ORDERS_MAPPING_URL.search(page.url)
    assert found
    job_id = int(found.group(1))

    # The Spanish headers are recognised; the customers are new, so create them.
    for index, target in enumerate(("external_id", "ordered_at", "email", "name", "amount")):
        expect(page.locator(f"select[name=col_{index}]")).to_have_value(target)
    expect(page.locator("table.mapping")).to_contain_text("150.000,50")
    page.locator("input[name=create_missing]").check()
    shot(page, "mapping")
    page.locator("form:has(select[name=col_0]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/import/\d+/preview/$"))
    expect(page.get_by_role("button", name=tr("Import now"))).to_be_visible(timeout=60_000)
    rejected = page.locator("table.list").last.locator("tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").nth(0)).to_have_text("4")
    expect(rejected.locator("td").nth(1)).to_have_text("Fecha")
    shot(page, "preview")

    counts = run_import(page)
    assert counts == {"created": "2", "updated": "0", "unchanged": "0", "errors": "1"}
    assert page.url.endswith(f"/orders/import/{job_id}/")
    expect(page.locator(f"a[href$='/orders/import/{job_id}/rejects.csv']")).to_be_visible()
    shot(page, "finished")


# 10. Screens fit a laptop screen --------------------------------------------------------------
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
TABLE_OVERFLOW = "() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; }"


def test_the_main_screens_fit_a_1280_pixel_screen_with_every_column(
    page: Page, server: RunningServer, shot: Any
) -> None:
    """A manager sees the most columns (owner included); none may hide behind a side scroll."""
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, server, "gerente")
    for path in ("/contacts/", "/contacts/companies/"):
        page.goto(f"{server.url}{path}")
        expect(page.locator(".table-wrap table.list thead th")).to_have_count(8)
        overflow = page.evaluate(TABLE_OVERFLOW)
        assert overflow <= 0, f"{path}: the table is {overflow}px wider than its frame"
        # The first row's card (a contact's, a company's with its contacts table).
        page.locator("#results tbody tr td a").first.click()
        page.wait_for_load_state()
        overflow = page.evaluate(PAGE_OVERFLOW)
        assert overflow <= 0, f"{page.url}: the page is {overflow}px wider than the window"
        shot(page, path.strip("/").replace("/", "-") + "-card")
    page.goto(f"{server.url}/contacts/duplicates/")
    assert page.evaluate(PAGE_OVERFLOW) <= 0
    for header in page.locator(".dup-group th").all()[:7]:  # no header broken mid-word
        box = header.bounding_box()
        assert box is not None and box["height"] < 40, text(header)
    shot(page, "duplicates")


# Where the characters of an element's text break onto a new line: [[char before, char after]].
LINE_BREAKS = """(selector) => {
  const element = document.querySelector(selector);
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      chars.push([node.data[i], range.getBoundingClientRect().top]);
    }
  }
  const breaks = [];
  for (let i = 1; i < chars.length; i++) {
    if (chars[i][1] > chars[i - 1][1] + 2) breaks.push([chars[i - 1][0], chars[i][0]]);
  }
  return breaks;
}"""
# Whether an input's placeholder is wider than the room inside the input.
PLACEHOLDER_CUT = """(selector) => {
  const input = document.querySelector(selector);
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(input.placeholder).width > room;
}"""


def test_it_spares_a_newcomer_the_small_defects_of_the_contact_and_spend_screens(
    page: Page, server: RunningServer, shot: Any
) -> None:
    """Issue 11: Cancel, More filters, cut placeholders, e-mails broken mid-word, the favicon,
    amounts cut in the spend grid."""
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, server, "gerente")
    for language in ("es", "en"):
        page.goto(f"{server.url}/contacts/")
        if page.locator("html").get_attribute("lang") != language:
            with page.expect_navigation():
                page.locator("form.lang-switch select[name=language]").select_option(language)
            page.goto(f"{server.url}/contacts/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        # At desktop width every filter is in view: no "More filters" button that does nothing.
        expect(page.locator("#contact-filters [data-toggle-filters]")).to_be_hidden()
        expect(page.locator("#contact-filters select[name=lifecycle_stage]")).to_be_visible()
        assert not page.evaluate(PLACEHOLDER_CUT, "#contact-filters input[name=q]"), language
        page.goto(f"{server.url}/contacts/companies/")
        assert not page.evaluate(PLACEHOLDER_CUT, "input[type=search][name=q]"), language
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(f"{server.url}{icon}").ok

    # Cancel on the stand-alone form goes back to the list.
    page.goto(f"{server.url}/contacts/new/")
    page.locator("#quick-form").get_by_role("link", name=tr("Cancel", "en")).click()
    page.wait_for_url(f"{server.url}/contacts/")

    # A long address wraps after its @ or before a dot, never inside a word.
    page.goto(f"{server.url}/contacts/new/")
    form = page.locator("#quick-form")
    form.locator("input[name=first_name]").fill("Fernanda")
    address = "maria.fernanda.aristizabal.castano@correo.inmobiliaria-andina.example.org"
    form.locator("input[name=email]").fill(address)
    form.locator("button[type=submit]").click()
    page.wait_for_url(CARD_URL)
    page.set_viewport_size({"width": 390, "height": 800})
    expect(page.locator("dl.details a.email")).to_have_text(address)
    breaks = page.evaluate(LINE_BREAKS, "dl.details a.email")
    assert breaks, "the address should need more than one line here"
    # (after a hyphen is where a browser breaks any word that has one)
    assert all(before in "@-" or after == "." for before, after in breaks), breaks
    shot(page, "card-email")

    # Every amount of the marketing-spend grid shows in full, in the user's number format.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.url}/orders/spend/")
    cut = page.evaluate(
        "() => [...document.querySelectorAll('.spend-grid input[name^=spend-]')]"
        ".filter((i) => i.value && i.scrollWidth > i.clientWidth).map((i) => i.value)"
    )
    assert cut == []
    for wrap in page.locator(".spend-wrap").all():
        assert wrap.evaluate("(w) => w.scrollWidth - w.clientWidth") <= 0
    values = [v for v in page.locator(".spend-grid input[name^=spend-]").evaluate_all(
        "(inputs) => inputs.map((i) => i.value)") if v]  # fmt: skip
    assert values and all(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d{2})?", v) for v in values)
    shot(page, "spend")


def test_a_rep_on_a_phone_has_the_menu_the_list_and_the_card(
    page: Page, server: RunningServer, shot: Any
) -> None:
    """390 px wide: the module menu is a row at the top, filters fold, nothing overflows."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "ana")
    menu = page.locator("nav.sidebar")
    expect(menu.get_by_role("link", name=tr("Contacts"))).to_be_visible()
    expect(menu.locator("li.soon")).to_have_count(1)
    expect(menu.locator("li.soon").first).to_be_hidden()  # modules to come take no room

    menu.get_by_role("link", name=tr("Contacts")).click()
    page.wait_for_url(f"{server.url}/contacts/")
    stage = page.locator("#contact-filters select[name=lifecycle_stage]")
    expect(stage).to_be_hidden()
    toggle = page.locator("#contact-filters [data-toggle-filters]")
    toggle.click()
    expect(stage).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    stage.select_option("customer")
    # The filtered list is in place once HTMX has pushed its address (the rows of the
    # unfiltered list were visible before, so they prove nothing).
    page.wait_for_url(re.compile(r"lifecycle_stage=customer"))
    expect(page.locator("#results tbody tr").first).to_be_visible()
    assert page.evaluate(PAGE_OVERFLOW) <= 0
    shot(page, "list")

    page.reload()  # a filter in use keeps the filters open
    expect(page.locator("#contact-filters select[name=lifecycle_stage]")).to_be_visible()
    page.locator("#results tbody tr td a").first.click()
    page.wait_for_url(CARD_URL)
    assert page.evaluate(PAGE_OVERFLOW) <= 0, "the card is wider than the phone"
    shot(page, "card")


PHONE_SCREENS = (
    "/", "/contacts/", "/contacts/companies/", "/contacts/duplicates/", "/contacts/trash/",
    "/contacts/import/", "/contacts/new/", "/value/", "/value/customers/", "/value/ltv/",
    "/value/cohorts/", "/value/settings/", "/orders/", "/orders/new/", "/orders/spend/",
    "/orders/rates/", "/orders/import/", "/accounts/profile/", "/accounts/users/", "/audit/",
    "/accounts/roles/", "/tracking/", "/tracking/1/", "/catalog/", "/catalog/1/",
    "/catalog/new/", "/catalog/attributes/", "/sales/", "/sales/plan/", "/sales/activity/",
    "/sales/lost/", "/sales/customers/", "/activities/", "/activities/calendar/",
    "/activities/calendar/?view=month", "/deals/list/",
)  # fmt: skip


def test_no_screen_is_wider_than_a_phone(page: Page, server: RunningServer) -> None:
    """The administrator sees every screen; at 390 px none may scroll the page sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "admin")
    wide = {}
    for path in PHONE_SCREENS:
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200, path
        overflow = page.evaluate(PAGE_OVERFLOW)
        if overflow > 0:
            wide[path] = overflow
    assert wide == {}, f"wider than the phone (px): {wide}"
    # A filter form without the fold keeps its fields in view.
    page.goto(f"{server.url}/orders/")
    expect(page.locator("#order-filters select").first).to_be_visible()
