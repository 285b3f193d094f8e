"""Custom fields read in the viewer's language: labels and options on the form, the card, the
list's filters and the export's headers, with the other language as the fallback."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clientela.contacts.models import CustomField
from clientela.contacts.tests.factories import ContactFactory, CustomFieldFactory


@pytest.fixture
def timeframe(db: Any) -> CustomField:
    return CustomFieldFactory.create(
        entity="contact",
        key="plazo",
        label_es="Plazo de compra",
        label_en="Purchase timeframe",
        field_type="choice",
        choices=["Inmediato", "6 meses"],
        choices_en=["Right away", ""],
    )


def page(client: Client, user: Any, url: str, language: str) -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response: Any = client.get(url)
    assert response.status_code == 200
    return (
        b"".join(response.streaming_content).decode("utf-8-sig")
        if response.streaming
        else (response.content.decode())
    )


def test_the_label_falls_back_to_the_other_language(timeframe: CustomField) -> None:
    only_spanish = CustomField(key="x", label_es="Interés", label_en="")
    with translation.override("en"):
        assert timeframe.label == "Purchase timeframe"
        assert only_spanish.label == "Interés"
        assert timeframe.option_label("Inmediato") == "Right away"
        assert timeframe.option_label("6 meses") == "6 meses"  # no English name given
    with translation.override("es"):
        assert timeframe.label == "Plazo de compra"
        assert timeframe.option_label("Inmediato") == "Inmediato"
        assert CustomField(key="y", label_es="", label_en="Budget").label == "Budget"


@pytest.mark.parametrize(
    ("language", "label", "option"),
    [("en", "Purchase timeframe", "Right away"), ("es", "Plazo de compra", "Inmediato")],
)
def test_the_card_form_and_filters_speak_the_viewers_language(
    client: Client, personas: Any, timeframe: CustomField, language: str, label: str, option: str
) -> None:
    contact: Any = ContactFactory(owner=personas.rep, custom={"plazo": "Inmediato"})
    card = page(
        client, personas.rep, reverse("contacts:contact_detail", args=[contact.pk]), language
    )
    assert label in card and option in card
    form = page(client, personas.rep, reverse("contacts:contact_edit", args=[contact.pk]), language)
    assert label in form
    assert f'<option value="Inmediato" selected>{option}</option>' in form
    listing = page(client, personas.rep, reverse("contacts:contact_list"), language)
    assert label in listing and f'<option value="Inmediato">{option}</option>' in listing


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Purchase timeframe"), ("es", "Plazo de compra")]
)
def test_the_export_headers_speak_the_viewers_language(
    client: Client, personas: Any, timeframe: CustomField, language: str, label: str
) -> None:
    ContactFactory(owner=personas.rep, custom={"plazo": "Inmediato"})
    text = page(client, personas.admin, reverse("contacts:export") + "?format=csv", language)
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert label in header


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_the_existing_label_into_both_languages() -> None:
    before = [("contacts", "0006_phone_extension")]
    after = [("contacts", "0007_custom_field_labels_es_en")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldField = executor.loader.project_state(before).apps.get_model("contacts", "CustomField")
    OldField.objects.create(
        key="plazo", label="Plazo de compra", field_type="choice", choices=["Inmediato"]
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    NewField = executor.loader.project_state(after).apps.get_model("contacts", "CustomField")
    field = NewField.objects.get(key="plazo")
    assert (field.label_es, field.label_en) == ("Plazo de compra", "Plazo de compra")
    assert field.choices_en == ["Inmediato"]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
