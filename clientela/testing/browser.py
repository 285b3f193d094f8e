"""Real Chromium for browser tests, driven by Playwright (Debian's chromium, never a download)."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from clientela.testing.processes import RunningServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """Debian's chromium binary, or CLIENTELA_CHROMIUM when set."""
    configured = os.environ.get("CLIENTELA_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def tr(msgid: str, language: str = "es", **values: Any) -> str:
    """Return what the server shows for `msgid` in `language` (it reads the same catalogues)."""
    from django.utils import translation

    with translation.override(language):
        text = translation.gettext(msgid)
    return text % values if values else text


def sign_in(page: Page, server: RunningServer, username: str, password: str = "") -> None:
    """Sign in through the login form (as nobody else first) and wait for the start page."""
    from clientela.demo.seeding import DEMO_PASSWORD

    page.context.clear_cookies()
    page.goto(f"{server.url}/accounts/login/")
    form = page.locator("form[action$='/accounts/login/']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password or DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
