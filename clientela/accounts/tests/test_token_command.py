"""`clientela token create USERNAME`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from clientela.accounts.queries import active_token

pytestmark = pytest.mark.django_db


def test_it_prints_a_working_token(personas, capsys):
    call_command("token", "create", "rep")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("clt_")
    token = active_token(raw)
    assert token is not None and token.user == personas.rep
    assert raw not in token.token_hash  # only the hash is stored


def test_it_refuses_unknown_users(personas):
    with pytest.raises(CommandError):
        call_command("token", "create", "nadie")
