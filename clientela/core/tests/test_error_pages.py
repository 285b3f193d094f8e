"""Error pages are Clientela's own, in the user's language, and reveal nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_renders_a_branded_404_inside_the_layout(client, personas):
    client.force_login(personas.rep)
    response = client.get("/contacts/999999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Clientela" in body
    assert 'class="panel error-page"' in body
    assert 'href="/"' in body  # a way back to the start page
