"""A public form's contact created by a caller that locked and looked its e-mail up, and routed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts import services
from clientela.contacts.models import Contact, Tag
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.events import Via
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_a_checked_contact_is_the_contact_create_contact_makes() -> None:
    Tag.objects.create(name="Webinar")
    data = {"first_name": " Ana ", "email": "ANA@example.co", "tags": ["webinar", "Nuevo"],
            "lifecycle_stage": "lead", "source": "form"}  # fmt: skip
    made = services.create_contact(actor=None, data=data, via=Via.FORM)
    checked, event = services.create_checked_contact(
        data={**data, "email": "bea@example.co"}, via=Via.FORM
    )
    fields = ("first_name", "lifecycle_stage", "source", "owner_id", "created_by_id",
              "created_via", "custom")  # fmt: skip
    assert Contact.objects.values(*fields).get(pk=made.pk) == (
        Contact.objects.values(*fields).get(pk=checked.pk)
    )
    assert sorted(checked.tags.values_list("name", flat=True)) == ["Nuevo", "Webinar"]
    assert Tag.objects.count() == 2
    # The created event comes back for the caller to write.
    assert event.pk is None and event.verb == "created" and event.contact_id == checked.pk
    assert not Event.objects.filter(contact_id=checked.pk).exists()
    with pytest.raises(ValidationFailed):
        services.create_checked_contact(data={"city": "Cali"}, via=Via.FORM)


def test_tags_are_found_in_one_query() -> None:
    Tag.objects.create(name="Uno")
    Tag.objects.create(name="Dos")
    with CaptureQueriesContext(connection) as queries:
        tags = services.tags_from_names(["uno", " DOS ", "Uno"])
    assert [t.name for t in tags] == ["Uno", "Dos"] and len(queries.captured_queries) == 1


def test_routing_many_contacts_writes_what_routing_one_writes(personas: Any) -> None:
    one, two, three = ContactFactory.create_batch(3, owner=None)
    services.route_contact(one, owner=personas.rep, via=Via.FORM)
    locked = list(Contact.objects.filter(pk__in=[two.pk, three.pk]).order_by("pk"))
    services.route_contacts([(locked[0], personas.rep), (locked[1], personas.rep2)])
    rows = {c.pk: (c.owner_id, c.version) for c in Contact.objects.all()}
    assert rows[two.pk] == (personas.rep.pk, rows[one.pk][1])
    assert rows[three.pk] == (personas.rep2.pk, rows[one.pk][1])
    assert [(c.owner_id, c.version) for c in locked] == [rows[two.pk], rows[three.pk]]
    data = [Event.objects.get(verb="updated", contact_id=c.pk).data for c in (one, two, three)]
    assert data[0] == data[1] == {"changes": {"owner_id": [None, personas.rep.pk]}}
    assert data[2] == {"changes": {"owner_id": [None, personas.rep2.pk]}}
