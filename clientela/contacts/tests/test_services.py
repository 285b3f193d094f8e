"""Service tests for contacts: validation, permissions, timeline, merge and undo."""

from __future__ import annotations

import pytest
from django.utils import translation

from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.contacts.queries import contacts_visible_to, get_contact_for_user
from clientela.contacts.tests.factories import contact_allowing_email_twin
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_normalises_email_and_phone_on_create(personas):
    contact = services.create_contact(
        actor=personas.rep,
        data={
            "first_name": " Ana  María ",
            "email": "Ana.Gomez@Example.CO",
            "phone": "300 123 4567",
        },
    )
    assert contact.first_name == "Ana María"
    assert contact.email == "ana.gomez@example.co"
    assert contact.phone == "+573001234567"
    assert contact.owner_id == personas.rep.pk
    assert Event.objects.filter(contact=contact, verb="created").count() == 1


def test_it_reports_field_errors_naming_the_bad_value(personas):
    with pytest.raises(ValidationFailed) as caught:
        services.create_contact(actor=personas.rep, data={"email": "no-es-correo", "phone": "12"})
    assert "no-es-correo" in caught.value.errors["email"][0]
    assert "12" in caught.value.errors["phone"][0]


def test_it_requires_a_name_email_or_phone(personas):
    with pytest.raises(ValidationFailed) as caught:
        services.create_contact(actor=personas.rep, data={"city": "Cali"})
    assert set(caught.value.errors) == {"first_name"}


def test_it_hides_other_reps_contacts(personas):
    mine = services.create_contact(actor=personas.rep, data={"first_name": "Mía"})
    assert list(contacts_visible_to(personas.rep2)) == []
    with pytest.raises(NotFound):
        get_contact_for_user(personas.rep2, mine.pk)
    with pytest.raises(NotFound):
        get_contact_for_user(personas.outsider, mine.pk)
    # Same department, read-only role: sees it, may not write it.
    assert get_contact_for_user(personas.colleague, mine.pk) == mine
    with pytest.raises(Forbidden):
        get_contact_for_user(personas.colleague, mine.pk, write=True)
    assert get_contact_for_user(personas.manager, mine.pk) == mine


def test_it_refuses_assigning_to_a_user_outside_the_reps_scope(personas):
    with pytest.raises(ValidationFailed) as caught:
        services.create_contact(
            actor=personas.rep, data={"first_name": "X", "owner": personas.rep2.pk}
        )
    assert "owner" in caught.value.errors


def test_it_records_changed_fields_on_the_timeline(personas):
    contact = services.create_contact(
        actor=personas.rep, data={"first_name": "Luis", "city": "Cali"}
    )
    services.update_contact(contact, actor=personas.rep, data={"city": "Pereira", "tags": ["VIP"]})
    event = Event.objects.get(contact=contact, verb="updated")
    assert event.data["changes"]["city"] == ["Cali", "Pereira"]
    assert event.data["changes"]["tags"] == [[], ["VIP"]]


def test_it_records_company_changes_tags_included_and_ignores_edits_that_change_nothing(personas):
    company = services.create_company(
        actor=personas.rep, data={"name": "Andina", "city": "Cali", "tags": ["Aliado"]}
    )
    services.update_company(company, actor=personas.rep, data={"tags": ["Aliado", "VIP"]})
    company.refresh_from_db()
    event = Event.objects.get(company=company, verb="updated")
    assert event.data["changes"] == {"tags": [["Aliado"], ["Aliado", "VIP"]]}
    assert company.version == 2
    services.update_company(
        company, actor=personas.rep, data={"city": "Cali", "tags": ["VIP", "Aliado"]}
    )
    company.refresh_from_db()
    assert company.version == 2  # nothing changed: no save, no event
    assert Event.objects.filter(company=company, verb="updated").count() == 1
    # The message is in the active language: say which (another test may have left English).
    with translation.override("es"), pytest.raises(Conflict, match="esta empresa"):
        services.update_company(
            company, actor=personas.rep, data={"city": "Neiva"}, expected_version=1
        )


def test_it_trashes_and_restores_a_company_on_its_timeline(personas):
    company = services.create_company(actor=personas.manager, data={"name": "Temporal S.A.S."})
    services.delete_company(company, actor=personas.manager)
    assert company.deleted_at is not None and company.version == 2
    services.restore_company(company, actor=personas.manager)
    assert company.deleted_at is None and company.version == 3
    verbs = list(
        Event.objects.filter(company=company).order_by("pk").values_list("verb", flat=True)
    )
    assert verbs == ["created", "deleted", "restored"]
    assert not Event.objects.filter(company=company, contact__isnull=False).exists()


def test_it_refuses_a_stale_version(personas):
    contact = services.create_contact(actor=personas.rep, data={"first_name": "Luis"})
    services.update_contact(contact, actor=personas.rep, data={"city": "Cali"}, expected_version=1)
    with pytest.raises(Conflict):
        services.update_contact(
            contact, actor=personas.rep, data={"city": "Neiva"}, expected_version=1
        )


def test_it_merges_and_undoes_a_merge(personas):
    a = services.create_contact(
        actor=personas.manager, data={"first_name": "Carlos", "email": "c@example.co"}
    )
    b = contact_allowing_email_twin(
        personas.manager, first_name="Carlos", last_name="Pérez", email="c@example.co",
        tags=["Feria"],
    )  # fmt: skip
    services.add_note(actor=personas.manager, contact=b, body="Llamar el lunes")
    merge = services.merge_contacts(a, b, actor=personas.manager)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.last_name == "Pérez"
    assert b.deleted_at is not None and b.merged_into_id == a.pk
    assert list(a.tags.values_list("name", flat=True)) == ["Feria"]
    assert a.notes.count() == 1
    merged_event = Event.objects.get(contact=a, verb="merged")
    assert merged_event.data["merged_id"] == b.pk
    assert merged_event.data["merged_created_via"] == "ui"
    assert merged_event.data["merged_import_job"] is None

    services.undo_merge(merge, actor=personas.manager)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.last_name == ""
    assert b.deleted_at is None and b.merged_into_id is None
    assert a.tags.count() == 0 and b.notes.count() == 1
    assert Event.objects.filter(contact=b, verb="merge_undone").exists()
    with pytest.raises(Conflict):
        services.undo_merge(merge, actor=personas.manager)


def test_it_refuses_merge_to_roles_without_the_right(personas):
    a = services.create_contact(actor=personas.marketer, data={"first_name": "A"})
    b = services.create_contact(actor=personas.marketer, data={"first_name": "B"})
    with pytest.raises(Forbidden):
        services.merge_contacts(a, b, actor=personas.marketer)


def test_it_soft_deletes_and_restores(personas):
    contact = services.create_contact(actor=personas.manager, data={"first_name": "Temporal"})
    services.delete_contact(contact, actor=personas.manager)
    assert not contacts_visible_to(personas.manager).filter(pk=contact.pk).exists()
    assert contacts_visible_to(personas.manager, deleted=True).filter(pk=contact.pk).exists()
    services.restore_contact(contact, actor=personas.manager)
    assert Contact.objects.get(pk=contact.pk).deleted_at is None
    with pytest.raises(Forbidden):
        services.delete_contact(contact, actor=personas.rep)
