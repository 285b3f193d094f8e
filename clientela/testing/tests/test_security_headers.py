"""Security headers and the decisions of issue 11, 5.10 (docs/decisions.md), each with its test:
Content-Security-Policy without inline script, HSTS from the environment, the API's schema and
docs open without sign-in, API tokens surviving a password change."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from clientela.accounts import services as account_services
from clientela.accounts.models import ApiToken
from clientela.accounts.services import create_token
from clientela.core.testing import client_for

ROOT = Path(__file__).resolve().parents[2]
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


def templates() -> list[Path]:
    """Every HTML template of Clientela."""
    found = sorted(ROOT.glob("**/templates/**/*.html"))
    assert found, "no templates found: the glob is broken"
    return found


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script_or_event_handlers(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_HANDLER.search(text), "use a data attribute handled in a static script"
    assert not INLINE_SCRIPT.search(text), "move the script into a static file"
    assert "javascript:" not in text.lower()


def test_the_policy_allows_scripts_from_this_site_only():
    directives = {
        part.split()[0]: part.split()[1:] for part in settings.CONTENT_SECURITY_POLICY.split(";")
    }
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/api/v1/me", "/api/docs"])
def test_it_sends_the_policy_on_pages_and_api_answers(client, personas, url):
    client_for(client, personas.rep)
    response = client.get(url)
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def _setting(name: str, **env: str) -> str:
    """A setting's value in a fresh interpreter with these environment variables."""
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
        "PYTHONPATH": str(ROOT.parent),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_hsts_is_off_by_default_and_set_from_the_environment():
    assert _setting("SECURE_HSTS_SECONDS", CLIENTELA_HSTS_SECONDS="0") == "0"
    assert _setting("SECURE_HSTS_SECONDS", CLIENTELA_HSTS_SECONDS="31536000") == "31536000"
    assert _setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", CLIENTELA_HSTS_INCLUDE_SUBDOMAINS="true") == (
        "True"
    )


@pytest.mark.django_db
def test_it_sends_hsts_over_https_when_configured(client, settings, personas):
    settings.SECURE_HSTS_SECONDS = 3600
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=3600"
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


@pytest.mark.django_db
def test_the_api_schema_and_docs_are_open_and_hold_no_data(client, personas):
    secret = "Contacto-Que-No-Debe-Verse"
    from clientela.contacts import services

    services.create_contact(actor=personas.admin, data={"first_name": secret})
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Clientela API"
    assert secret not in schema.content.decode()
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert secret not in docs.content.decode()
    # ...while every operation still needs a token or a session.
    assert client.get("/api/v1/contacts").status_code == 401


@pytest.mark.django_db
def test_api_tokens_survive_a_password_change_while_sessions_end(client, personas):
    rep = personas.rep
    _token, raw = create_token(rep, actor=rep)
    browser = client_for(client, rep)
    assert browser.get("/accounts/profile/").status_code == 200
    account_services.change_password(rep, actor=rep, new_password="Otra-clave-segura-2027")
    assert browser.get("/accounts/profile/").status_code == 302  # the session ended
    api = client.__class__()
    answer = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    assert ApiToken.objects.filter(user=rep, revoked_at__isnull=True).count() == 1
