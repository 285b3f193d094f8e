"""The list filters: how a lifecycle stage and an owner fit a narrow column."""

from __future__ import annotations

import pytest
from django.utils import translation

from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.contacts.templatetags.contacts_ui import person_short, stage_short


@pytest.mark.parametrize(
    ("first", "last", "username", "expected"),
    [
        ("Gustavo", "Restrepo", "gerente", "Gustavo R."),
        ("Ana", "Ñúñez Gómez", "ana", "Ana Ñ."),
        ("Ana", "", "ana", "Ana"),
        ("", "Montoya", "ana", "Montoya"),
        ("", "", "soporte", "soporte"),
    ],
)
def test_an_owner_is_shortened_to_first_name_and_initial(first, last, username, expected):
    user = User(first_name=first, last_name=last, username=username)
    assert person_short(user) == expected


def test_no_owner_shows_nothing():
    assert person_short(None) == ""


def test_stages_are_abbreviated_only_where_the_glossary_does():
    with translation.override("es"):
        assert stage_short(Contact(lifecycle_stage="customer")) == "Cliente"
        assert stage_short(Contact(lifecycle_stage="mql")) == "MQL"
