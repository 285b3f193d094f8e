"""The custom field definitions screen (administrators only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.models import CustomField
from clientela.contacts.tests.factories import CustomFieldFactory

NOT_ADMINS = ["manager", "rep", "rep2", "colleague", "marketer", "outsider"]


@pytest.fixture
def admin_client(client: Client, personas: Any) -> Client:
    """The administrator signed in, reading English (the msgids)."""
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    return client


def test_it_creates_and_lists_custom_fields(admin_client: Client, personas: Any) -> None:
    response = admin_client.post(
        reverse("contacts:custom_field_create"),
        {
            "entity": "contact",
            "label_es": "Presupuesto",
            "key": "",
            "field_type": "choice",
            "choices": "Menos de 50 mil\n\n50 a 100 mil\nMás de 100 mil\n",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(entity="contact")
    assert field.key == "presupuesto"
    assert field.choices == ["Menos de 50 mil", "50 a 100 mil", "Más de 100 mil"]
    text = admin_client.get(reverse("contacts:custom_field_list")).content.decode()
    assert "Presupuesto" in text
    assert "50 a 100 mil" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label_es": ""}, "Enter the label people will see."),
        ({"field_type": "choice", "choices": ""}, "List at least one choice."),
        ({"field_type": "color"}, "Select a valid choice."),
        ({"key": "budget"}, "Another field already uses this key."),
    ],
)
def test_it_explains_invalid_custom_fields(
    admin_client: Client, personas: Any, data: dict[str, str], message: str
) -> None:
    CustomFieldFactory.create(entity="contact", key="budget", label_es="Budget", field_type="text")
    form = {"entity": "contact", "label_es": "Otro", "key": "otro", "field_type": "text", **data}
    response = admin_client.post(reverse("contacts:custom_field_create"), form)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_edits_a_custom_field_but_not_its_key(admin_client: Client, personas: Any) -> None:
    field = CustomFieldFactory.create(
        entity="company", key="sector", label_es="Sector", field_type="text"
    )
    url = reverse("contacts:custom_field_edit", args=[field.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "entity": "contact",
            "key": "otra",
            "label_es": "Sector económico",
            "field_type": "choice",
            "choices": "Agro\nIndustria",
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.entity, field.key, field.label_es) == ("company", "sector", "Sector económico")
    assert field.choices == ["Agro", "Industria"]


@pytest.mark.parametrize("persona", NOT_ADMINS)
def test_it_hides_custom_fields_from_other_roles(
    client: Client, personas: Any, persona: str
) -> None:
    client.force_login(getattr(personas, persona))
    assert client.get(reverse("contacts:custom_field_list")).status_code == 404
    response = client.post(
        reverse("contacts:custom_field_create"),
        {"entity": "contact", "label_es": "Intrusa", "key": "", "field_type": "text"},
    )
    assert response.status_code == 404
    assert not CustomField.objects.exists()


def test_it_lists_custom_fields_in_the_admin_menu(admin_client: Client) -> None:
    page = admin_client.get(reverse("contacts:custom_field_list")).content.decode()
    link = reverse("contacts:custom_field_list")
    assert f'href="{link}" class="nav-fields active"' in page


def test_it_takes_both_languages_and_each_reader_gets_theirs(
    admin_client: Client, personas: Any
) -> None:
    response = admin_client.post(
        reverse("contacts:custom_field_create"),
        {
            "entity": "contact",
            "label_es": "Plazo de compra",
            "label_en": "Purchase timeframe",
            "key": "",
            "field_type": "choice",
            "choices": "Inmediato\n3 meses\n1 año o más",
            "choices_en": "Right away\n\n1 year or more",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(key="plazo_de_compra")
    assert field.choices == ["Inmediato", "3 meses", "1 año o más"]
    assert field.choices_en == ["Right away", "", "1 year or more"]
    english = admin_client.get(reverse("contacts:custom_field_list")).content.decode()
    assert "Purchase timeframe" in english and "Right away, 3 meses, 1 year or more" in english
    admin_client.cookies["django_language"] = "es"
    spanish = admin_client.get(reverse("contacts:custom_field_list")).content.decode()
    assert "Plazo de compra" in spanish and "Inmediato, 3 meses, 1 año o más" in spanish
    edit = admin_client.get(reverse("contacts:custom_field_edit", args=[field.pk]))
    assert 'value="Purchase timeframe"' in edit.content.decode()


def test_it_refuses_more_english_names_than_choices(admin_client: Client, personas: Any) -> None:
    response = admin_client.post(
        reverse("contacts:custom_field_create"),
        {
            "entity": "contact",
            "label_es": "Canal",
            "field_type": "choice",
            "choices": "Correo",
            "choices_en": "E-mail\nPhone",
        },
    )
    assert response.status_code == 200
    assert "Give one English name per choice, in the same order." in response.content.decode()
