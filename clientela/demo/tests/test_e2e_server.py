"""End to end: the real production server process with its worker, on a real database."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

import pytest

from clientela.testing.processes import running_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def _login(opener: urllib.request.OpenerDirector, base: str, username: str, password: str) -> str:
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "login form has a CSRF token"
    body = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/accounts/login/"}
    )
    with opener.open(request) as response:
        url: str = response.geturl()
        return url


def test_it_serves_the_demo_with_the_production_server(tmp_path):
    with running_server(tmp_path, demo_contacts=60) as server:
        assert json.loads(urllib.request.urlopen(f"{server.url}/healthz").read()) == {
            "status": "ok"
        }
        opener = _opener()
        # Anonymous visitors are sent to the login page, in Spanish by default.
        login_page = opener.open(f"{server.url}/contacts/").read().decode()
        assert 'lang="es"' in login_page
        assert "Contraseña" in login_page or "Password" in login_page
        landed = _login(opener, server.url, "ana", "clientela-demo")
        assert landed.rstrip("/") == server.url
        contacts_page = opener.open(f"{server.url}/contacts/").read().decode()
        assert "Clientela" in contacts_page
        # Static files come from whitenoise in the production server.
        assert urllib.request.urlopen(f"{server.url}/static/clientela/app.css").status == 200
        # A token made on the command line works against the running server's API.
        raw = server.manage("token", "create", "ana").stdout.strip()
        request = urllib.request.Request(
            f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}
        )
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["username"] == "ana"
    assert server.process.returncode is not None
