"""View tests for the companies list, card, create, edit, trash and restore."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.models import Company
from clientela.contacts.tests.factories import CustomFieldFactory
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def andina(personas):
    """A company owned by the rep, with one contact."""
    company = services.create_company(
        actor=personas.rep,
        data={
            "name": "Inmobiliaria Andina",
            "domain": "andina.co",
            "city": "Bogotá",
            "tags": ["Aliado"],
        },
    )
    services.create_contact(actor=personas.rep, data={"first_name": "Lina", "company": company.pk})
    return company


def company_names(response) -> list[str]:
    """Company names linked from the list, in order."""
    return re.findall(r'class="strong" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_it_lists_companies_with_their_visible_contact_count(client, personas, andina):
    services.create_contact(
        actor=personas.manager, data={"first_name": "Oculto", "company": andina.pk}
    )
    rep = client_for(client, personas.rep).get(reverse("contacts:company_list"))
    assert company_names(rep) == ["Inmobiliaria Andina"]
    assert (
        '<td class="num">1</td>' in rep.content.decode()
    )  # the manager's contact is not the rep's
    manager = client_for(client, personas.manager).get(reverse("contacts:company_list"))
    assert '<td class="num">2</td>' in manager.content.decode()


def test_it_hides_companies_of_other_departments(client, personas, andina):
    for persona in ("rep2", "outsider"):
        response = client_for(client, getattr(personas, persona)).get(
            reverse("contacts:company_list")
        )
        assert company_names(response) == []
        # The empty list says the role's scope hides the rest (not "no companies yet").
        assert "No companies yet" not in response.content.decode()
        assert "Your role shows only the companies" in response.content.decode()


def test_it_searches_filters_and_sorts_companies(client, personas, andina):
    services.create_company(actor=personas.rep, data={"name": "Constructora Bolívar"})
    services.create_company(actor=personas.manager, data={"name": "Alianza Caribe"})
    c = client_for(client, personas.manager)
    url = reverse("contacts:company_list")
    assert company_names(c.get(url, {"q": "andina"})) == ["Inmobiliaria Andina"]
    assert company_names(c.get(url, {"owner": personas.manager.pk})) == ["Alianza Caribe"]
    aliado = andina.tags.get()
    assert company_names(c.get(url, {"tag": aliado.pk})) == ["Inmobiliaria Andina"]
    assert company_names(c.get(url, {"sort": "-name"}))[0] == "Inmobiliaria Andina"
    assert company_names(c.get(url, {"sort": "-created"}))[0] == "Alianza Caribe"
    assert "No companies match these filters" in c.get(url, {"q": "zzz"}).content.decode()
    partial = c.get(url, {"q": "bol"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert partial.content.decode().lstrip().startswith('<div id="results"')


def test_it_pins_the_company_list_query_count(client, personas, django_assert_max_num_queries):
    for i in range(25):
        company = services.create_company(
            actor=personas.rep, data={"name": f"Empresa {i}", "tags": ["A"]}
        )
        services.create_contact(
            actor=personas.rep, data={"first_name": f"C{i}", "company": company.pk}
        )
    c = client_for(client, personas.manager)
    with django_assert_max_num_queries(10):
        response = c.get(reverse("contacts:company_list"))
    assert len(company_names(response)) == 25


def test_it_shows_the_company_card(client, personas, andina):
    services.add_note(actor=personas.rep, body="Reunión el lunes", company=andina)
    c = client_for(client, personas.colleague)
    body = c.get(reverse("contacts:company_detail", args=[andina.pk])).content.decode()
    assert "Inmobiliaria Andina" in body and "andina.co" in body
    assert "Lina" in body
    assert "Reunión el lunes" in body
    assert "Rep created this company" in body
    assert reverse("contacts:company_edit", args=[andina.pk]) not in body  # read only


@pytest.mark.parametrize("persona", ["rep2", "outsider"])
def test_it_answers_404_for_a_company_out_of_scope(client, personas, andina, persona):
    c = client_for(client, getattr(personas, persona))
    assert c.get(reverse("contacts:company_detail", args=[andina.pk])).status_code == 404
    assert c.get(reverse("contacts:company_edit", args=[andina.pk])).status_code == 404
    assert (
        c.post(reverse("contacts:company_note", args=[andina.pk]), {"body": "x"}).status_code == 404
    )


def test_it_creates_a_company_and_shows_field_errors(client, personas):
    c = client_for(client, personas.rep)
    assert c.get(reverse("contacts:company_create")).status_code == 200
    bad = c.post(
        reverse("contacts:company_create"),
        {
            "name": "",
            "email": "sin-arroba",
            "phone": "1",
            "country": "CO",
            "owner": personas.rep.pk,
        },
    )
    body = bad.content.decode()
    assert "This field is required." in body
    assert "“sin-arroba” is not a valid e-mail address." in body
    assert 'value="sin-arroba"' in body
    assert not Company.objects.exists()
    good = c.post(
        reverse("contacts:company_create"),
        {"name": "Lotes Florida LLC", "phone": "+1 305 555 0100", "country": "US", "owner": personas.rep.pk, "tags": "USA, Aliado"},
    )  # fmt: skip
    company = Company.objects.get()
    assert good["Location"] == reverse("contacts:company_detail", args=[company.pk])
    assert company.owner == personas.rep
    assert company.phone == "+13055550100"
    assert sorted(company.tags.values_list("name", flat=True)) == ["Aliado", "USA"]


def test_it_does_not_offer_a_rep_to_leave_a_company_without_owner(client, personas):
    body = client_for(client, personas.rep).get(reverse("contacts:company_create")).content.decode()
    assert "Nobody" not in body
    assert (
        "Nobody"
        in client_for(client, personas.manager)
        .get(reverse("contacts:company_create"))
        .content.decode()
    )


def test_it_edits_a_company_with_custom_fields(client, personas, andina):
    CustomFieldFactory.create(
        entity="company", key="employees", label_es="Empleados", field_type="number"
    )
    c = client_for(client, personas.rep)
    url = reverse("contacts:company_edit", args=[andina.pk])
    assert 'value="Inmobiliaria Andina"' in c.get(url).content.decode()
    payload = {"name": "Andina S.A.S.", "domain": "andina.co", "city": "Bogotá", "country": "CO",
               "owner": personas.rep.pk, "tags": "Aliado", "version": andina.version, "cf_employees": "35"}  # fmt: skip
    assert c.post(url, payload).status_code == 302
    andina.refresh_from_db()
    assert andina.name == "Andina S.A.S." and andina.custom == {"employees": 35.0}
    stale = c.post(url, {**payload, "name": "Otra"})
    assert "Someone else changed this company meanwhile." in stale.content.decode()
    bad = c.post(url, {**payload, "version": andina.version, "cf_employees": "muchos"})
    assert "Enter a number." in bad.content.decode()


def test_it_refuses_company_writes_by_role(client, personas, andina):
    colleague = client_for(client, personas.colleague)
    assert colleague.get(reverse("contacts:company_create")).status_code == 403
    assert colleague.get(reverse("contacts:company_edit", args=[andina.pk])).status_code == 403
    assert (
        colleague.post(
            reverse("contacts:company_note", args=[andina.pk]), {"body": "x"}
        ).status_code
        == 403
    )
    rep = client_for(client, personas.rep)
    assert rep.post(reverse("contacts:company_delete", args=[andina.pk])).status_code == 403
    andina.refresh_from_db()
    assert andina.deleted_at is None


def test_it_trashes_and_restores_a_company(client, personas, andina):
    c = client_for(client, personas.manager)
    assert (
        "Its contacts stay."
        in c.get(reverse("contacts:company_delete", args=[andina.pk])).content.decode()
    )
    assert c.post(reverse("contacts:company_delete", args=[andina.pk])).status_code == 302
    assert c.get(reverse("contacts:company_detail", args=[andina.pk])).status_code == 404
    trash = c.get(reverse("contacts:trash"), {"kind": "companies"}).content.decode()
    assert "Inmobiliaria Andina" in trash
    assert c.post(reverse("contacts:company_restore", args=[andina.pk])).status_code == 302
    andina.refresh_from_db()
    assert andina.deleted_at is None


def test_it_adds_a_company_note(client, personas, andina):
    c = client_for(client, personas.rep)
    assert (
        "Write something first."
        in c.post(reverse("contacts:company_note", args=[andina.pk]), {"body": ""}).content.decode()
    )
    assert (
        c.post(reverse("contacts:company_note", args=[andina.pk]), {"body": "Visita"}).status_code
        == 302
    )
    assert andina.notes.get().body == "Visita"


def test_it_suggests_only_visible_company_names(client, personas, andina):
    services.create_company(actor=personas.rep2, data={"name": "Andes Secreta"})
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:company_options"), {"company_name": "and"})
        .content.decode()
    )
    assert '<option value="Inmobiliaria Andina">' in body
    assert "Secreta" not in body


def test_the_company_card_tells_a_change_of_tags(client, personas, andina):
    services.update_company(andina, actor=personas.rep, data={"tags": ["Aliado", "Constructora"]})
    c = client_for(client, personas.rep)
    body = c.get(reverse("contacts:company_detail", args=[andina.pk])).content.decode()
    timeline = body[body.index('id="timeline"') :]
    assert "Tags" in timeline and "Constructora" in timeline
