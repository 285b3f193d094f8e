"""Shared test set-up: isolated data directory, personas, browser and server helpers."""

from __future__ import annotations

import os
import tempfile
from types import SimpleNamespace
from typing import Any

import pytest

os.environ.setdefault("CLIENTELA_TESTING", "1")
os.environ.setdefault("CLIENTELA_DATA_DIR", tempfile.mkdtemp(prefix="clientela-test-"))


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Every test writes uploads into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture(autouse=True)
def _reset_throttles() -> None:
    """Rate-limit counters live in the cache: start every test with an empty one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _one_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test counts its requests in one rate-limit window.

    django-ratelimit's windows end at fixed moments (staggered per key): two requests that
    straddle an end are counted in different windows, so "the second request past 1/m is
    refused" failed now and then on a slow run. A test's requests all land in the window
    this fixture fixes: an hour from the test's start.
    """
    import time

    from django_ratelimit import core

    window = int(time.time()) + 3600
    monkeypatch.setattr(core, "_get_window", lambda value, period: window)


@pytest.fixture
def personas(db: Any) -> SimpleNamespace:
    """An admin, a manager, two reps in different departments, a marketer, a read-only user
    and an outsider (service agent in another department)."""
    from clientela.accounts.models import Department, Role, User
    from clientela.accounts.services import ensure_default_roles

    # A transactional test flushes the tables, the built-in roles the migrations made included.
    ensure_default_roles()
    roles = {role.code: role for role in Role.objects.all()}
    depts = {
        name: Department.objects.get_or_create(name=name)[0]
        for name in ("Gerencia", "Comercial Bogotá", "Comercial Medellín", "Mercadeo", "Servicio")
    }

    def make(username: str, role: str, *departments: str, **extra: Any) -> User:
        user = User.objects.create_user(
            username=username,
            password="Clave-segura-2026",
            first_name=username.capitalize(),
            email=f"{username}@example.co",
            role=roles[role],
            **extra,
        )
        user.departments.set([depts[d] for d in departments])
        return user

    return SimpleNamespace(
        admin=make("admin", "administrador", "Gerencia"),
        manager=make("gerente", "gerente", "Gerencia"),
        rep=make("rep", "comercial", "Comercial Bogotá"),
        rep2=make("rep2", "comercial", "Comercial Medellín"),
        colleague=make("colega", "solo_lectura", "Comercial Bogotá"),
        marketer=make("mercadeo", "mercadeo", "Mercadeo"),
        outsider=make("outsider", "servicio", "Servicio"),
        departments=depts,
        roles=roles,
        password="Clave-segura-2026",
    )


@pytest.fixture(scope="session")
def chromium() -> Any:
    """A headless Chromium; skipped without one unless CLIENTELA_REQUIRE_BROWSER=1 (CI)."""
    from clientela.testing.browser import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    if executable is None:
        if os.environ.get("CLIENTELA_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (CLIENTELA_REQUIRE_BROWSER=1) but was not found")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django would then refuse
    # ORM calls made by tests and fixtures. The loop is Playwright's, not ours: allow them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _patient_expect(request: pytest.FixtureRequest) -> Any:
    """In browser tests, wait as long for an assertion as for an action (CI runs two suites
    beside Chromium)."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=None)


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Where browser tests put screenshots: $CLIENTELA_SCREENSHOTS, else a temporary folder."""
    from pathlib import Path

    configured = os.environ.get("CLIENTELA_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(chromium: Any) -> Any:
    """A fresh browser context and page per test (own cookies), Spanish by default."""
    context = chromium.new_context(locale="es-CO", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """A real SMTP server (aiosmtpd) on a free port, with Django's SMTP backend pointed at it.

    Yields a `clientela.testing.smtp.SmtpServer`: `.messages` holds what it received and
    `.answer(address, "451 …")` scripts refusals for a recipient.
    """
    from clientela.testing.smtp import running_smtp_server

    with running_smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield server
