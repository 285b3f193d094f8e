"""View tests for the contacts list, quick create and the customer card."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import ContactFactory, CustomFieldFactory
from clientela.core.testing import client_for
from clientela.core.tests.factories import JobFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(personas):
    """A contact owned by the rep."""
    return services.create_contact(
        actor=personas.rep,
        data={
            "first_name": "Ana",
            "last_name": "Gómez",
            "email": "ana@example.co",
            "phone": "3001234567",
            "city": "Cali",
            "tags": ["VIP"],
        },
    )


def names_in(response) -> list[str]:
    """Contact names linked from a list page, in order."""
    return re.findall(r'class="strong">([^<]+)</a>', response.content.decode())


# List ----------------------------------------------------------------------------------------


def test_it_lists_visible_contacts_with_formatted_phone(client, personas, ana):
    response = client_for(client, personas.rep).get(reverse("contacts:contact_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ana Gómez" in body
    assert "+57 300 1234567" in body
    assert "VIP" in body


def test_it_hides_contacts_of_other_reps_in_the_list(client, personas, ana):
    response = client_for(client, personas.rep2).get(reverse("contacts:contact_list"))
    assert response.status_code == 200
    assert "Ana Gómez" not in response.content.decode()
    assert "No contacts for you to see" in response.content.decode()


def test_it_sends_anonymous_visitors_to_login(client, ana):
    response = client.get(reverse("contacts:contact_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_searches_and_filters_by_stage_source_and_tag(client, personas, ana):
    services.create_contact(
        actor=personas.rep,
        data={"first_name": "Beto", "lifecycle_stage": "customer", "source": "facebook"},
    )
    c = client_for(client, personas.rep)
    url = reverse("contacts:contact_list")
    assert names_in(c.get(url, {"q": "gomez"})) == ["Ana Gómez"]
    assert names_in(c.get(url, {"stage": "customer"})) == ["Beto"]
    assert names_in(c.get(url, {"source": "facebook"})) == ["Beto"]
    vip = ana.tags.get()
    assert names_in(c.get(url, {"tag": vip.pk})) == ["Ana Gómez"]
    empty = c.get(url, {"q": "zzz"})
    assert "No contacts match these filters" in empty.content.decode()


def test_it_filters_by_owner(client, personas, ana):
    services.create_contact(actor=personas.manager, data={"first_name": "Gerardo"})
    c = client_for(client, personas.manager)
    url = reverse("contacts:contact_list")
    assert names_in(c.get(url, {"owner": personas.rep.pk})) == ["Ana Gómez"]
    assert names_in(c.get(url, {"owner": personas.manager.pk})) == ["Gerardo"]


def test_it_filters_by_custom_fields(client, personas):
    CustomFieldFactory.create(
        key="budget", label_es="Presupuesto", field_type="choice", choices=["Bajo", "Alto"]
    )
    CustomFieldFactory.create(key="investor", label_es="Inversionista", field_type="boolean")
    CustomFieldFactory.create(key="interest", label_es="Interés", field_type="text")
    services.create_contact(
        actor=personas.rep,
        data={
            "first_name": "Uno",
            "custom": {"budget": "Alto", "investor": True, "interest": "Lotes en Florida"},
        },
    )
    services.create_contact(
        actor=personas.rep,
        data={"first_name": "Dos", "custom": {"budget": "Bajo", "investor": False}},
    )
    c = client_for(client, personas.rep)
    url = reverse("contacts:contact_list")
    page = c.get(url)
    assert "Presupuesto" in page.content.decode()  # the filter is offered
    assert names_in(c.get(url, {"cf_budget": "Alto"})) == ["Uno"]
    assert names_in(c.get(url, {"cf_investor": "false"})) == ["Dos"]
    assert names_in(c.get(url, {"cf_interest": "florida"})) == ["Uno"]


def test_it_sorts_by_name_created_and_updated(client, personas):
    for first, last in (("Carla", "Zapata"), ("Andrés", "Arias"), ("Bruno", "Mejía")):
        services.create_contact(actor=personas.rep, data={"first_name": first, "last_name": last})
    arias = Contact.objects.get(last_name="Arias")
    services.update_contact(arias, actor=personas.rep, data={"city": "Neiva"})
    c = client_for(client, personas.rep)
    url = reverse("contacts:contact_list")
    assert names_in(c.get(url, {"sort": "name"})) == ["Andrés Arias", "Bruno Mejía", "Carla Zapata"]
    assert names_in(c.get(url, {"sort": "-name"})) == [
        "Carla Zapata",
        "Bruno Mejía",
        "Andrés Arias",
    ]
    assert names_in(c.get(url, {"sort": "created"}))[0] == "Carla Zapata"
    assert names_in(c.get(url, {"sort": "-updated"}))[0] == "Andrés Arias"
    # An unknown ordering falls back to newest first instead of failing.
    assert c.get(url, {"sort": "password"}).status_code == 200


def test_it_pages_fifty_at_a_time_without_counting_unfiltered_lists(client, personas):
    Contact.objects.bulk_create(
        [
            ContactFactory.build(
                bare=True,
                first_name=f"Persona{i:03d}",
                owner=personas.rep,
                search_text=f"persona{i:03d}",
            )
            for i in range(120)
        ]
    )
    c = client_for(client, personas.rep)
    url = reverse("contacts:contact_list")
    first = c.get(url, {"sort": "name"})
    assert len(names_in(first)) == 50
    assert 'rel="next"' in first.content.decode()
    assert 'rel="prev"' not in first.content.decode()
    third = c.get(url, {"sort": "name", "page": 3})
    assert len(names_in(third)) == 20
    assert names_in(third)[0] == "Persona100"
    assert 'rel="next"' not in third.content.decode()
    assert "120" in first.content.decode()  # exact total for a rep's own records
    beyond = c.get(url, {"page": 9})
    assert "past the end of the list" in beyond.content.decode()
    assert c.get(url, {"page": "x"}).status_code == 200


def test_it_caps_the_count_of_huge_filtered_lists(client, personas, monkeypatch):
    from clientela.contacts.views import common

    monkeypatch.setattr(common, "COUNT_CAP", 60)
    monkeypatch.setattr(common, "EXACT_COUNT_ROWS", 65)  # a table "too large" to count
    Contact.objects.bulk_create(
        [
            ContactFactory.build(
                bare=True, first_name=f"P{i}", owner=personas.rep, search_text=f"p{i}"
            )
            for i in range(70)
        ]
    )
    response = client_for(client, personas.rep).get(reverse("contacts:contact_list"), {"q": "p"})
    assert "More than 60" in response.content.decode()


def test_it_counts_a_small_table_exactly_past_the_cap(client, personas, monkeypatch):
    from clientela.contacts.views import common

    monkeypatch.setattr(common, "COUNT_CAP", 60)  # the demo's 2,020 contacts against 1,000
    Contact.objects.bulk_create(
        [
            ContactFactory.build(
                bare=True, first_name=f"P{i}", owner=personas.rep, search_text=f"p{i}"
            )
            for i in range(70)
        ]
    )
    for params in ({}, {"q": "p"}):
        for user in (personas.manager, personas.rep):
            body = client_for(client, user).get(reverse("contacts:contact_list"), params)
            text = body.content.decode()
            assert "More than" not in text and "About" not in text
            assert body.context["page"].total == 70


def test_it_shows_an_estimate_for_huge_unfiltered_lists_in_es_co_format(
    client, personas, ana, monkeypatch
):
    from clientela.contacts.views import common

    monkeypatch.setattr(common, "approximate_row_count", lambda model: 1_234_567)
    # More than a page (a list that fits on one page states its exact length).
    Contact.objects.bulk_create(
        [
            ContactFactory.build(
                bare=True, first_name=f"P{i}", owner=personas.rep, search_text=f"p{i}"
            )
            for i in range(60)
        ]
    )
    c = client_for(client, personas.manager, language="es")
    body = c.get(reverse("contacts:contact_list")).content.decode()
    assert "1.234.567" in body  # dot thousands separator, es-CO
    # Filtered lists and users who see only their own records get a real count instead.
    assert "1.234.567" not in c.get(reverse("contacts:contact_list"), {"q": "ana"}).content.decode()
    rep_body = client_for(client, personas.rep, language="es").get(reverse("contacts:contact_list"))
    assert "1.234.567" not in rep_body.content.decode()


def test_it_reads_the_planner_estimate_on_postgresql(client, personas, monkeypatch):
    from django.db import connection

    from clientela.contacts.views import common

    if connection.vendor != "postgresql":
        pytest.skip("pg_class.reltuples exists only on PostgreSQL")
    monkeypatch.setattr(common, "COUNT_CAP", 60)
    monkeypatch.setattr(common, "EXACT_COUNT_ROWS", 70)
    Contact.objects.bulk_create(
        [
            ContactFactory.build(
                bare=True, first_name=f"P{i}", owner=personas.rep, search_text=f"p{i}"
            )
            for i in range(80)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    body = (
        client_for(client, personas.manager).get(reverse("contacts:contact_list")).content.decode()
    )
    assert "About 80" in body


def test_it_pins_the_list_query_count(client, personas, django_assert_max_num_queries):
    tags = services.tags_from_names(["VIP", "Feria"])
    company = services.create_company(actor=personas.rep, data={"name": "Andina"})
    for i in range(30):
        contact = services.create_contact(
            actor=personas.rep,
            data={"first_name": f"Persona{i}", "company": company.pk, "tags": ["VIP"]},
        )
        contact.tags.set(tags)
    CustomFieldFactory.create(
        key="budget", label_es="Presupuesto", field_type="choice", choices=["A"]
    )
    c = client_for(client, personas.manager)
    with django_assert_max_num_queries(12):
        response = c.get(reverse("contacts:contact_list"))
    assert len(names_in(response)) == 30
    with django_assert_max_num_queries(10):
        c.get(
            reverse("contacts:contact_list"),
            {"q": "persona", "cf_budget": "A"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="results",
        )


def test_it_swaps_only_the_results_for_htmx(client, personas, ana):
    response = client_for(client, personas.rep).get(
        reverse("contacts:contact_list"),
        {"q": "ana"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert "Ana Gómez" in body


def test_it_links_import_and_export_only_when_they_are_allowed(client, personas, ana):
    body = (
        client_for(client, personas.manager).get(reverse("contacts:contact_list")).content.decode()
    )
    import_url = reverse("contacts:import_start")
    assert f'href="{import_url}"' in body
    rep_body = (
        client_for(client, personas.rep).get(reverse("contacts:contact_list")).content.decode()
    )
    assert f'href="{import_url}"' not in rep_body  # reps cannot import
    assert reverse("contacts:trash") in rep_body
    assert reverse("contacts:duplicates") in rep_body


def test_it_carries_the_filters_into_the_export_links(client, personas, ana):
    body = (
        client_for(client, personas.manager)
        .get(reverse("contacts:contact_list"), {"q": "ana", "stage": "lead"})
        .content.decode()
    )
    assert 'href="/contacts/export/?q=ana&amp;stage=lead&amp;format=xlsx"' in body
    assert 'href="/contacts/import/"' in body
    rep_body = (
        client_for(client, personas.rep).get(reverse("contacts:contact_list")).content.decode()
    )
    assert "/contacts/export/" not in rep_body and "/contacts/import/" not in rep_body  # no right


# Quick create ---------------------------------------------------------------------------------


def test_it_quick_creates_a_contact_at_a_new_company(client, personas):
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_create"),
        {"first_name": "Luisa", "last_name": "Pardo", "email": "LUISA@Example.co", "phone": "310 555 1234",
         "company_name": "Constructora Bolívar", "lifecycle_stage": "mql"},
    )  # fmt: skip
    contact = Contact.objects.get(first_name="Luisa")
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:contact_detail", args=[contact.pk])
    assert contact.email == "luisa@example.co"
    assert contact.phone == "+573105551234"
    assert contact.company is not None
    assert contact.company.name == "Constructora Bolívar"
    assert contact.company.owner == personas.rep
    assert contact.lifecycle_stage == "mql"


def test_it_quick_creates_at_an_existing_company_through_htmx(client, personas):
    company = services.create_company(actor=personas.rep, data={"name": "Andina"})
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_create"),
        {"first_name": "Pedro", "company_name": "andina", "lifecycle_stage": "lead"},
        HTTP_HX_REQUEST="true",
    )
    contact = Contact.objects.get(first_name="Pedro")
    assert response["HX-Redirect"] == reverse("contacts:contact_detail", args=[contact.pk])
    assert contact.company == company


def test_it_asks_once_before_creating_a_company_similar_to_an_existing_one(client, personas):
    services.create_company(actor=personas.rep, data={"name": "Inmobiliaria Andina"})
    c = client_for(client, personas.rep)
    data = {"first_name": "Marta", "company_name": "Inmo", "lifecycle_stage": "lead"}
    first = c.post(reverse("contacts:contact_create"), data, HTTP_HX_REQUEST="true")
    body = first.content.decode()
    assert "No company is called “Inmo” yet. Did you mean “Inmobiliaria Andina”?" in body
    assert 'name="confirmed_company" value="Inmo"' in body
    assert not Contact.objects.exists()
    again = c.post(reverse("contacts:contact_create"), {**data, "confirmed_company": "Inmo"})
    assert again.status_code == 302
    contact = Contact.objects.get()
    assert contact.company is not None and contact.company.name == "Inmo"


def test_it_shows_quick_create_errors_inline_and_keeps_the_input(client, personas):
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_create"),
        {"first_name": "Marta", "email": "no-es-correo", "phone": "12", "company_name": "Nueva S.A.S.", "lifecycle_stage": "lead"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # only the form is swapped
    assert "“no-es-correo” is not a valid e-mail address." in body
    assert "“12” is not a phone number" in body or "is not a valid phone number" in body
    assert 'value="Marta"' in body and 'value="Nueva S.A.S."' in body
    assert not Contact.objects.exists()
    from clientela.contacts.models import Company

    assert not Company.objects.exists()  # no orphan company left behind


def test_it_requires_a_name_email_or_phone_on_quick_create(client, personas):
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_create"), {"lifecycle_stage": "lead"}
    )
    assert "Enter at least a name, an e-mail or a phone." in response.content.decode()


def test_it_refuses_quick_create_to_read_only_users(client, personas):
    c = client_for(client, personas.colleague)
    assert c.get(reverse("contacts:contact_create")).status_code == 403
    response = c.post(
        reverse("contacts:contact_create"), {"first_name": "X", "lifecycle_stage": "lead"}
    )
    assert response.status_code == 403
    assert "Your role can only read records." in response.content.decode()
    assert not Contact.objects.exists()
    list_body = c.get(reverse("contacts:contact_list")).content.decode()
    assert 'data-open-dialog="quick-create"' not in list_body


# Card -----------------------------------------------------------------------------------------


def test_it_shows_the_customer_card(client, personas, ana):
    CustomFieldFactory.create(
        key="budget", label_es="Presupuesto", field_type="choice", choices=["Alto"]
    )
    services.update_contact(
        ana,
        actor=personas.rep,
        data={"first_utm_source": "facebook", "first_utm_campaign": "webinar-florida", "custom": {"budget": "Alto"}},
    )  # fmt: skip
    response = client_for(client, personas.colleague).get(
        reverse("contacts:contact_detail", args=[ana.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "ana@example.co" in body and "+57 300 1234567" in body
    assert "webinar-florida" in body
    assert "Presupuesto" in body and "Alto" in body
    assert "Rep created this contact" in body
    # Read-only: no edit, no forms.
    assert reverse("contacts:contact_edit", args=[ana.pk]) not in body
    assert reverse("contacts:contact_note", args=[ana.pk]) not in body


@pytest.mark.parametrize("persona", ["rep2", "outsider"])
def test_it_answers_404_for_a_contact_out_of_scope(client, personas, ana, persona):
    c = client_for(client, getattr(personas, persona))
    assert c.get(reverse("contacts:contact_detail", args=[ana.pk])).status_code == 404
    assert c.get(reverse("contacts:contact_edit", args=[ana.pk])).status_code == 404
    assert c.post(reverse("contacts:contact_note", args=[ana.pk]), {"body": "x"}).status_code == 404
    assert c.get(reverse("contacts:contact_detail", args=[999999])).status_code == 404


def test_it_tells_the_timeline_in_sentences(client, personas, ana):
    services.update_contact(ana, actor=personas.rep, data={"city": "Pereira"})
    services.update_contact(
        ana, actor=personas.rep, data={"lifecycle_stage": "customer", "job_title": "Gerente"}
    )
    services.add_note(actor=personas.rep, body="Llamar el <martes>", contact=ana)
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:contact_detail", args=[ana.pk]))
        .content.decode()
    )
    assert "Rep changed City: Cali → Pereira" in body
    assert "Rep changed 2 fields" in body
    assert "Lifecycle stage</strong>: Lead → Customer" in body
    assert "Llamar el &lt;martes&gt;" in body  # escaped
    assert body.index("added a note") < body.index("changed City")  # newest first


def test_it_says_a_contact_came_from_an_import(client, personas):
    job = JobFactory.create(kind="import_contacts", created_by=personas.rep)
    contact = ContactFactory.create(
        bare=True,
        first_name="Importado",
        owner=personas.rep,
        created_by=personas.rep,
        created_via="import",
        import_job=job,
    )
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:contact_detail", args=[contact.pk]))
        .content.decode()
    )
    assert f"Created by import #{job.pk}" in body


def test_it_edits_tags_inline(client, personas, ana):
    c = client_for(client, personas.rep)
    response = c.post(
        reverse("contacts:contact_tags", args=[ana.pk]),
        {"tags": "VIP, Feria 2026"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="tags-panel",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="tags-panel"')
    assert sorted(ana.tags.values_list("name", flat=True)) == ["Feria 2026", "VIP"]
    assert Event.objects.filter(contact=ana, verb="updated").exists()
    # Without JavaScript: a normal post and redirect.
    assert c.post(reverse("contacts:contact_tags", args=[ana.pk]), {"tags": ""}).status_code == 302
    assert not ana.tags.exists()
    assert c.get(reverse("contacts:contact_tags", args=[ana.pk])).status_code == 405


def test_it_refuses_tag_edits_to_read_only_users(client, personas, ana):
    response = client_for(client, personas.colleague).post(
        reverse("contacts:contact_tags", args=[ana.pk]), {"tags": "Nada"}
    )
    assert response.status_code == 403
    assert list(ana.tags.values_list("name", flat=True)) == ["VIP"]


def test_it_records_consent_with_its_source(client, personas, ana):
    c = client_for(client, personas.rep)
    response = c.post(
        reverse("contacts:contact_consent", args=[ana.pk]),
        {"channel": "whatsapp", "purpose": "marketing", "status": "granted", "source": "Formulario webinar", "proof": "IP 190.1.2.3"},
    )  # fmt: skip
    assert response.status_code == 302
    body = c.get(reverse("contacts:contact_detail", args=[ana.pk])).content.decode()
    assert "Formulario webinar" in body and "IP 190.1.2.3" in body
    assert "recorded consent for WhatsApp · Marketing communications: Granted" in body


def test_it_shows_consent_errors_on_the_fields(client, personas, ana):
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_consent", args=[ana.pk]),
        {"channel": "email", "purpose": "", "status": "granted", "source": "", "proof": ""},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose a purpose." in body
    assert "Say where the consent was given" in body
    assert not ana.consents.exists()


def test_it_adds_a_note_and_reports_an_empty_one(client, personas, ana):
    c = client_for(client, personas.rep)
    empty = c.post(reverse("contacts:contact_note", args=[ana.pk]), {"body": "   "})
    assert "Write something first." in empty.content.decode()
    ok = c.post(reverse("contacts:contact_note", args=[ana.pk]), {"body": "Quiere lote de 500 m²"})
    assert ok.status_code == 302
    assert ana.notes.get().body == "Quiere lote de 500 m²"
    colleague = client_for(client, personas.colleague)
    assert (
        colleague.post(reverse("contacts:contact_note", args=[ana.pk]), {"body": "x"}).status_code
        == 403
    )


# Edit ------------------------------------------------------------------------------------------


def edit_payload(contact: Contact, **changes):
    """A full edit form post for a contact with some fields changed."""
    data = {
        "first_name": contact.first_name, "last_name": contact.last_name, "email": contact.email,
        "phone": contact.phone, "job_title": contact.job_title, "company_name": "",
        "city": contact.city, "country": contact.country, "birthday": "", "language": contact.language,
        "owner": contact.owner_id or "", "lifecycle_stage": contact.lifecycle_stage,
        "lead_status": contact.lead_status, "source": contact.source, "tags": "VIP",
        "version": contact.version,
    }  # fmt: skip
    data.update(changes)
    return data


def test_it_edits_a_contact_and_records_the_change(client, personas, ana):
    c = client_for(client, personas.rep)
    form = c.get(reverse("contacts:contact_edit", args=[ana.pk]))
    assert form.status_code == 200 and 'value="Ana"' in form.content.decode()
    response = c.post(
        reverse("contacts:contact_edit", args=[ana.pk]),
        edit_payload(ana, city="Pereira", birthday="1990-05-17", first_utm_source="google"),
    )
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.city == "Pereira" and str(ana.birthday) == "1990-05-17"
    assert ana.first_utm_source == "google"
    assert ana.version == 2


def test_it_shows_service_errors_on_the_edit_fields(client, personas, ana):
    c = client_for(client, personas.rep)
    url = reverse("contacts:contact_edit", args=[ana.pk])
    response = c.post(url, edit_payload(ana, email="mal@", country="Colombia"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "“mal@” is not a valid e-mail address." in body
    assert "Use the two-letter country code" in body
    assert 'value="mal@"' in body  # the input is kept
    unknown = c.post(url, edit_payload(ana, company_name="No Existe Ltda")).content.decode()
    assert "No company is called “No Existe Ltda”" in unknown
    ana.refresh_from_db()
    assert ana.email == "ana@example.co"


def test_it_shows_custom_field_errors_on_the_field(client, personas, ana):
    CustomFieldFactory.create(key="budget", label_es="Presupuesto", field_type="number")
    response = client_for(client, personas.rep).post(
        reverse("contacts:contact_edit", args=[ana.pk]), edit_payload(ana, cf_budget="mucho")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_cf_budget"' in body
    assert "Enter a number." in body


def test_it_explains_a_concurrent_edit_and_keeps_the_input(client, personas, ana):
    c = client_for(client, personas.rep)
    stale = edit_payload(ana, city="Tunja")
    services.update_contact(ana, actor=personas.manager, data={"city": "Neiva"})
    response = c.post(reverse("contacts:contact_edit", args=[ana.pk]), stale)
    body = response.content.decode()
    assert "Someone else changed this contact meanwhile." in body
    assert 'value="Tunja"' in body
    ana.refresh_from_db()
    assert ana.city == "Neiva"
    # Saving again on purpose keeps the user's value.
    assert 'name="version" value="2"' in body
    again = c.post(reverse("contacts:contact_edit", args=[ana.pk]), {**stale, "version": 2})
    assert again.status_code == 302
    ana.refresh_from_db()
    assert ana.city == "Tunja"


def test_it_refuses_edits_to_read_only_users(client, personas, ana):
    c = client_for(client, personas.colleague)
    assert c.get(reverse("contacts:contact_edit", args=[ana.pk])).status_code == 403
    response = c.post(reverse("contacts:contact_edit", args=[ana.pk]), edit_payload(ana, city="X"))
    assert response.status_code == 403
    ana.refresh_from_db()
    assert ana.city == "Cali"


# Trash -----------------------------------------------------------------------------------------


def test_it_moves_to_trash_and_restores(client, personas, ana):
    c = client_for(client, personas.manager)
    confirm = c.get(reverse("contacts:contact_delete", args=[ana.pk]))
    assert "Move “Ana Gómez” to the trash?" in confirm.content.decode()
    assert c.post(reverse("contacts:contact_delete", args=[ana.pk])).status_code == 302
    ana.refresh_from_db()
    assert ana.deleted_at is not None
    assert c.get(reverse("contacts:contact_detail", args=[ana.pk])).status_code == 404
    trash = c.get(reverse("contacts:trash")).content.decode()
    assert "Ana Gómez" in trash
    assert c.post(reverse("contacts:contact_restore", args=[ana.pk])).status_code == 302
    ana.refresh_from_db()
    assert ana.deleted_at is None
    body = c.get(reverse("contacts:contact_detail", args=[ana.pk])).content.decode()
    assert (
        "moved this contact to the trash" in body and "restored this contact from the trash" in body
    )


def test_it_does_not_let_a_rep_delete(client, personas, ana):
    c = client_for(client, personas.rep)
    assert c.get(reverse("contacts:contact_delete", args=[ana.pk])).status_code == 403
    assert c.post(reverse("contacts:contact_delete", args=[ana.pk])).status_code == 403
    ana.refresh_from_db()
    assert ana.deleted_at is None


def test_it_hides_the_trash_of_others(client, personas, ana):
    services.delete_contact(ana, actor=personas.manager)
    assert (
        "Ana Gómez"
        not in client_for(client, personas.rep2).get(reverse("contacts:trash")).content.decode()
    )
    assert (
        client_for(client, personas.rep2)
        .post(reverse("contacts:contact_restore", args=[ana.pk]))
        .status_code
        == 404
    )
    rep_trash = client_for(client, personas.rep).get(reverse("contacts:trash")).content.decode()
    assert "Ana Gómez" in rep_trash
    assert "Your role cannot restore records" in rep_trash
    assert (
        client_for(client, personas.rep)
        .post(reverse("contacts:contact_restore", args=[ana.pk]))
        .status_code
        == 403
    )


# Global search ---------------------------------------------------------------------------------


def test_it_searches_only_visible_records(client, personas, ana):
    services.create_contact(actor=personas.rep2, data={"first_name": "Ana", "last_name": "Secreta"})
    services.create_company(actor=personas.rep, data={"name": "Anaconda Ltda"})
    services.create_company(actor=personas.rep2, data={"name": "Anatolia SAS"})
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:search"), {"q": "ana"})
        .content.decode()
    )
    assert "Ana Gómez" in body and "Anaconda Ltda" in body
    assert "Secreta" not in body and "Anatolia" not in body
    assert "<html" not in body
    hint = (
        client_for(client, personas.rep).get(reverse("contacts:search"), {"q": ""}).content.decode()
    )
    assert "Type a name" in hint
    nothing = client_for(client, personas.outsider).get(reverse("contacts:search"), {"q": "ana"})
    assert "Nothing found" in nothing.content.decode()


def test_it_limits_search_to_eight_contacts(client, personas):
    for i in range(12):
        services.create_contact(actor=personas.rep, data={"first_name": f"Sofía{i}"})
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:search"), {"q": "sofia"})
        .content.decode()
    )
    assert body.count('class="search-hit"') == 8


def test_it_pins_query_counts_of_trash_search_and_card(
    client, personas, ana, django_assert_max_num_queries
):
    company = services.create_company(actor=personas.rep, data={"name": "Andina"})
    for i in range(20):
        contact = services.create_contact(
            actor=personas.rep,
            data={"first_name": f"Ana{i}", "company": company.pk, "tags": ["VIP"]},
        )
        services.delete_contact(contact, actor=personas.manager)
    for i in range(15):
        services.update_contact(
            ana, actor=personas.rep, data={"city": f"Ciudad {i}", "owner": personas.rep.pk}
        )
        services.add_note(actor=personas.manager, body=f"Nota {i}", contact=ana)
        services.record_consent(
            ana, actor=personas.rep, channel="sms", purpose="service", status="denied"
        )
    services.update_contact(ana, actor=personas.rep, data={"company": company.pk})
    c = client_for(client, personas.manager)
    with django_assert_max_num_queries(9):
        trash = c.get(reverse("contacts:trash"))
    assert trash.content.decode().count("Ana1") >= 10
    with django_assert_max_num_queries(8):
        c.get(reverse("contacts:search"), {"q": "ana"})
    with django_assert_max_num_queries(22):
        card = c.get(reverse("contacts:contact_detail", args=[ana.pk]))
    assert "Andina" in card.content.decode()


def test_it_tells_a_scoped_role_why_its_list_is_empty_without_counting_the_rest(
    client, personas, ana
):
    # ana belongs to a rep; the service agent's department owns nothing.
    body = client_for(client, personas.outsider).get(reverse("contacts:contact_list"))
    text = body.content.decode()
    assert "No contacts yet" not in text
    assert (
        "Your role shows only the contacts of your departments; there are none in Servicio." in text
    )
    assert 'data-scope="department"' in text
    # The admin of an empty database still gets the first-steps message.
    Contact.objects.all().delete()
    admin = client_for(client, personas.admin).get(reverse("contacts:contact_list"))
    assert "No contacts yet" in admin.content.decode()


def test_it_keeps_the_extension_typed_with_a_phone_and_shows_it_on_the_card(client, personas):
    contact = services.create_contact(
        actor=personas.rep, data={"first_name": "Olga", "phone": "601 234 5678 ext 9"}
    )
    assert contact.phone == "+576012345678;ext=9"
    body = client_for(client, personas.rep).get(
        reverse("contacts:contact_detail", args=[contact.pk])
    )
    text = body.content.decode()
    assert "+57 601 2345678 ext. 9" in text
    assert 'href="tel:+576012345678;ext=9"' in text
