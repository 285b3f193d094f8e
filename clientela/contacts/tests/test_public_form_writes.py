"""Writes without a signed-in user: a public form's visitor (actor None, via "form")."""

from __future__ import annotations

import pytest

from clientela.contacts import services
from clientela.contacts.choices import ConsentStatus
from clientela.contacts.models import Consent
from clientela.core.events import Via
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_creates_and_updates_a_contact_for_a_public_form() -> None:
    contact = services.create_contact(
        actor=None, data={"first_name": "Ana", "email": "ana@example.co"}, via=Via.FORM
    )
    assert contact.owner_id is None and contact.created_by_id is None
    assert contact.created_via == "form"
    services.update_contact(contact, actor=None, data={"city": "Cali"}, via=Via.FORM)
    contact.refresh_from_db()
    assert contact.city == "Cali"
    events = Event.objects.filter(contact_id=contact.pk).order_by("id")
    assert [(e.verb, e.actor_id, e.via) for e in events] == [
        ("created", None, "form"),
        ("updated", None, "form"),
    ]


def test_it_records_a_pending_consent_without_an_actor() -> None:
    contact = services.create_contact(actor=None, data={"email": "eva@example.co"}, via=Via.FORM)
    consent = services.record_consent(
        contact, actor=None, channel="email", purpose="marketing",
        status=ConsentStatus.PENDING, source="form:x", via=Via.FORM,
    )  # fmt: skip
    assert consent.status == "pending" and consent.recorded_by_id is None
    assert Consent.objects.filter(contact=contact).count() == 1


def test_it_refuses_a_write_without_an_actor_outside_a_public_form() -> None:
    with pytest.raises(ValueError, match="only a public form"):
        services.create_contact(actor=None, data={"first_name": "Ana"})
    with pytest.raises(ValueError, match="only a public form"):
        services.create_company(actor=None, data={"name": "Andina"}, via=Via.UI)


def test_it_creates_a_company_for_a_public_form() -> None:
    company = services.create_company(actor=None, data={"name": "Andina"}, via=Via.FORM)
    assert company.owner_id is None and company.created_via == "form"
