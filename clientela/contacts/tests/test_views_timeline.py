"""View tests for the customer card's timeline: foreign verbs, merges and imports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.models import Contact, Merge
from clientela.contacts.tests.factories import CustomFieldFactory
from clientela.contacts.tests.import_helpers import csv_bytes, start
from clientela.core.testing import client_for
from clientela.timeline.models import Event
from clientela.timeline.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def card(client, user, contact):
    """The customer card's HTML as `user` sees it."""
    return client_for(client, user).get(reverse("contacts:contact_detail", args=[contact.pk]))


def make(actor, **data):
    """A contact created through the service."""
    return services.create_contact(actor=actor, data=data)


def purchase(contact, label=None, verb="purchase"):
    """An event another app (orders) records on the contact."""
    return EventFactory.create(
        contact=contact,
        verb=verb,
        target_type="orders.order",
        target_id="77",
        target_repr="Pedido 77",
        data={"label": label} if label else {},
    )


def test_it_names_verbs_of_other_apps_and_does_not_call_them_merged(client, personas):
    ana = make(personas.rep, first_name="Ana")
    purchase(ana)  # a verb the timeline knows
    purchase(ana, verb="ticket_opened")  # a verb of an app the timeline does not know yet
    purchase(ana, label="Compra en tienda", verb="ticket_opened")
    body = card(client, personas.rep, ana).content.decode()
    assert "purchase (Pedido 77)" in body
    assert "activity (Pedido 77)" in body
    assert "Compra en tienda" in body
    assert ": ticket_opened" not in body
    assert "later merged" not in body


def test_it_marks_only_events_of_merged_contacts_as_merged(client, personas):
    a = make(personas.rep, first_name="Carlos", email="carlos@example.co")
    b = make(personas.rep, first_name="Carlos", last_name="Pérez", phone="3001112233")
    purchase(a)
    services.merge_contacts(a, b, actor=personas.rep)
    body = card(client, personas.rep, a).content.decode()
    # Only the merged contact's own creation is told as coming from it, not the purchase.
    assert body.count("later merged into this") == 1
    assert "Carlos Pérez” was created" in body or "created “Carlos Pérez”" in body
    assert "merged “Carlos Pérez” into this contact" in body


def test_it_names_the_contact_a_merge_undo_separated(client, personas):
    a = make(personas.rep, first_name="Carlos")
    b = make(personas.rep, first_name="Beatriz")
    merge = services.merge_contacts(a, b, actor=personas.rep)
    services.undo_merge(merge, actor=personas.rep)
    body = card(client, personas.rep, a).content.decode()
    assert "“Beatriz” is a separate contact again" in body
    assert f"contact #{b.pk}" not in body


def test_it_falls_back_to_the_id_for_a_contact_out_of_sight(client, personas):
    a = make(personas.rep, first_name="Carlos")
    b = make(personas.rep, first_name="Beatriz")
    merge = services.merge_contacts(a, b, actor=personas.rep)
    services.undo_merge(merge, actor=personas.rep)
    Contact.objects.filter(pk=b.pk).update(owner=personas.rep2)
    body = card(client, personas.rep, a).content.decode()
    assert "“Beatriz” is a separate" not in body
    assert f"contact #{b.pk} is separate again" in body


def test_it_links_contacts_created_by_an_import_to_the_job(client, personas):
    job = start(personas.manager, csv_bytes("nombre,email", "Ana,ana@example.co"))
    a = make(personas.manager, first_name="Carlos")
    b = make(personas.manager, first_name="Ana", email="ana@example.co")
    Contact.objects.filter(pk=b.pk).update(created_via="import", import_job=job)
    b.refresh_from_db()
    job_url = reverse("contacts:import_job", args=[job.pk])
    assert job_url in card(client, personas.manager, b).content.decode()
    services.merge_contacts(a, b, actor=personas.manager)
    event = Event.objects.get(verb="merged")
    event.data.update({"merged_created_via": "import", "merged_import_job": job.pk})
    event.save()
    body = card(client, personas.manager, a).content.decode()
    assert f"(created by import #{job.pk})" in body
    assert job_url in body
    # Who may not import sees the words but no link to the job page.
    hidden = card(client, personas.colleague, a).content.decode()
    assert job_url not in hidden


def test_it_names_the_survivor_after_the_merge_in_the_message(client, personas):
    a = make(personas.rep, first_name="Carlos")
    b = make(personas.rep, first_name="Carlos", last_name="Pérez")
    response = client_for(client, personas.rep).post(
        reverse("contacts:merge"),
        {"a": a.pk, "b": b.pk, "survivor": "a", "keep_last_name": "b"},
        follow=True,
    )
    assert "was merged into “Carlos Pérez”" in response.content.decode()
    assert Merge.objects.count() == 1


def test_it_hides_the_card_of_others(client, personas):
    ana = make(personas.rep, first_name="Ana")
    purchase(ana)
    assert card(client, personas.rep2, ana).status_code == 404


def test_it_formats_import_preview_values_for_people():
    from datetime import date

    from django.utils import translation

    from clientela.contacts.templatetags.contacts_ui import preview_cells

    translation.activate("es")
    targets = [("phone", "Phone"), ("birthday", "Birthday"), ("first_name", "Name")]
    shown = preview_cells(["+573001112233", date(1990, 5, 17), "Ana"], targets)
    assert shown[0] == "+57 300 1112233"
    assert shown[1] != "1990-05-17" and "1990" in shown[1]
    assert shown[2] == "Ana"
    assert preview_cells(["", "1990-05-17", None], targets)[1] == shown[1]
    translation.deactivate()


def test_it_shows_the_country_without_a_dash_when_the_city_is_empty(client, personas):
    ana = make(personas.rep, first_name="Ana", country="CO")
    body = card(client, personas.rep, ana).content.decode()
    assert "— (CO)" not in body
    assert "Colombia" in body


def test_it_groups_the_thousands_of_number_custom_fields(client, personas):

    CustomFieldFactory.create(key="budget", label_es="Presupuesto", field_type="number")
    ana = make(personas.rep, first_name="Ana", custom={"budget": 1234567})
    body = card(client, personas.rep, ana).content.decode()
    assert "1,234,567" in body
